{#- Rows whose user or anonymous id belongs to an erased subject must not survive. -#}
{% macro not_erased(user_col='user_id', anon_col='anon_id') -%}
  ({{ user_col }} is null or {{ user_col }} not in (
      select subject_id from {{ ref('erased_subjects') }} where subject_type = 'user'))
  and ({{ anon_col }} is null or {{ anon_col }} not in (
      select subject_id from {{ ref('erased_subjects') }} where subject_type = 'anon'))
{%- endmacro %}

{#- post-hook: remove erased subjects' rows already stored by earlier builds. -#}
{% macro delete_erased(user_col='user_id', anon_col='anon_id') -%}
  delete from {{ this }} where not ({{ not_erased(user_col, anon_col) }})
{%- endmacro %}

{#-
  post-hook for facts: drop rows whose event left Silver (erasure or a re-read window).
  A full rebuild has just selected every row from events_deduped, so there is nothing to drop.
-#}
{% macro prune_fact() -%}
  {%- if is_incremental() -%}
  delete from {{ this }}
  where event_id not in (select event_id from {{ ref('events_deduped') }})
  {%- else -%}
  select 1
  {%- endif -%}
{%- endmacro %}

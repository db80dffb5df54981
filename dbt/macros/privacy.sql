{#-
  Rows whose user or anonymous id belongs to an erased subject must not survive. `erased`
  is the relation of erased ids (privacy.erased_subjects unless given: the NRT views keep
  their own, from the identity links they have folded in).
-#}
{% macro not_erased(user_col='user_id', anon_col='anon_id', erased=none) -%}
  {%- set erased = erased or ref('erased_subjects') -%}
  ({{ user_col }} is null or {{ user_col }} not in (
      select subject_id from {{ erased }} where subject_type = 'user'))
  and ({{ anon_col }} is null or {{ anon_col }} not in (
      select subject_id from {{ erased }} where subject_type = 'anon'))
{%- endmacro %}

{#-
  identity.linked events of `relation` as links: the linked anonymous id (payload), the
  sending device's anon_id and the linked user (payload, else the envelope's user_id).
-#}
{% macro identity_links(relation) -%}
  select
    {{ json_text('payload', 'anon_id') }} as linked_anon_id,
    anon_id as envelope_anon_id,
    coalesce({{ json_text('payload', 'user_id') }}, user_id) as linked_user_id
  from {{ relation }}
  where event = 'identity.linked'
{%- endmacro %}

{#- Whether the build's privacy.tombstones lists any id (true while parsing). -#}
{% macro has_tombstones() -%}
  {%- if not execute -%}{{ return(true) }}{%- endif -%}
  {%- set found = run_query(
    "select count(*) from " ~ source('privacy', 'tombstones') ~ " where user_id is not null") -%}
  {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#-
  Every id that must vanish: the tombstoned ids (users, and anonymous ids an erasure
  resolved: a listed id is erased as either) and the anonymous ids `links` (rows shaped
  like identity_links()) tie to a tombstoned user. A plain select, so it can follow a WITH.
-#}
{% macro erased_subjects_from(links) -%}
  {%- set tombstoned -%}
    select user_id from {{ source('privacy', 'tombstones') }} where user_id is not null
  {%- endset -%}
  select 'user' as subject_type, user_id as subject_id from ({{ tombstoned }})
  union
  select 'anon', user_id from ({{ tombstoned }})
  union
  select 'anon', linked_anon_id from {{ links }}
  where linked_anon_id is not null and linked_user_id in ({{ tombstoned }})
  union
  select 'anon', envelope_anon_id from {{ links }}
  where envelope_anon_id is not null and linked_user_id in ({{ tombstoned }})
{%- endmacro %}

{#- post-hook: remove erased subjects' rows already stored by earlier builds. -#}
{% macro delete_erased(user_col='user_id', anon_col='anon_id') -%}
  {{ return(adapter.dispatch('delete_erased', 'rastup')(user_col, anon_col)) }}
{%- endmacro %}

{% macro duckdb__delete_erased(user_col, anon_col) -%}
  delete from {{ this }} where not ({{ not_erased(user_col, anon_col) }})
{%- endmacro %}

{#-
  Spark builds are full rebuilds (its Parquet tables take no DELETE), and a full rebuild's
  select has already left every erased subject out: there is nothing stored to remove.
-#}
{% macro spark__delete_erased(user_col, anon_col) -%}
  {%- if is_incremental() -%}
    {{ exceptions.raise_compiler_error("Spark builds are full rebuilds: run with --full-refresh") }}
  {%- endif -%}
  select 1
{%- endmacro %}

{#-
  post-hook for facts: drop rows whose event left Silver (erasure or a re-read window).
  A full rebuild has just selected every row from events_deduped, so there is nothing to drop.
  A fact's rows are looked up among events_deduped's rows of the fact's own event types
  (one branch per type, read here from the fact): events_deduped is clustered by type, so
  each branch reads a few row groups instead of hashing every event id of Silver for every
  fact. An id whose surviving copy in Silver has another type no longer matches the fact's
  row, and that row goes too.
-#}
{% macro prune_fact() -%}
  {%- if is_incremental() and execute -%}
  {%- set found = run_query("select distinct event from " ~ this ~ " where event is not null order by 1") -%}
  {%- set events = found.columns[0].values() -%}
  {%- if events | length == 0 -%}
  select 1
  {%- else -%}
  delete from {{ this }}
  where event_id not in (
    {%- for event in events %}
    select event_id from {{ ref('events_deduped') }} where event = '{{ event | replace("'", "''") }}'
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
  )
  {%- endif -%}
  {%- else -%}
  select 1
  {%- endif -%}
{%- endmacro %}

{#- post-hook of events_deduped: drop identity links of erased users stored by earlier builds. -#}
{% macro delete_erased_links() -%}
  {{ return(adapter.dispatch('delete_erased_links', 'rastup')()) }}
{%- endmacro %}

{% macro duckdb__delete_erased_links() -%}
  delete from {{ this }} where event = 'identity.linked' and {{ json_text('payload', 'user_id') }} in (select subject_id from {{ ref('erased_subjects') }} where subject_type = 'user')
{%- endmacro %}

{#- Spark: nothing to delete after a full rebuild (see spark__delete_erased). -#}
{% macro spark__delete_erased_links() -%}
  {{ spark__delete_erased('user_id', 'anon_id') }}
{%- endmacro %}

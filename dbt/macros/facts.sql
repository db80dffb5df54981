{#- Columns every Silver fact carries, taken from silver.events_deduped. -#}
{% macro fact_columns() -%}
  event_id, event, dt, occurred_at, received_at, user_id, anon_id, session_id, city,
  bronze_dt, _loaded_at
{%- endmacro %}

{#-
  Incremental facts take the Silver events they do not hold yet; the build's Bronze
  window (when given) narrows the scan to the partitions this run read.
-#}
{% macro only_new_events() -%}
  {%- if is_incremental() %}
  {%- if var('bronze_from') != '' %}
  and bronze_dt >= date '{{ var("bronze_from") }}'
  {%- endif %}
  {%- if var('bronze_to') != '' %}
  and bronze_dt <= date '{{ var("bronze_to") }}'
  {%- endif %}
  and event_id not in (select event_id from {{ this }})
  {%- endif -%}
{%- endmacro %}

{#- The Bronze received-date window of an incremental run of events_deduped. -#}
{% macro bronze_window_filter(column='bronze_dt') -%}
  {%- if var('bronze_from') != '' -%}
  {{ column }} >= date '{{ var("bronze_from") }}'
  {%- else -%}
  {{ column }} >= coalesce(
    (select max(bronze_dt) from {{ this }})
      - {{ var('lookback_days') | int }},
    date '1970-01-01')
  {%- endif -%}
  {%- if var('bronze_to') != '' %} and {{ column }} <= date '{{ var("bronze_to") }}'{%- endif -%}
{%- endmacro %}

{% macro json_str(field) -%}
  (payload ->> '{{ field }}')
{%- endmacro %}

{% macro json_int(field) -%}
  try_cast(payload ->> '{{ field }}' as bigint)
{%- endmacro %}

{% macro json_bool(field) -%}
  try_cast(payload ->> '{{ field }}' as boolean)
{%- endmacro %}

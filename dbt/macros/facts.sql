{#-
  Columns every Silver fact carries, taken from silver.events_deduped. session_id stays in
  events_deduped only: no fact reader uses it, and a column of random ids in every fact
  was a sizeable part of writing them.
-#}
{% macro fact_columns() -%}
  event_id, event, dt, occurred_at, received_at, user_id, anon_id, city, bronze_dt, _loaded_at
{%- endmacro %}

{#-
  The rows of `relation` that satisfy `condition`, with the payload `fields` parsed once per
  row into the struct `_p` (each field as text, exactly what `payload ->> 'field'` gives;
  one `->>` per field parsed the JSON once per field, twice the cost). Read the fields with
  field_str / field_int / field_bool / field_double. Facts add only_new_events().
-#}
{% macro payload_events(relation, condition, fields, new_only=true) -%}
  (
    select *, from_json(payload, '{{ payload_struct_type(fields) }}') as _p
    from {{ relation }}
    where {{ condition }}{% if new_only %}{{ only_new_events() }}{% endif %}
  )
{%- endmacro %}

{#- The struct type of payload_events()' `_p`, in the engine's from_json notation. -#}
{% macro payload_struct_type(fields) -%}
  {{ return(adapter.dispatch('payload_struct_type', 'rastup')(fields)) }}
{%- endmacro %}

{% macro duckdb__payload_struct_type(fields) -%}
  {"{{ fields | join('":"VARCHAR","') }}":"VARCHAR"}
{%- endmacro %}

{#- Spark reads any JSON value into a STRING field as its text, as DuckDB's VARCHAR does. -#}
{% macro spark__payload_struct_type(fields) -%}
  `{{ fields | join('` STRING, `') }}` STRING
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

{#- A payload field of a payload_events() row: text, or typed (null when not convertible). -#}
{% macro field_str(field) -%}
  _p.{{ field }}
{%- endmacro %}

{% macro field_int(field) -%}
  try_cast(_p.{{ field }} as bigint)
{%- endmacro %}

{% macro field_bool(field) -%}
  try_cast(_p.{{ field }} as boolean)
{%- endmacro %}

{% macro field_double(field) -%}
  try_cast(_p.{{ field }} as double)
{%- endmacro %}

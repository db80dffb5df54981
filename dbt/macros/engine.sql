{#-
  The SQL that differs between the engines the models run on: DuckDB (the `duckdb` and
  `duckdb_s3` targets) and Spark (the `spark` target). Every model writes these through
  the macros below; each dispatches (adapter.dispatch) to its duckdb__ or spark__ form.
  The duckdb__ forms are the SQL the models always had, so DuckDB builds are unchanged.
  Spark forms assume the session time zone is UTC (the spark target sets it).
-#}

{#- The engine's name for a text column type (casts in models and tests). -#}
{% macro string_type() -%}
  {{ return(adapter.dispatch('string_type', 'rastup')()) }}
{%- endmacro %}
{% macro duckdb__string_type() -%}varchar{%- endmacro %}
{% macro spark__string_type() -%}string{%- endmacro %}

{#- The text of the top-level JSON field `field` of the JSON text `column` (null if absent). -#}
{% macro json_text(column, field) -%}
  {{ return(adapter.dispatch('json_text', 'rastup')(column, field)) }}
{%- endmacro %}
{% macro duckdb__json_text(column, field) -%}
  ({{ column }} ->> '{{ field }}')
{%- endmacro %}
{% macro spark__json_text(column, field) -%}
  get_json_object({{ column }}, '$.{{ field }}')
{%- endmacro %}

{#- UTC calendar date of a timestamp with time zone expression. -#}
{% macro utc_date(expr) -%}
  {{ return(adapter.dispatch('utc_date', 'rastup')(expr)) }}
{%- endmacro %}
{#-
  DuckDB: the day is the floor of the microseconds since the epoch over a day's (a timestamp
  with time zone is stored as UTC). The same date as `cast(timezone('UTC', x) as date)`,
  which goes through ICU's calendar at fifteen times the CPU, on every event of Bronze.
-#}
{% macro duckdb__utc_date(expr) -%}
  (date '1970-01-01' + cast(fdiv(epoch_us({{ expr }}), 86400000000) as integer))
{%- endmacro %}
{% macro spark__utc_date(expr) -%}
  to_date({{ expr }})
{%- endmacro %}

{#- The instant a UTC day `dt` (a date) ends: midnight UTC of the next day. -#}
{% macro utc_day_end(dt) -%}
  {{ return(adapter.dispatch('utc_day_end', 'rastup')(dt)) }}
{%- endmacro %}
{% macro duckdb__utc_day_end(dt) -%}
  cast({{ dt }} + 1 as timestamp) at time zone 'UTC'
{%- endmacro %}
{% macro spark__utc_day_end(dt) -%}
  cast(date_add({{ dt }}, 1) as timestamp)
{%- endmacro %}

{#- Seconds since 1970-01-01 UTC of a timestamp, as a double (with the microseconds). -#}
{% macro epoch_seconds(expr) -%}
  {{ return(adapter.dispatch('epoch_seconds', 'rastup')(expr)) }}
{%- endmacro %}
{% macro duckdb__epoch_seconds(expr) -%}
  epoch({{ expr }})
{%- endmacro %}
{% macro spark__epoch_seconds(expr) -%}
  (unix_micros({{ expr }}) / 1e6)
{%- endmacro %}

{#- Text to a timestamp with time zone; null when it is not one. -#}
{% macro try_timestamp(expr) -%}
  {{ return(adapter.dispatch('try_timestamp', 'rastup')(expr)) }}
{%- endmacro %}
{% macro duckdb__try_timestamp(expr) -%}
  try_cast({{ expr }} as timestamptz)
{%- endmacro %}
{% macro spark__try_timestamp(expr) -%}
  try_cast({{ expr }} as timestamp)
{%- endmacro %}

{#-
  `value` of the row with the smallest (first_by) or largest (last_by) `order`, an
  expression or a list of them compared left to right; rows whose order is null are skipped.
-#}
{% macro first_by(value, order) -%}
  {{ return(adapter.dispatch('first_by', 'rastup')(value, order)) }}
{%- endmacro %}
{% macro last_by(value, order) -%}
  {{ return(adapter.dispatch('last_by', 'rastup')(value, order)) }}
{%- endmacro %}
{% macro duckdb__first_by(value, order) -%}
  arg_min({{ value }}, {{ _order_tuple(order, '') }})
{%- endmacro %}
{% macro duckdb__last_by(value, order) -%}
  arg_max({{ value }}, {{ _order_tuple(order, '') }})
{%- endmacro %}
{% macro spark__first_by(value, order) -%}
  min_by({{ value }}, {{ _order_tuple(order, 'struct') }})
{%- endmacro %}
{% macro spark__last_by(value, order) -%}
  max_by({{ value }}, {{ _order_tuple(order, 'struct') }})
{%- endmacro %}
{% macro _order_tuple(order, constructor) -%}
  {%- if order is string -%}{{ order }}{%- else -%}{{ constructor }}({{ order | join(', ') }}){%- endif -%}
{%- endmacro %}

{#- The median of `expr`, interpolated between the two middle values. -#}
{% macro median_of(expr) -%}
  {{ return(adapter.dispatch('median_of', 'rastup')(expr)) }}
{%- endmacro %}
{% macro duckdb__median_of(expr) -%}
  quantile_cont({{ expr }}, 0.5)
{%- endmacro %}
{% macro spark__median_of(expr) -%}
  percentile({{ expr }}, 0.5)
{%- endmacro %}

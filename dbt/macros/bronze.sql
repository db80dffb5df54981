{#-
  The Bronze events as a subquery, read through source('bronze', 'events') so lineage
  starts at the source (its meta.external_location is the read_parquet call, see
  models/bronze/sources.yml; bronze_glob() is the same path). An empty lake (no Parquet
  files yet) yields an empty, typed relation instead of DuckDB's "No files found" error.
  `event_id` becomes a UUID here (the Bronze contract guarantees one): 16 fixed bytes
  instead of 36 characters of random text are cheaper to store, hash and compare
  everywhere downstream; a value that is not a UUID fails the build instead of being
  dropped.
-#}
{% macro bronze_glob() -%}
  {{- var('lake_path') ~ '/bronze/events/**/*.parquet' -}}
{%- endmacro %}

{#-
  Whether Bronze holds any Parquet file. On Spark the build registers bronze.events over
  the lake before dbt runs, and only runs when Bronze has events.
-#}
{% macro bronze_has_files() -%}
  {{ return(adapter.dispatch('bronze_has_files', 'rastup')()) }}
{%- endmacro %}

{% macro spark__bronze_has_files() -%}
  {{ return(true) }}
{%- endmacro %}

{% macro duckdb__bronze_has_files() -%}
  {%- if not execute -%}{{ return(true) }}{%- endif -%}
  {%- set found = run_query("select count(*) from glob('" ~ (bronze_glob() | replace("'", "''")) ~ "')") -%}
  {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#-
  The typed Bronze columns, read from a relation with the raw Bronze columns: all of them,
  or only `names` (in the Bronze order) for a reader that needs a few, so the others are
  never decoded. Spark has no UUID type: there event_id stays the text of the UUID.
-#}
{% macro bronze_columns(names=none) -%}
  {%- set types = adapter.dispatch('bronze_column_types', 'rastup')() -%}
  {%- set chosen = [] -%}
  {%- for name, type in types.items() if names is none or name in names -%}
    {%- set source = 'dt' if name == 'bronze_dt' else name -%}
    {%- do chosen.append('cast(' ~ source ~ ' as ' ~ type ~ ') as ' ~ name) -%}
  {%- endfor -%}
  {{ chosen | join(', ') }}
{%- endmacro %}

{% macro spark__bronze_column_types() -%}
  {{ return({
    'event_id': 'string', 'event': 'string', 'v': 'integer', 'occurred_at': 'timestamp',
    'received_at': 'timestamp', 'user_id': 'string', 'anon_id': 'string',
    'session_id': 'string', 'context': 'string', 'ids': 'string', 'payload': 'string',
    'bronze_dt': 'date'}) }}
{%- endmacro %}

{% macro duckdb__bronze_column_types() -%}
  {{ return({
    'event_id': 'uuid', 'event': 'varchar', 'v': 'integer', 'occurred_at': 'timestamptz',
    'received_at': 'timestamptz', 'user_id': 'varchar', 'anon_id': 'varchar',
    'session_id': 'varchar', 'context': 'varchar', 'ids': 'varchar', 'payload': 'varchar',
    'bronze_dt': 'date'}) }}
{%- endmacro %}

{% macro bronze_events() -%}
  {%- if bronze_has_files() -%}
  (
    select
      {{ bronze_columns() }}
    from {{ source('bronze', 'events') }}
  )
  {%- else -%}
  (
    select
      null::uuid as event_id, null::varchar as event, null::integer as v,
      null::timestamptz as occurred_at, null::timestamptz as received_at,
      null::varchar as user_id, null::varchar as anon_id, null::varchar as session_id,
      null::varchar as context, null::varchar as ids, null::varchar as payload,
      null::date as bronze_dt
    where false
  )
  {%- endif -%}
{%- endmacro %}

{#-
  Keep the first copy of every event_id (earliest received). Only the few event_ids that
  occur more than once go through the window; ranking every row cost a third more CPU.
-#}
{% macro dedupe_by_event_id(relation) -%}
  {{ return(adapter.dispatch('dedupe_by_event_id', 'rastup')(relation)) }}
{%- endmacro %}

{#-
  Spark: the first copy of each event_id as a whole row (min_by over a struct of every
  column), then unpacked; Spark SQL has no `* exclude`.
-#}
{% macro spark__dedupe_by_event_id(relation) -%}
  (
    select _first.*
    from (
      select min_by(struct(*), struct(received_at, occurred_at, payload)) as _first
      from {{ relation }}
      where event_id is not null
      group by event_id
    )
  )
{%- endmacro %}

{% macro duckdb__dedupe_by_event_id(relation) -%}
  (
    with _duplicated as (
      select event_id
      from {{ relation }}
      where event_id is not null
      group by event_id
      having count(*) > 1
    )
    select *
    from {{ relation }}
    where event_id is not null
      and event_id not in (select event_id from _duplicated)
    union all
    select * exclude (_copy)
    from (
      select *, row_number() over (
        partition by event_id order by received_at, occurred_at, payload
      ) as _copy
      from {{ relation }}
      where event_id in (select event_id from _duplicated)
    )
    where _copy = 1
  )
{%- endmacro %}

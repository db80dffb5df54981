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
  Bronze's first copy of every event_id, as the typed Bronze columns: the copy received
  first; among copies received at the same moment, the one that occurred first, then the
  one first in Bronze (file, then row). Incremental runs read only the Bronze window
  (bronze_window_filter). Spark and the NRT views keep the first by dedupe_by_event_id
  (received_at, occurred_at, then payload): the rules differ only for copies received at
  the same moment with different payloads, which a retry never is.
-#}
{% macro bronze_first_copies() -%}
  {{ return(adapter.dispatch('bronze_first_copies', 'rastup')()) }}
{%- endmacro %}

{% macro default__bronze_first_copies() -%}
  (
    select * from {{ dedupe_by_event_id(
      '(select * from ' ~ bronze_events() ~ ' as b'
      ~ (' where ' ~ bronze_window_filter() if is_incremental() else '') ~ ')'
    ) }}
  )
{%- endmacro %}

{#-
  DuckDB: the later copies are found from a narrow read (event_id, the two times and each
  row's position: file name and row number) and the rows are read once more, without them.
  The event_ids read more than once are found by their hashes (a superset of them when two
  ids share a hash; the window then ranks each id apart): grouping 64-bit keys is cheaper
  than grouping the text.
  Bronze is not buffered between the reads (`not materialized`): ranking whole rows needed
  a copy of every column of Bronze in memory (6 GB at 10 M events), and the payload was
  decoded for every row only to break ties. event_id is cast to a UUID once, on the way out.
-#}
{% macro duckdb__bronze_first_copies() -%}
  {%- if not bronze_has_files() -%}
  {{ bronze_events() }}
  {%- else -%}
  (
    with _rows as not materialized (
      select * from {{ source('bronze', 'events') }}
      {%- if is_incremental() %}
      where {{ bronze_window_filter('dt') }}
      {%- endif %}
    ),
    _later_copies as (
      select filename, file_row_number
      from (
        select filename, file_row_number, row_number() over (
          partition by event_id order by received_at, occurred_at, filename, file_row_number
        ) as _copy
        from _rows
        where hash(event_id) in (
          select hash(event_id) from _rows
          where event_id is not null
          group by 1
          having count(*) > 1
        )
      )
      where _copy > 1
    )
    select {{ bronze_columns() }}
    from _rows
    where event_id is not null
      and (filename, file_row_number) not in (select filename, file_row_number from _later_copies)
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

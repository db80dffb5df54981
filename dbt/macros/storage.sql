{#-
  DuckDB tables with chosen column compression. A model that sets
  `column_compression={'column': 'method'}` gets its table created with those columns'
  compression (CREATE TABLE … USING COMPRESSION, then INSERT: a CREATE TABLE AS cannot set
  it). events_deduped stores its JSON payload with zstd: DuckDB's default string
  compression (DICT_FSST) spent twice the CPU for twice the size on that column. Every other
  table (and every temporary table of an incremental run) is created as dbt-duckdb creates
  it; an incremental run appends into the existing table, which keeps its compression.
-#}
{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
  {%- set compression = config.get('column_compression') or {} -%}
  {%- if compression and language == 'sql' and not temporary and not partitioned_by and not sorted_by -%}
    {%- set columns = adapter.get_column_schema_from_query(compiled_code) -%}
    create table {{ relation }} (
      {%- for column in columns %}
      {{ adapter.quote(column.name) }} {{ column.data_type }}
      {%- if column.name in compression %} using compression {{ compression[column.name] }}{% endif %}
      {{- "," if not loop.last }}
      {%- endfor %}
    );
    insert into {{ relation }} select * from ({{ compiled_code }}) as model_subq;
  {%- else -%}
    {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by, sorted_by) }}
  {%- endif -%}
{%- endmacro %}

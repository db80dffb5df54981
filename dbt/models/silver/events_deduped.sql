{#-
  Every accepted event once (bronze_first_copies: the first copy received), erased subjects
  removed. Of the envelope's context only city is kept and ids not at all: no model reads
  them, and copying their JSON text was a third of this model's write time.
  Incremental runs read only the Bronze window (see bronze_window_filter) and append the
  event_ids Silver does not hold yet; with reread_window the window's rows are deleted
  first and read again (a backfill).
  Rows are stored in event-type order: every fact and dimension reads a few types, and on
  a table clustered by type DuckDB's row-group statistics skip the other types' rows
  instead of decompressing every column around them. The sort costs a quarter of this
  model; the readers gain twice that (benchmarks/RESULTS.md, "Build").
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    column_compression={'payload': 'zstd'},
    pre_hook=[
      "{% if is_incremental() and var('reread_window') | string | lower == 'true' %}delete from {{ this }} where {{ bronze_window_filter() }}{% else %}select 1{% endif %}"
    ],
    post_hook=[
      "{{ delete_erased('user_id', 'anon_id') }}",
      "{{ delete_erased_links() }}"
    ]
) }}

with firsts as (
  select * from {{ bronze_first_copies() }} as f
)
select
  event_id,
  event,
  v,
  occurred_at,
  received_at,
  {{ utc_date('occurred_at') }} as dt,
  bronze_dt,
  user_id,
  anon_id,
  session_id,
  {{ json_text('context', 'city') }} as city,
  payload,
  now() as _loaded_at
from firsts
where {{ not_erased('user_id', 'anon_id') }}
  {#- Written as an OR so the payload is parsed for identity.linked rows only. #}
  and (event is distinct from 'identity.linked' or not coalesce({{ json_text('payload', 'user_id') }} in (
    select subject_id from {{ ref('erased_subjects') }} where subject_type = 'user'), false))
{%- if is_incremental() %}
  and event_id not in (select event_id from {{ this }})
{%- endif %}
{#- See above: clustered by event type for the readers. #}
order by event

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='path',
    schema='internal'
) }}
{#-
  One row per Bronze file folded in: its size and modification time when read (a file that
  changes is read again from scratch) and the newest event times of its rows of subjects
  not erased, from which lake_watermark takes the maximum.
-#}
with per_file as (
  select
    filename,
    count(*) as events,
    max(occurred_at) as newest_occurred_at,
    max(received_at) as newest_received_at
  from {{ source('nrt_input', 'new_bronze') }}
  where {{ not_erased('user_id', 'anon_id', erased=ref('nrt_erased_subjects')) }}
  group by filename
)
select
  p.path,
  p.bytes,
  p.modified,
  coalesce(f.events, 0) as events,
  f.newest_occurred_at,
  f.newest_received_at,
  now() as folded_at
from {{ source('nrt_input', 'pending_files') }} as p
left join per_file as f on f.filename = p.uri

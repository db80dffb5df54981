{{ config(alias='lake_watermark') }}
{#- The newest event times in Bronze (erased subjects excluded): the NRT views' as_of. -#}
select
  max(newest_occurred_at) as newest_occurred_at,
  max(newest_received_at) as newest_received_at,
  now() as refreshed_at
from {{ ref('nrt_bronze_files') }}

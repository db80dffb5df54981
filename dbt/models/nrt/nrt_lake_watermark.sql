{{ config(alias='lake_watermark') }}
{#- The newest event times in Bronze (erased subjects excluded): the NRT views' as_of. -#}
select
  max(occurred_at) as newest_occurred_at,
  max(received_at) as newest_received_at,
  now() as refreshed_at
from {{ bronze_events() }} as b
where {{ not_erased('user_id', 'anon_id') }}

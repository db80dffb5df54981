{#- Comms outcomes per UTC day and channel; rates over `sent` of the same day and channel. -#}
with daily as (
  select
    dt,
    channel,
    {{ comms_counts() }}
  from {{ ref('fact_comms') }}
  group by dt, channel
)
select
  dt,
  channel,
  sent,
  delivered,
  bounced,
  complained,
  opted_out,
  digest_suppressed,
  cast(delivered as double) / nullif(sent, 0) as delivery_rate,
  cast(bounced as double) / nullif(sent, 0) as bounce_rate,
  cast(complained as double) / nullif(sent, 0) as complaint_rate
from daily

{#- Comms outcomes per UTC day and channel; rates over `sent` of the same day and channel. -#}
with daily as (
  select
    dt,
    channel,
    cast(count(*) filter (where comms_event = 'sent') as bigint) as sent,
    cast(count(*) filter (where comms_event = 'delivered') as bigint) as delivered,
    cast(count(*) filter (where comms_event = 'bounced') as bigint) as bounced,
    cast(count(*) filter (where comms_event = 'complained') as bigint) as complained,
    cast(count(*) filter (where comms_event = 'opted_out') as bigint) as opted_out,
    cast(count(*) filter (where comms_event = 'digest_suppressed') as bigint) as digest_suppressed
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

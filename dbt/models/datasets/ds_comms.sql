{#- BI dataset: comms outcomes per UTC day, city and channel (counts as gold.kpi_comms_daily). -#}
select
  dt,
  city,
  channel,
  cast(count(*) filter (where comms_event = 'sent') as bigint) as sent,
  cast(count(*) filter (where comms_event = 'delivered') as bigint) as delivered,
  cast(count(*) filter (where comms_event = 'bounced') as bigint) as bounced,
  cast(count(*) filter (where comms_event = 'complained') as bigint) as complained,
  cast(count(*) filter (where comms_event = 'opted_out') as bigint) as opted_out,
  cast(count(*) filter (where comms_event = 'digest_suppressed') as bigint) as digest_suppressed
from {{ ref('fact_comms') }}
group by dt, city, channel

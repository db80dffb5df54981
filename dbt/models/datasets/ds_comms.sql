{#- BI dataset: comms outcomes per UTC day, city and channel (counts as gold.kpi_comms_daily). -#}
select
  dt,
  city,
  channel,
  {{ comms_counts() }}
from {{ ref('fact_comms') }}
group by dt, city, channel

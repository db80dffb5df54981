{#-
  BI dataset: gold.kpi_promotions_daily with the campaign's city (the city of its first
  promotions event), so city-scoped readers get their city's campaigns.
-#}
with campaign_city as (
  select campaign_id, {{ first_by('city', ['occurred_at', 'received_at', 'event_id']) }} as city
  from {{ ref('fact_promotions_events') }}
  where campaign_id is not null
  group by campaign_id
)
select
  p.dt,
  c.city,
  p.campaign_id,
  p.impressions,
  p.clicks,
  p.invalid_clicks,
  p.spend_cents,
  p.budget_cents
from {{ ref('kpi_promotions_daily') }} as p
left join campaign_city as c on c.campaign_id = p.campaign_id

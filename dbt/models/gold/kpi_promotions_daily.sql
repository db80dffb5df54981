{#-
  Promotions per UTC day and campaign, from impressions and clicks; budget_cents is the
  latest promo.budget.set of the campaign that occurred on or before the end of the day.
-#}
with counted as (
  select * from {{ ref('fact_promotions_events') }}
  where promo_event in ('impression', 'click') and campaign_id is not null
),
daily as (
  select
    dt,
    campaign_id,
    cast(count(*) filter (where promo_event = 'impression') as bigint) as impressions,
    cast(count(*) filter (where promo_event = 'click') as bigint) as clicks,
    cast(count(*) filter (where promo_event = 'click' and is_invalid) as bigint) as invalid_clicks,
    cast(coalesce(sum(cost_cents) filter (
      where promo_event = 'click' and not coalesce(is_invalid, false)), 0) as bigint)
      as spend_cents
  from counted
  group by dt, campaign_id
),
budgets as (
  select campaign_id, occurred_at, received_at, event_id, daily_budget_cents
  from {{ ref('fact_promotions_events') }}
  where promo_event = 'budget_set'
),
latest_budget as (
  select
    d.dt,
    d.campaign_id,
    {{ last_by('b.daily_budget_cents', ['b.occurred_at', 'b.received_at', 'b.event_id']) }} as budget_cents
  from daily as d
  join budgets as b
    on b.campaign_id = d.campaign_id
   and b.occurred_at < {{ utc_day_end('d.dt') }}
  group by d.dt, d.campaign_id
)
select
  d.dt,
  d.campaign_id,
  d.impressions,
  d.clicks,
  d.invalid_clicks,
  cast(d.clicks as double) / nullif(d.impressions, 0) as ctr,
  cast(d.invalid_clicks as double) / nullif(d.clicks, 0) as invalid_rate,
  d.spend_cents,
  cast(l.budget_cents as bigint) as budget_cents
from daily as d
left join latest_budget as l on l.dt = d.dt and l.campaign_id = d.campaign_id

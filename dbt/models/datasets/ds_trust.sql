{#-
  BI dataset: identity verification and background-check funnels, risk buckets and dispute
  outcomes per UTC day and city. Counts as gold.kpi_trust_daily and gold.kpi_disputes_daily
  (the first resolution of each dispute, on its day and city).
-#}
with trust as (
  select
    dt,
    city,
    {{ trust_counts() }}
  from {{ ref('fact_trust') }}
  group by dt, city
),
first_resolution as (
  select
    {{ first_by('dt', ['occurred_at', 'received_at', 'event_id']) }} as dt,
    {{ first_by('city', ['occurred_at', 'received_at', 'event_id']) }} as city,
    {{ first_by('outcome', ['occurred_at', 'received_at', 'event_id']) }} as outcome
  from {{ ref('fact_disputes') }}
  where dispute_event = 'resolved' and dispute_id is not null
  group by dispute_id
),
outcomes as (
  select
    dt,
    city,
    count(*) as disputes_resolved,
    count(*) filter (where outcome = 'won') as disputes_won,
    count(*) filter (where outcome = 'lost') as disputes_lost,
    count(*) filter (where outcome = 'refunded') as disputes_refunded,
    count(*) filter (where outcome = 'withdrawn') as disputes_withdrawn
  from first_resolution
  group by dt, city
)
select
  coalesce(t.dt, o.dt) as dt,
  coalesce(t.city, o.city) as city,
  cast(coalesce(t.idv_started, 0) as bigint) as idv_started,
  cast(coalesce(t.idv_passed, 0) as bigint) as idv_passed,
  cast(coalesce(t.idv_failed, 0) as bigint) as idv_failed,
  cast(coalesce(t.bg_clear, 0) as bigint) as bg_clear,
  cast(coalesce(t.bg_consider, 0) as bigint) as bg_consider,
  cast(coalesce(t.bg_suspended, 0) as bigint) as bg_suspended,
  cast(coalesce(t.risk_watch, 0) as bigint) as risk_watch,
  cast(coalesce(t.risk_action, 0) as bigint) as risk_action,
  cast(coalesce(t.risk_critical, 0) as bigint) as risk_critical,
  cast(coalesce(o.disputes_resolved, 0) as bigint) as disputes_resolved,
  cast(coalesce(o.disputes_won, 0) as bigint) as disputes_won,
  cast(coalesce(o.disputes_lost, 0) as bigint) as disputes_lost,
  cast(coalesce(o.disputes_refunded, 0) as bigint) as disputes_refunded,
  cast(coalesce(o.disputes_withdrawn, 0) as bigint) as disputes_withdrawn
from trust as t
full outer join outcomes as o on o.dt = t.dt and o.city is not distinct from t.city

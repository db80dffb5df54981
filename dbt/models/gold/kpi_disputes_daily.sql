{#-
  Disputes per UTC day (EVENTS.md v1.1): openings on their day; the first resolution of
  each dispute on its day, with the median hours from the (first) opening when known.
-#}
with opened as (
  select
    dt,
    cast(count(*) as bigint) as opened,
    cast(coalesce(sum(amount_cents), 0) as bigint) as disputed_cents
  from {{ ref('fact_disputes') }}
  where dispute_event = 'opened'
  group by dt
),
first_opening as (
  select dispute_id, min(occurred_at) as opened_at
  from {{ ref('fact_disputes') }}
  where dispute_event = 'opened' and dispute_id is not null
  group by dispute_id
),
first_resolution as (
  select
    dispute_id,
    {{ first_by('dt', ['occurred_at', 'received_at', 'event_id']) }} as dt,
    {{ first_by('outcome', ['occurred_at', 'received_at', 'event_id']) }} as outcome,
    min(occurred_at) as resolved_at
  from {{ ref('fact_disputes') }}
  where dispute_event = 'resolved' and dispute_id is not null
  group by dispute_id
),
resolved as (
  select
    r.dt,
    cast(count(*) as bigint) as resolved,
    cast(count(*) filter (where r.outcome = 'won') as bigint) as won,
    cast(count(*) filter (where r.outcome = 'lost') as bigint) as lost,
    cast(count(*) filter (where r.outcome = 'refunded') as bigint) as refunded,
    cast(count(*) filter (where r.outcome = 'withdrawn') as bigint) as withdrawn,
    {{ median_of('(' ~ epoch_seconds('r.resolved_at') ~ ' - ' ~ epoch_seconds('o.opened_at') ~ ') / 3600.0') }}
      as median_hours_to_resolve
  from first_resolution as r
  left join first_opening as o on o.dispute_id = r.dispute_id
  group by r.dt
)
select
  coalesce(o.dt, r.dt) as dt,
  coalesce(o.opened, 0) as opened,
  coalesce(o.disputed_cents, 0) as disputed_cents,
  coalesce(r.resolved, 0) as resolved,
  coalesce(r.won, 0) as won,
  coalesce(r.lost, 0) as lost,
  coalesce(r.refunded, 0) as refunded,
  coalesce(r.withdrawn, 0) as withdrawn,
  cast(r.median_hours_to_resolve as double) as median_hours_to_resolve
from opened as o
full outer join resolved as r on r.dt = o.dt

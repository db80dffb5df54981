{#-
  BI dataset: reconciliation, payout backlog, dispute queue and acceptance windows per UTC
  day and city. Money sums as gold.ops_recon_daily; open payouts and disputes as of the
  newest occurred_at in Silver, on the day they were created or opened; acceptance as
  gold.ops_acceptance_daily.
-#}
with as_of as (select max(occurred_at) as as_of from {{ ref('events_deduped') }}),
money as (
  select dt, city, payment_type as kind, amount_cents from {{ ref('fact_payments') }}
  union all
  select dt, city, 'payout', amount_cents from {{ ref('fact_payouts') }}
  where payout_event = 'created'
),
recon as (
  select
    dt,
    city,
    cast(coalesce(sum(amount_cents) filter (where kind = 'charge'), 0) as bigint) as charges_cents,
    cast(coalesce(sum(amount_cents) filter (where kind = 'refund'), 0) as bigint) as refunds_cents,
    cast(coalesce(sum(amount_cents) filter (where kind = 'payout'), 0) as bigint) as payouts_cents,
    cast(coalesce(sum(amount_cents) filter (where kind = 'fee'), 0) as bigint) as fees_cents
  from money
  group by dt, city
),
open_payouts as (
  select
    {{ first_by('dt', 'occurred_at') }} as dt,
    {{ first_by('city', 'occurred_at') }} as city,
    {{ first_by('amount_cents', 'occurred_at') }} as amount_cents
  from {{ ref('fact_payouts') }}
  where payout_event = 'created' and payout_id is not null
    and payout_id not in (
      select payout_id from {{ ref('fact_payouts') }}
      where payout_event = 'paid' and payout_id is not null
    )
  group by payout_id
),
backlog as (
  select dt, city, cast(count(*) as bigint) as payouts_open,
    cast(coalesce(sum(amount_cents), 0) as bigint) as payouts_open_cents
  from open_payouts group by dt, city
),
open_disputes as (
  select {{ first_by('dt', 'occurred_at') }} as dt, {{ first_by('city', 'occurred_at') }} as city
  from {{ ref('fact_disputes') }}
  where dispute_event = 'opened' and dispute_id is not null
    and dispute_id not in (
      select dispute_id from {{ ref('fact_disputes') }}
      where dispute_event = 'resolved' and dispute_id is not null
    )
  group by dispute_id
),
queue as (
  select dt, city, cast(count(*) as bigint) as disputes_open from open_disputes group by dt, city
),
keys as (
  select dt, city from recon
  union select dt, city from backlog
  union select dt, city from queue
  union select dt, city from {{ ref('ops_acceptance_daily') }}
)
select
  k.dt,
  k.city,
  coalesce(r.charges_cents, 0) as charges_cents,
  coalesce(r.refunds_cents, 0) as refunds_cents,
  coalesce(r.payouts_cents, 0) as payouts_cents,
  coalesce(r.fees_cents, 0) as fees_cents,
  coalesce(b.payouts_open, 0) as payouts_open,
  coalesce(b.payouts_open_cents, 0) as payouts_open_cents,
  coalesce(q.disputes_open, 0) as disputes_open,
  coalesce(a.requested, 0) as legs_requested,
  coalesce(a.accepted, 0) as legs_accepted,
  coalesce(a.accepted_in_window, 0) as legs_accepted_in_window,
  coalesce(a.declined, 0) as legs_declined,
  coalesce(a.expired, 0) as legs_expired,
  coalesce(a.pending, 0) as legs_pending,
  a.median_minutes_to_accept,
  (select as_of from as_of) as as_of
from keys as k
left join recon as r on r.dt = k.dt and r.city is not distinct from k.city
left join backlog as b on b.dt = k.dt and b.city is not distinct from k.city
left join queue as q on q.dt = k.dt and q.city is not distinct from k.city
left join {{ ref('ops_acceptance_daily') }} as a
  on a.dt = k.dt and a.city is not distinct from k.city

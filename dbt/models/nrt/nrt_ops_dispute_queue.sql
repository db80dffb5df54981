{{ config(alias='ops_dispute_queue') }}
{#- Disputes opened and not resolved, with their age at the newest event time. -#}
with opened as (
  select
    dispute_id,
    min(occurred_at) as opened_at,
    arg_min(booking_id, occurred_at) as booking_id,
    arg_min(charge_id, occurred_at) as charge_id,
    arg_min(amount_cents, occurred_at) as amount_cents,
    arg_min(currency, occurred_at) as currency,
    arg_min(reason, occurred_at) as reason
  from {{ ref('nrt_ops_events') }}
  where event = 'dispute.opened' and dispute_id is not null
  group by dispute_id
),
resolved as (
  select distinct dispute_id from {{ ref('nrt_ops_events') }}
  where event = 'dispute.resolved' and dispute_id is not null
),
as_of as (select newest_occurred_at as as_of from {{ ref('nrt_lake_watermark') }})
select
  o.dispute_id,
  o.booking_id,
  o.charge_id,
  o.amount_cents,
  o.currency,
  o.reason,
  o.opened_at,
  a.as_of,
  (epoch(a.as_of) - epoch(o.opened_at)) / 3600.0 as age_hours
from opened as o
cross join as_of as a
where o.dispute_id not in (select dispute_id from resolved)

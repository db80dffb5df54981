{#-
  One row per booking: its money so far and whether it is settled (EVENTS.md "Reconciliation:
  what must balance"). A booking is settled when booking.confirmed is known, every leg it
  announced (leg_count) has been seen, every leg is completed or cancelled, every completed
  leg has a payout.created and every cancelled leg has been refunded (as many
  payment.refund.succeeded as cancelled legs: refunds carry no leg_id). A settled booking
  must balance: charges = payouts + refunds + fees. An unsettled one is money in flight.
  settled_at is when the last of those conditions became true.
-#}
with legs as (
  select
    booking_id,
    leg_id,
    bool_or(leg_event = 'completed') as completed,
    bool_or(leg_event = 'cancelled') as cancelled,
    max(occurred_at) filter (where leg_event in ('completed', 'cancelled')) as ended_at
  from {{ ref('fact_booking_legs') }}
  where booking_id is not null and leg_id is not null
  group by booking_id, leg_id
),
paid_out_legs as (
  select distinct booking_id, leg_id
  from {{ ref('fact_payouts') }}
  where payout_event = 'created' and booking_id is not null and leg_id is not null
),
leg_state as (
  select
    l.booking_id,
    count(*) as legs_seen,
    count(*) filter (where l.completed) as legs_completed,
    count(*) filter (where l.cancelled and not l.completed) as legs_cancelled,
    count(*) filter (where not l.completed and not l.cancelled) as legs_open,
    count(*) filter (where l.completed and p.leg_id is null) as legs_awaiting_payout,
    max(l.ended_at) as last_leg_ended_at
  from legs as l
  left join paid_out_legs as p on p.booking_id = l.booking_id and p.leg_id = l.leg_id
  group by l.booking_id
),
payments as (
  select
    booking_id,
    coalesce(sum(amount_cents) filter (where payment_type = 'charge'), 0) as charges_cents,
    coalesce(sum(amount_cents) filter (where payment_type = 'refund'), 0) as refunds_cents,
    coalesce(sum(amount_cents) filter (where payment_type = 'fee'), 0) as fees_cents,
    count(*) filter (where payment_type = 'refund') as refunds,
    min(dt) filter (where payment_type = 'charge') as charged_dt,
    max(occurred_at) filter (where payment_type = 'refund') as last_refund_at
  from {{ ref('fact_payments') }}
  where booking_id is not null
  group by booking_id
),
payouts as (
  select
    booking_id,
    coalesce(sum(amount_cents), 0) as payouts_cents,
    max(occurred_at) as last_payout_at
  from {{ ref('fact_payouts') }}
  where payout_event = 'created' and booking_id is not null
  group by booking_id
),
bookings as (
  select booking_id, min(dt) as booked_dt, {{ first_by('leg_count', 'occurred_at') }} as leg_count
  from {{ ref('fact_bookings') }}
  where booking_id is not null
  group by booking_id
),
all_bookings as (
  select booking_id from bookings
  union select booking_id from leg_state
  union select booking_id from payments
  union select booking_id from payouts
),
joined as (
  select
    a.booking_id,
    b.booked_dt,
    p.charged_dt,
    b.leg_count,
    coalesce(l.legs_seen, 0) as legs_seen,
    coalesce(l.legs_completed, 0) as legs_completed,
    coalesce(l.legs_cancelled, 0) as legs_cancelled,
    coalesce(l.legs_open, 0) as legs_open,
    coalesce(l.legs_awaiting_payout, 0) as legs_awaiting_payout,
    greatest(coalesce(l.legs_cancelled, 0) - coalesce(p.refunds, 0), 0) as legs_awaiting_refund,
    cast(coalesce(p.charges_cents, 0) as bigint) as charges_cents,
    cast(coalesce(o.payouts_cents, 0) as bigint) as payouts_cents,
    cast(coalesce(p.refunds_cents, 0) as bigint) as refunds_cents,
    cast(coalesce(p.fees_cents, 0) as bigint) as fees_cents,
    greatest(l.last_leg_ended_at, o.last_payout_at, p.last_refund_at) as last_settling_at
  from all_bookings as a
  left join bookings as b on b.booking_id = a.booking_id
  left join leg_state as l on l.booking_id = a.booking_id
  left join payments as p on p.booking_id = a.booking_id
  left join payouts as o on o.booking_id = a.booking_id
),
judged as (
  select
    *,
    coalesce(
      leg_count is not null
      and legs_seen >= leg_count
      and legs_seen > 0
      and legs_open = 0
      and legs_awaiting_payout = 0
      and legs_awaiting_refund = 0,
      false) as is_settled
  from joined
)
select
  booking_id,
  booked_dt,
  charged_dt,
  leg_count,
  legs_seen,
  legs_completed,
  legs_cancelled,
  legs_open,
  legs_awaiting_payout,
  legs_awaiting_refund,
  charges_cents,
  payouts_cents,
  refunds_cents,
  fees_cents,
  {{ variance('charges_cents', 'refunds_cents', 'payouts_cents', 'fees_cents') }} as variance_cents,
  is_settled,
  case when is_settled then last_settling_at end as settled_at,
  case when is_settled then {{ utc_date('last_settling_at') }} end as settled_dt
from judged

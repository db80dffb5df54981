{{ config(schema='internal') }}
{#- Money and dispute events straight from Bronze, deduplicated and erasure-filtered. -#}
with bronze as (
  select * from {{ bronze_events() }} as b
  where event in (
    'payment.charge.succeeded', 'payment.refund.succeeded', 'payment.fee.recorded',
    'payout.created', 'payout.paid', 'dispute.opened', 'dispute.resolved')
),
firsts as (select * from {{ dedupe_by_event_id('bronze') }})
select
  event_id,
  event,
  occurred_at,
  {{ utc_date('occurred_at') }} as dt,
  case event
    when 'payment.charge.succeeded' then 'charge'
    when 'payment.refund.succeeded' then 'refund'
    when 'payment.fee.recorded' then 'fee'
    when 'payout.created' then 'payout'
  end as kind,
  case event when 'payout.created' then 'created' when 'payout.paid' then 'paid' end
    as payout_event,
  {{ field_str('payout_id') }} as payout_id,
  {{ field_str('dispute_id') }} as dispute_id,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('charge_id') }} as charge_id,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency,
  {{ field_str('reason') }} as reason,
  {{ field_str('outcome') }} as outcome
from {{ payload_events(
  'firsts',
  not_erased('user_id', 'anon_id'),
  ['payout_id', 'dispute_id', 'booking_id', 'charge_id', 'amount_cents', 'currency', 'reason', 'outcome'],
  new_only=false
) }}

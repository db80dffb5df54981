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
  {{ json_str('payout_id') }} as payout_id,
  {{ json_str('dispute_id') }} as dispute_id,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('charge_id') }} as charge_id,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency,
  {{ json_str('reason') }} as reason,
  {{ json_str('outcome') }} as outcome
from firsts
where {{ not_erased('user_id', 'anon_id') }}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    schema='internal'
) }}
{#-
  Money and dispute events of every Bronze file folded in so far, deduplicated (first copy
  by received_at) and erasure-filtered. Each refresh ranks the new rows together with the
  stored copies of the same event_ids and replaces those, so the result does not depend on
  the order files were folded in.
-#}
with new_rows as (
  select event_id, event, occurred_at, received_at, user_id, anon_id, payload
  from {{ ref('nrt_new_events') }}
  where event <> 'identity.linked'
),
candidates as (
  select * from new_rows
  {%- if is_incremental() %}
  union all
  select event_id, event, occurred_at, received_at, user_id, anon_id, payload
  from {{ this }}
  where event_id in (select event_id from new_rows)
  {%- endif %}
),
firsts as (select * from {{ dedupe_by_event_id('candidates') }})
select
  event_id,
  event,
  occurred_at,
  received_at,
  user_id,
  anon_id,
  payload,
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
  not_erased('user_id', 'anon_id', erased=ref('nrt_erased_subjects')),
  ['payout_id', 'dispute_id', 'booking_id', 'charge_id', 'amount_cents', 'currency', 'reason', 'outcome'],
  new_only=false
) }}

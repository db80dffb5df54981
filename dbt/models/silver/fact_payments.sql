{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per charge, refund or fee. -#}
select
  {{ fact_columns() }},
  case event when 'payment.charge.succeeded' then 'charge' when 'payment.refund.succeeded' then 'refund' else 'fee' end as payment_type,
  coalesce({{ field_str('refund_id') }}, {{ field_str('fee_id') }}, {{ field_str('charge_id') }}) as payment_id,
  {{ field_str('charge_id') }} as charge_id,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('leg_id') }} as leg_id,
  {{ field_str('fee_type') }} as fee_type,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency,
  {{ field_str('reason') }} as reason
from {{ payload_events(
  ref('events_deduped'),
  "event in ('payment.charge.succeeded', 'payment.refund.succeeded', 'payment.fee.recorded')",
  ['refund_id', 'fee_id', 'charge_id', 'booking_id', 'leg_id', 'fee_type', 'amount_cents', 'currency', 'reason']
) }}

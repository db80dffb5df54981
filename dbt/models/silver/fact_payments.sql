{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per charge, refund or fee. -#}
select
  {{ fact_columns() }},
  case event when 'payment.charge.succeeded' then 'charge' when 'payment.refund.succeeded' then 'refund' else 'fee' end as payment_type,
  coalesce({{ json_str('refund_id') }}, {{ json_str('fee_id') }}, {{ json_str('charge_id') }}) as payment_id,
  {{ json_str('charge_id') }} as charge_id,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('leg_id') }} as leg_id,
  {{ json_str('fee_type') }} as fee_type,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency,
  {{ json_str('reason') }} as reason
from {{ ref('events_deduped') }}
where event in ('payment.charge.succeeded', 'payment.refund.succeeded', 'payment.fee.recorded'){{ only_new_events() }}

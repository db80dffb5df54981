{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per payout.created or payout.paid. -#}
select
  {{ fact_columns() }},
  replace(event, 'payout.', '') as payout_event,
  {{ field_str('payout_id') }} as payout_id,
  {{ field_str('provider_id') }} as provider_id,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('leg_id') }} as leg_id,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency
from {{ payload_events(
  ref('events_deduped'),
  "event in ('payout.created', 'payout.paid')",
  ['payout_id', 'provider_id', 'booking_id', 'leg_id', 'amount_cents', 'currency']
) }}

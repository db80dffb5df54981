{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per dispute.opened or dispute.resolved. -#}
select
  {{ fact_columns() }},
  replace(event, 'dispute.', '') as dispute_event,
  {{ field_str('dispute_id') }} as dispute_id,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('charge_id') }} as charge_id,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency,
  {{ field_str('reason') }} as reason,
  {{ field_str('outcome') }} as outcome
from {{ payload_events(
  ref('events_deduped'),
  "event in ('dispute.opened', 'dispute.resolved')",
  ['dispute_id', 'booking_id', 'charge_id', 'amount_cents', 'currency', 'reason', 'outcome']
) }}

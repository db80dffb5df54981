{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per booking leg event (confirmed, cancelled, completed). -#}
select
  {{ fact_columns() }},
  replace(event, 'booking.leg.', '') as leg_event,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('leg_id') }} as leg_id,
  {{ field_str('provider_id') }} as provider_id,
  {{ field_str('provider_type') }} as provider_type,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency,
  try_cast({{ field_str('service_date') }} as date) as service_date,
  {{ field_str('cancelled_by') }} as cancelled_by,
  {{ field_str('reason') }} as reason
from {{ payload_events(
  ref('events_deduped'),
  "event in ('booking.leg.confirmed', 'booking.leg.cancelled', 'booking.leg.completed')",
  ['booking_id', 'leg_id', 'provider_id', 'provider_type', 'amount_cents', 'currency', 'service_date', 'cancelled_by', 'reason']
) }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per booking.confirmed. -#}
select
  {{ fact_columns() }},
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('checkout_id') }} as checkout_id,
  cast({{ field_int('leg_count') }} as integer) as leg_count,
  {{ field_int('total_amount_cents') }} as total_amount_cents,
  {{ field_str('currency') }} as currency
from {{ payload_events(
  ref('events_deduped'),
  "event = 'booking.confirmed'",
  ['booking_id', 'checkout_id', 'leg_count', 'total_amount_cents', 'currency']
) }}

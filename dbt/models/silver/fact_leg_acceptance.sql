{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per booking.leg.requested / accepted / declined (catalogue v1.1). -#}
select
  {{ fact_columns() }},
  replace(event, 'booking.leg.', '') as acceptance_event,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('leg_id') }} as leg_id,
  {{ field_str('provider_id') }} as provider_id,
  {{ field_str('provider_type') }} as provider_type,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency,
  try_cast({{ field_str('service_date') }} as date) as service_date,
  {{ try_timestamp(field_str('accept_by')) }} as accept_by,
  {{ field_str('reason') }} as reason
from {{ payload_events(
  ref('events_deduped'),
  "event in ('booking.leg.requested', 'booking.leg.accepted', 'booking.leg.declined')",
  ['booking_id', 'leg_id', 'provider_id', 'provider_type', 'amount_cents', 'currency', 'service_date', 'accept_by', 'reason']
) }}

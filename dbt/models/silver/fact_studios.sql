{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per studio event: verification, amenity use, quotes. -#}
select
  {{ fact_columns() }},
  case event when 'studio.verified' then 'verified' when 'studio.verification_failed' then 'verification_failed' when 'studio.amenity.used' then 'amenity_used' when 'studio.quote.requested' then 'quote_requested' else 'quote_accepted' end as studio_event,
  {{ field_str('studio_id') }} as studio_id,
  {{ field_str('method') }} as method,
  {{ field_str('reason') }} as reason,
  {{ field_str('booking_id') }} as booking_id,
  {{ field_str('amenity') }} as amenity,
  {{ field_str('quote_id') }} as quote_id,
  {{ field_int('amount_cents') }} as amount_cents,
  {{ field_str('currency') }} as currency
from {{ payload_events(
  ref('events_deduped'),
  "event like 'studio.%'",
  ['studio_id', 'method', 'reason', 'booking_id', 'amenity', 'quote_id', 'amount_cents', 'currency']
) }}

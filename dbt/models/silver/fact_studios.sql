{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per studio event: verification, amenity use, quotes. -#}
select
  {{ fact_columns() }},
  case event when 'studio.verified' then 'verified' when 'studio.verification_failed' then 'verification_failed' when 'studio.amenity.used' then 'amenity_used' when 'studio.quote.requested' then 'quote_requested' else 'quote_accepted' end as studio_event,
  {{ json_str('studio_id') }} as studio_id,
  {{ json_str('method') }} as method,
  {{ json_str('reason') }} as reason,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('amenity') }} as amenity,
  {{ json_str('quote_id') }} as quote_id,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency
from {{ ref('events_deduped') }}
where event like 'studio.%'{{ only_new_events() }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per booking leg event (confirmed, cancelled, completed). -#}
select
  {{ fact_columns() }},
  replace(event, 'booking.leg.', '') as leg_event,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('leg_id') }} as leg_id,
  {{ json_str('provider_id') }} as provider_id,
  {{ json_str('provider_type') }} as provider_type,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency,
  try_cast({{ json_str('service_date') }} as date) as service_date,
  {{ json_str('cancelled_by') }} as cancelled_by,
  {{ json_str('reason') }} as reason
from {{ ref('events_deduped') }}
where event in ('booking.leg.confirmed', 'booking.leg.cancelled', 'booking.leg.completed'){{ only_new_events() }}

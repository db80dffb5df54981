{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per booking.leg.requested / accepted / declined (catalogue v1.1). -#}
select
  {{ fact_columns() }},
  replace(event, 'booking.leg.', '') as acceptance_event,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('leg_id') }} as leg_id,
  {{ json_str('provider_id') }} as provider_id,
  {{ json_str('provider_type') }} as provider_type,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency,
  try_cast({{ json_str('service_date') }} as date) as service_date,
  try_cast({{ json_str('accept_by') }} as timestamptz) as accept_by,
  {{ json_str('reason') }} as reason
from {{ ref('events_deduped') }}
where event in ('booking.leg.requested', 'booking.leg.accepted', 'booking.leg.declined'){{ only_new_events() }}

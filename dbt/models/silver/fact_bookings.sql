{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per booking.confirmed. -#}
select
  {{ fact_columns() }},
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('checkout_id') }} as checkout_id,
  cast({{ json_int('leg_count') }} as integer) as leg_count,
  {{ json_int('total_amount_cents') }} as total_amount_cents,
  {{ json_str('currency') }} as currency
from {{ ref('events_deduped') }}
where event = 'booking.confirmed'{{ only_new_events() }}

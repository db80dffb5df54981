{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per payout.created or payout.paid. -#}
select
  {{ fact_columns() }},
  replace(event, 'payout.', '') as payout_event,
  {{ json_str('payout_id') }} as payout_id,
  {{ json_str('provider_id') }} as provider_id,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('leg_id') }} as leg_id,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency
from {{ ref('events_deduped') }}
where event in ('payout.created', 'payout.paid'){{ only_new_events() }}

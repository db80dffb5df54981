{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per dispute.opened or dispute.resolved. -#}
select
  {{ fact_columns() }},
  replace(event, 'dispute.', '') as dispute_event,
  {{ json_str('dispute_id') }} as dispute_id,
  {{ json_str('booking_id') }} as booking_id,
  {{ json_str('charge_id') }} as charge_id,
  {{ json_int('amount_cents') }} as amount_cents,
  {{ json_str('currency') }} as currency,
  {{ json_str('reason') }} as reason,
  {{ json_str('outcome') }} as outcome
from {{ ref('events_deduped') }}
where event in ('dispute.opened', 'dispute.resolved'){{ only_new_events() }}

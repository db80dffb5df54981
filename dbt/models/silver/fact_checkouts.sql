{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per checkout.start. -#}
select
  {{ fact_columns() }},
  {{ json_str('checkout_id') }} as checkout_id,
  {{ json_str('listing_id') }} as listing_id,
  {{ json_str('listing_type') }} as listing_type,
  {{ json_int('quoted_amount_cents') }} as quoted_amount_cents,
  {{ json_str('currency') }} as currency
from {{ ref('events_deduped') }}
where event = 'checkout.start'{{ only_new_events() }}

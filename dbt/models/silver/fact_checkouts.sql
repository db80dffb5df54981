{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per checkout.start. -#}
select
  {{ fact_columns() }},
  {{ field_str('checkout_id') }} as checkout_id,
  {{ field_str('listing_id') }} as listing_id,
  {{ field_str('listing_type') }} as listing_type,
  {{ field_int('quoted_amount_cents') }} as quoted_amount_cents,
  {{ field_str('currency') }} as currency
from {{ payload_events(
  ref('events_deduped'),
  "event = 'checkout.start'",
  ['checkout_id', 'listing_id', 'listing_type', 'quoted_amount_cents', 'currency']
) }}

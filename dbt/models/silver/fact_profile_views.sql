{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per profile.viewed. -#}
select
  {{ fact_columns() }},
  {{ field_str('listing_id') }} as listing_id,
  {{ field_str('listing_type') }} as listing_type,
  {{ field_str('source') }} as source
from {{ payload_events(
  ref('events_deduped'),
  "event = 'profile.viewed'",
  ['listing_id', 'listing_type', 'source']
) }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per search.impression. -#}
select
  {{ fact_columns() }},
  {{ field_str('search_id') }} as search_id,
  {{ field_str('listing_id') }} as listing_id,
  {{ field_str('listing_type') }} as listing_type,
  cast({{ field_int('rank') }} as integer) as rank,
  {{ field_bool('is_promoted') }} as is_promoted,
  {{ field_str('promotion_id') }} as promotion_id
from {{ payload_events(
  ref('events_deduped'),
  "event = 'search.impression'",
  ['search_id', 'listing_id', 'listing_type', 'rank', 'is_promoted', 'promotion_id']
) }}

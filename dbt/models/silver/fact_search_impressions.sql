{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per search.impression. -#}
select
  {{ fact_columns() }},
  {{ json_str('search_id') }} as search_id,
  {{ json_str('listing_id') }} as listing_id,
  {{ json_str('listing_type') }} as listing_type,
  cast({{ json_int('rank') }} as integer) as rank,
  {{ json_bool('is_promoted') }} as is_promoted,
  {{ json_str('promotion_id') }} as promotion_id
from {{ ref('events_deduped') }}
where event = 'search.impression'{{ only_new_events() }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per profile.viewed. -#}
select
  {{ fact_columns() }},
  {{ json_str('listing_id') }} as listing_id,
  {{ json_str('listing_type') }} as listing_type,
  {{ json_str('source') }} as source
from {{ ref('events_deduped') }}
where event = 'profile.viewed'{{ only_new_events() }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per promotions event: budget set, impression, click. -#}
select
  {{ fact_columns() }},
  case event when 'promo.budget.set' then 'budget_set' when 'promo.impression' then 'impression' else 'click' end as promo_event,
  {{ json_str('campaign_id') }} as campaign_id,
  {{ json_str('promotion_id') }} as promotion_id,
  {{ json_str('listing_id') }} as listing_id,
  {{ json_str('placement') }} as placement,
  {{ json_bool('is_invalid') }} as is_invalid,
  {{ json_str('invalid_reason') }} as invalid_reason,
  {{ json_int('cost_cents') }} as cost_cents,
  {{ json_int('daily_budget_cents') }} as daily_budget_cents,
  {{ json_str('currency') }} as currency
from {{ ref('events_deduped') }}
where event in ('promo.budget.set', 'promo.impression', 'promo.click'){{ only_new_events() }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per promotions event: budget set, impression, click. -#}
select
  {{ fact_columns() }},
  case event when 'promo.budget.set' then 'budget_set' when 'promo.impression' then 'impression' else 'click' end as promo_event,
  {{ field_str('campaign_id') }} as campaign_id,
  {{ field_str('promotion_id') }} as promotion_id,
  {{ field_str('listing_id') }} as listing_id,
  {{ field_str('placement') }} as placement,
  {{ field_bool('is_invalid') }} as is_invalid,
  {{ field_str('invalid_reason') }} as invalid_reason,
  {{ field_int('cost_cents') }} as cost_cents,
  {{ field_int('daily_budget_cents') }} as daily_budget_cents,
  {{ field_str('currency') }} as currency
from {{ payload_events(
  ref('events_deduped'),
  "event in ('promo.budget.set', 'promo.impression', 'promo.click')",
  ['campaign_id', 'promotion_id', 'listing_id', 'placement', 'is_invalid', 'invalid_reason', 'cost_cents', 'daily_budget_cents', 'currency']
) }}

{#-
  One row per search.impression: about 60 % of all events, so it is a view over
  events_deduped (stored clustered by event type) instead of a second copy of those rows.
  Its payload fields are parsed when a query reads them; readers of the envelope columns
  only (the funnel marts) parse nothing. Erasure needs no pruning here: events_deduped's is
  the one copy.
-#}
{{ config(materialized='view') }}
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
  ['search_id', 'listing_id', 'listing_type', 'rank', 'is_promoted', 'promotion_id'],
  new_only=false
) }}

{#- Distinct resolved persons reaching each funnel stage per UTC day. -#}
with stages as (
  select dt, user_id, anon_id, 'search_impression' as stage from {{ ref('fact_search_impressions') }}
  union all
  select dt, user_id, anon_id, 'search_click' from {{ ref('fact_search_clicks') }}
  union all
  select dt, user_id, anon_id, 'profile_view' from {{ ref('fact_profile_views') }}
  union all
  select dt, user_id, anon_id, 'checkout_start' from {{ ref('fact_checkouts') }}
  union all
  select dt, user_id, anon_id, 'booking_confirmed' from {{ ref('fact_bookings') }}
)
select
  s.dt,
  s.stage,
  cast(count(distinct coalesce(s.user_id, i.user_id, s.anon_id)) as bigint) as users
from stages as s
left join {{ ref('dim_identity') }} as i on s.user_id is null and i.anon_id = s.anon_id
group by s.dt, s.stage

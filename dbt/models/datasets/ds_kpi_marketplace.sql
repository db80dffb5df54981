{#-
  BI dataset: bookings, GMV, platform fees and the conversion funnel per UTC day and city.
  Booking columns are gold.kpi_marketplace_daily; the funnel counts distinct resolved persons
  per stage as gold.kpi_funnel_daily does, per city of the event.
-#}
with stages as (
  select dt, city, user_id, anon_id, 'search_impression' as stage
  from {{ ref('fact_search_impressions') }}
  union all
  select dt, city, user_id, anon_id, 'search_click' from {{ ref('fact_search_clicks') }}
  union all
  select dt, city, user_id, anon_id, 'profile_view' from {{ ref('fact_profile_views') }}
  union all
  select dt, city, user_id, anon_id, 'checkout_start' from {{ ref('fact_checkouts') }}
  union all
  select dt, city, user_id, anon_id, 'booking_confirmed' from {{ ref('fact_bookings') }}
),
{#-
  Each person once per day, city and stage, then counted per stage: five distinct counts
  over the funnel's rows kept five hash tables of them, three times the time.
-#}
funnel_persons as (
  select distinct s.dt, s.city, s.stage, coalesce(s.user_id, i.user_id, s.anon_id) as person
  from stages as s
  left join {{ ref('dim_identity') }} as i on s.user_id is null and i.anon_id = s.anon_id
),
funnel as (
  select
    dt,
    city,
    cast(count(person) filter (where stage = 'search_impression') as bigint)
      as search_impression_users,
    cast(count(person) filter (where stage = 'search_click') as bigint) as search_click_users,
    cast(count(person) filter (where stage = 'profile_view') as bigint) as profile_view_users,
    cast(count(person) filter (where stage = 'checkout_start') as bigint)
      as checkout_start_users,
    cast(count(person) filter (where stage = 'booking_confirmed') as bigint)
      as booking_confirmed_users
  from funnel_persons
  group by dt, city
)
select
  coalesce(m.dt, f.dt) as dt,
  coalesce(m.city, f.city) as city,
  coalesce(m.bookings, 0) as bookings,
  coalesce(m.gmv_cents, 0) as gmv_cents,
  coalesce(m.platform_fee_cents, 0) as platform_fee_cents,
  coalesce(f.search_impression_users, 0) as search_impression_users,
  coalesce(f.search_click_users, 0) as search_click_users,
  coalesce(f.profile_view_users, 0) as profile_view_users,
  coalesce(f.checkout_start_users, 0) as checkout_start_users,
  coalesce(f.booking_confirmed_users, 0) as booking_confirmed_users
from {{ ref('kpi_marketplace_daily') }} as m
full outer join funnel as f on f.dt = m.dt and f.city is not distinct from m.city

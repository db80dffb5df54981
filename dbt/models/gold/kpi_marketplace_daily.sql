{#- Bookings, GMV and platform fees by UTC day and city of the counted event. -#}
with counted as (
  select dt, city, booking_id, cast(0 as bigint) as gmv, cast(0 as bigint) as fee
  from {{ ref('fact_bookings') }}
  union all
  select dt, city, null, coalesce(amount_cents, 0), 0
  from {{ ref('fact_booking_legs') }} where leg_event = 'confirmed'
  union all
  select dt, city, null, 0, coalesce(amount_cents, 0)
  from {{ ref('fact_payments') }} where payment_type = 'fee' and fee_type = 'platform'
),
daily as (
  select
    dt,
    city,
    cast(count(distinct booking_id) as bigint) as bookings,
    cast(sum(gmv) as bigint) as gmv_cents,
    cast(sum(fee) as bigint) as platform_fee_cents
  from counted
  group by dt, city
)
select
  dt,
  city,
  bookings,
  gmv_cents,
  platform_fee_cents,
  cast(platform_fee_cents as double) / nullif(gmv_cents, 0) as take_rate
from daily

{#- Studio verification, amenity use and quote success per UTC day. -#}
with daily as (
  select
    dt,
    {{ studio_counts() }}
  from {{ ref('fact_studios') }}
  group by dt
)
select
  dt,
  verified,
  verification_failed,
  cast(verified as double) / nullif(verified + verification_failed, 0) as verification_rate,
  amenity_uses,
  quotes_requested,
  quotes_accepted,
  cast(quotes_accepted as double) / nullif(quotes_requested, 0) as quote_success_rate
from daily

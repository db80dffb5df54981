{#- Studio verification, amenity use and quote success per UTC day. -#}
with daily as (
  select
    dt,
    cast(count(*) filter (where studio_event = 'verified') as bigint) as verified,
    cast(count(*) filter (where studio_event = 'verification_failed') as bigint)
      as verification_failed,
    cast(count(*) filter (where studio_event = 'amenity_used') as bigint) as amenity_uses,
    cast(count(*) filter (where studio_event = 'quote_requested') as bigint) as quotes_requested,
    cast(count(*) filter (where studio_event = 'quote_accepted') as bigint) as quotes_accepted
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

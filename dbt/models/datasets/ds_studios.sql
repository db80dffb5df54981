{#- BI dataset: studio verification, amenity use and quotes per UTC day and city (counts as
gold.kpi_studios_daily). -#}
select
  dt,
  city,
  cast(count(*) filter (where studio_event = 'verified') as bigint) as verified,
  cast(count(*) filter (where studio_event = 'verification_failed') as bigint)
    as verification_failed,
  cast(count(*) filter (where studio_event = 'amenity_used') as bigint) as amenity_uses,
  cast(count(*) filter (where studio_event = 'quote_requested') as bigint) as quotes_requested,
  cast(count(*) filter (where studio_event = 'quote_accepted') as bigint) as quotes_accepted
from {{ ref('fact_studios') }}
group by dt, city

{#- BI dataset: studio verification, amenity use and quotes per UTC day and city (counts as
gold.kpi_studios_daily). -#}
select
  dt,
  city,
  {{ studio_counts() }}
from {{ ref('fact_studios') }}
group by dt, city

{#-
  First exposure per resolved unit and experiment. An anonymous unit resolves to the user
  its anon_id is linked to, so exposures before and after login count as one unit; a unit
  that saw more than one variant is a crossover.
-#}
with exposures as (
  select
    {{ json_text('e.payload', 'exp_key') }} as exp_key,
    {{ json_text('e.payload', 'variant') }} as variant,
    {{ json_text('e.payload', 'unit_id') }} as unit_id,
    {{ json_text('e.payload', 'unit_type') }} as unit_type,
    e.occurred_at,
    e.event_id
  from {{ ref('events_deduped') }} as e
  where e.event = 'exp.exposure'
),
resolved as (
  select
    x.*,
    case when x.unit_type = 'anon' then coalesce(i.user_id, x.unit_id) else x.unit_id end
      as resolved_unit_id
  from exposures as x
  left join {{ ref('dim_identity') }} as i on x.unit_type = 'anon' and i.anon_id = x.unit_id
)
select
  exp_key,
  resolved_unit_id,
  {{ first_by('variant', ['occurred_at', 'event_id']) }} as first_variant,
  min(occurred_at) as first_exposed_at,
  {{ utc_date('min(occurred_at)') }} as first_dt,
  cast(count(*) as integer) as exposures,
  cast(count(distinct variant) as integer) as variants_seen,
  count(distinct variant) > 1 as is_crossover
from resolved
where exp_key is not null and resolved_unit_id is not null
group by exp_key, resolved_unit_id

{#- One row per pseudonymous user seen in any event (envelope user_id or identity link). -#}
with sightings as (
  select user_id, occurred_at, city from {{ ref('events_deduped') }} where user_id is not null
  union all
  select {{ json_text('payload', 'user_id') }}, occurred_at, city
  from {{ ref('events_deduped') }}
  where event = 'identity.linked' and {{ json_text('payload', 'user_id') }} is not null
),
signups as (
  select
    user_id,
    min(occurred_at) as signed_up_at,
    {{ first_by(json_text('payload', 'role'), 'occurred_at') }} as signup_role,
    {{ first_by(json_text('payload', 'method'), 'occurred_at') }} as signup_method
  from {{ ref('events_deduped') }}
  where event = 'user.signed_up' and user_id is not null
  group by user_id
)
select
  s.user_id,
  min(s.occurred_at) as first_seen_at,
  max(s.occurred_at) as last_seen_at,
  {{ first_by('s.city', 's.occurred_at') }} filter (where s.city is not null) as first_city,
  any_value(g.signed_up_at) as signed_up_at,
  any_value(g.signup_role) as signup_role,
  any_value(g.signup_method) as signup_method
from sightings as s
left join signups as g on g.user_id = s.user_id
group by s.user_id

{#- anon_id -> user_id from identity.linked; the earliest link wins if an anon_id was linked twice. -#}
with links as (
  select
    {{ json_text('payload', 'anon_id') }} as anon_id,
    coalesce({{ json_text('payload', 'user_id') }}, user_id) as user_id,
    occurred_at
  from {{ ref('events_deduped') }}
  where event = 'identity.linked'
)
select
  anon_id,
  {{ first_by('user_id', 'occurred_at') }} as user_id,
  min(occurred_at) as linked_at,
  cast(count(distinct user_id) as integer) as linked_users
from links
where anon_id is not null and user_id is not null
group by anon_id

{#- Every id that must vanish: tombstoned ids (users, and anonymous ids an erasure resolved),
    and the anonymous ids identity.linked ties to tombstoned users. -#}
with tombstoned as (
  select distinct user_id from {{ source('privacy', 'tombstones') }} where user_id is not null
),
links as (
  select
    payload ->> 'anon_id' as linked_anon_id,
    anon_id as envelope_anon_id,
    coalesce(payload ->> 'user_id', user_id) as linked_user_id
  from {{ bronze_events() }} as b
  where event = 'identity.linked'
),
erased_links as (
  select l.* from links as l join tombstoned as t on l.linked_user_id = t.user_id
)
select 'user' as subject_type, user_id as subject_id from tombstoned
union
select 'anon', user_id from tombstoned
union
select 'anon', linked_anon_id from erased_links where linked_anon_id is not null
union
select 'anon', envelope_anon_id from erased_links where envelope_anon_id is not null

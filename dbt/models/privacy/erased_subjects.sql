{#- Every id that must vanish: tombstoned ids (users, and anonymous ids an erasure resolved),
    and the anonymous ids identity.linked ties to tombstoned users. -#}
with links as (
  {{ identity_links(bronze_events() ~ ' as b') }}
)
{{ erased_subjects_from('links') }}

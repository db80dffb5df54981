{#- Every id that must vanish: tombstoned ids (users, and anonymous ids an erasure resolved),
    and the anonymous ids identity.linked ties to tombstoned users. -#}
with links as (
  {{ identity_links(bronze_events() ~ ' as b') }}
  {%- if not has_tombstones() %}
  {#- Nothing is erased, so no link can tie an id to an erased user: the plan reads no Bronze
      (this model starts the build's critical path). #}
  and false
  {%- endif %}
)
{{ erased_subjects_from('links') }}

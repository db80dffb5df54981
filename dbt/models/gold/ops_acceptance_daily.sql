{#-
  Requested booking legs per UTC day and city of the request, by outcome (EVENTS.md v1.1):
  the first answer by occurred_at decides; unanswered past accept_by at as_of = the newest
  occurred_at in Silver is expired, else pending.
-#}
with requests as (
  select
    leg_id,
    min(occurred_at) as requested_at,
    {{ first_by('dt', 'occurred_at') }} as dt,
    {{ first_by('city', 'occurred_at') }} as city,
    {{ first_by('accept_by', 'occurred_at') }} as accept_by
  from {{ ref('fact_leg_acceptance') }}
  where acceptance_event = 'requested' and leg_id is not null
  group by leg_id
),
answers as (
  select
    leg_id,
    {{ first_by('acceptance_event', ['occurred_at', 'received_at', 'event_id']) }} as outcome,
    min(occurred_at) as answered_at
  from {{ ref('fact_leg_acceptance') }}
  where acceptance_event in ('accepted', 'declined') and leg_id is not null
  group by leg_id
),
legs as (
  select
    r.dt,
    r.city,
    r.requested_at,
    r.accept_by,
    a.outcome,
    a.answered_at,
    (select max(occurred_at) from {{ ref('events_deduped') }}) as as_of
  from requests as r
  left join answers as a on a.leg_id = r.leg_id
),
daily as (
  select
    dt,
    city,
    cast(count(*) as bigint) as requested,
    cast(count(*) filter (where outcome = 'accepted') as bigint) as accepted,
    cast(count(*) filter (where outcome = 'accepted' and answered_at <= accept_by) as bigint)
      as accepted_in_window,
    cast(count(*) filter (where outcome = 'declined') as bigint) as declined,
    cast(count(*) filter (where outcome is null and accept_by < as_of) as bigint) as expired,
    {{ median_of('(' ~ epoch_seconds('answered_at') ~ ' - ' ~ epoch_seconds('requested_at') ~ ') / 60.0') }}
      filter (where outcome = 'accepted') as median_minutes_to_accept
  from legs
  group by dt, city
)
select
  dt,
  city,
  requested,
  accepted,
  accepted_in_window,
  declined,
  expired,
  requested - accepted - declined - expired as pending,
  cast(accepted_in_window as double) / nullif(requested, 0) as acceptance_rate,
  cast(median_minutes_to_accept as double) as median_minutes_to_accept
from daily

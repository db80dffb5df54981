{#- Identity verification, background checks and risk buckets per UTC day. -#}
with daily as (
  select
    dt,
    count(*) filter (where trust_event = 'idv_started') as idv_started,
    count(*) filter (where trust_event = 'idv_passed') as idv_passed,
    count(*) filter (where trust_event = 'idv_failed') as idv_failed,
    count(*) filter (where trust_event = 'bgcheck_completed' and bg_result = 'clear') as bg_clear,
    count(*) filter (where trust_event = 'bgcheck_completed' and bg_result = 'consider')
      as bg_consider,
    count(*) filter (where trust_event = 'bgcheck_completed' and bg_result = 'suspended')
      as bg_suspended,
    count(*) filter (where trust_event = 'risk_scored' and risk_bucket = 'watch') as risk_watch,
    count(*) filter (where trust_event = 'risk_scored' and risk_bucket = 'action') as risk_action,
    count(*) filter (where trust_event = 'risk_scored' and risk_bucket = 'critical')
      as risk_critical
  from {{ ref('fact_trust') }}
  group by dt
)
select
  dt,
  cast(idv_started as bigint) as idv_started,
  cast(idv_passed as bigint) as idv_passed,
  cast(idv_failed as bigint) as idv_failed,
  cast(idv_passed as double) / nullif(idv_passed + idv_failed, 0) as idv_pass_rate,
  cast(bg_clear as bigint) as bg_clear,
  cast(bg_consider as bigint) as bg_consider,
  cast(bg_suspended as bigint) as bg_suspended,
  cast(risk_watch as bigint) as risk_watch,
  cast(risk_action as bigint) as risk_action,
  cast(risk_critical as bigint) as risk_critical
from daily

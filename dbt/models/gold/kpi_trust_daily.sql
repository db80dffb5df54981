{#- Identity verification, background checks and risk buckets per UTC day. -#}
with daily as (
  select
    dt,
    {{ trust_counts() }}
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

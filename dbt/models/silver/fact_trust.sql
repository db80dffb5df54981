{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per trust event: identity verification, background check, risk score. -#}
select
  {{ fact_columns() }},
  case event when 'idv.started' then 'idv_started' when 'idv.passed' then 'idv_passed' when 'idv.failed' then 'idv_failed' when 'bgcheck.completed' then 'bgcheck_completed' else 'risk_scored' end as trust_event,
  {{ field_str('check_id') }} as check_id,
  {{ field_str('subject_role') }} as subject_role,
  {{ field_str('reason_code') }} as reason_code,
  {{ field_str('result') }} as bg_result,
  {{ field_str('subject_id') }} as subject_id,
  {{ field_double('score') }} as risk_score,
  {{ field_str('bucket') }} as risk_bucket
from {{ payload_events(
  ref('events_deduped'),
  "event in ('idv.started', 'idv.passed', 'idv.failed', 'bgcheck.completed', 'risk.scored')",
  ['check_id', 'subject_role', 'reason_code', 'result', 'subject_id', 'score', 'bucket']
) }}

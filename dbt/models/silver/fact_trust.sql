{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per trust event: identity verification, background check, risk score. -#}
select
  {{ fact_columns() }},
  case event when 'idv.started' then 'idv_started' when 'idv.passed' then 'idv_passed' when 'idv.failed' then 'idv_failed' when 'bgcheck.completed' then 'bgcheck_completed' else 'risk_scored' end as trust_event,
  {{ json_str('check_id') }} as check_id,
  {{ json_str('subject_role') }} as subject_role,
  {{ json_str('reason_code') }} as reason_code,
  {{ json_str('result') }} as bg_result,
  {{ json_str('subject_id') }} as subject_id,
  try_cast(payload ->> 'score' as double) as risk_score,
  {{ json_str('bucket') }} as risk_bucket
from {{ ref('events_deduped') }}
where event in ('idv.started', 'idv.passed', 'idv.failed', 'bgcheck.completed', 'risk.scored'){{ only_new_events() }}

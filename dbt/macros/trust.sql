{#-
  The trust funnel's counts over rows of fact_trust: identity verification, background-check
  results and risk buckets. One list for gold.kpi_trust_daily (per day) and the BI dataset
  datasets.ds_trust (per day and city), so the two count the same way.
-#}
{% macro trust_counts() -%}
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
{%- endmacro %}

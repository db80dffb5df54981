{#-
  The counts a Gold daily mart and its BI dataset share: the mart counts per day, the dataset
  per day and city (and channel), from the same Silver fact and with one list of filters, so
  the two count the same way.
-#}

{#- fact_trust: identity verification, background-check results and risk buckets
    (gold.kpi_trust_daily, datasets.ds_trust). -#}
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


{#- fact_comms: message outcomes (gold.kpi_comms_daily, datasets.ds_comms). -#}
{% macro comms_counts() -%}
    cast(count(*) filter (where comms_event = 'sent') as bigint) as sent,
    cast(count(*) filter (where comms_event = 'delivered') as bigint) as delivered,
    cast(count(*) filter (where comms_event = 'bounced') as bigint) as bounced,
    cast(count(*) filter (where comms_event = 'complained') as bigint) as complained,
    cast(count(*) filter (where comms_event = 'opted_out') as bigint) as opted_out,
    cast(count(*) filter (where comms_event = 'digest_suppressed') as bigint) as digest_suppressed
{%- endmacro %}


{#- fact_studios: verification, amenity use and quotes (gold.kpi_studios_daily,
    datasets.ds_studios). -#}
{% macro studio_counts() -%}
    cast(count(*) filter (where studio_event = 'verified') as bigint) as verified,
    cast(count(*) filter (where studio_event = 'verification_failed') as bigint)
      as verification_failed,
    cast(count(*) filter (where studio_event = 'amenity_used') as bigint) as amenity_uses,
    cast(count(*) filter (where studio_event = 'quote_requested') as bigint) as quotes_requested,
    cast(count(*) filter (where studio_event = 'quote_accepted') as bigint) as quotes_accepted
{%- endmacro %}

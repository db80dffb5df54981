{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per comms event. -#}
select
  {{ fact_columns() }},
  replace(event, 'comms.', '') as comms_event,
  {{ field_str('message_id') }} as message_id,
  {{ field_str('channel') }} as channel,
  {{ field_str('category') }} as category,
  {{ field_str('template') }} as template,
  {{ field_str('bounce_type') }} as bounce_type,
  {{ field_str('digest_id') }} as digest_id,
  {{ field_str('reason') }} as reason
from {{ payload_events(
  ref('events_deduped'),
  "event like 'comms.%'",
  ['message_id', 'channel', 'category', 'template', 'bounce_type', 'digest_id', 'reason']
) }}

{{ config(materialized='incremental', incremental_strategy='append', post_hook=["{{ prune_fact() }}"]) }}
{#- One row per comms event. -#}
select
  {{ fact_columns() }},
  replace(event, 'comms.', '') as comms_event,
  {{ json_str('message_id') }} as message_id,
  {{ json_str('channel') }} as channel,
  {{ json_str('category') }} as category,
  {{ json_str('template') }} as template,
  {{ json_str('bounce_type') }} as bounce_type,
  {{ json_str('digest_id') }} as digest_id,
  {{ json_str('reason') }} as reason
from {{ ref('events_deduped') }}
where event like 'comms.%'{{ only_new_events() }}

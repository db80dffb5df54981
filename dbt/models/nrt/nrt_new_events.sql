{{ config(schema='nrt_input', materialized='view') }}
{#-
  The rows of this refresh's new Bronze files the views need (money, disputes, identity
  links), typed. `refresh_nrt` reads them out of Bronze before dbt runs (its NRT_EVENTS, a
  build reads them ahead while dbt starts), with only the columns the views read. A view:
  its two readers take disjoint rows, so nothing is typed twice, and the refresh does not
  copy the rows once more.
-#}
select
  {{ bronze_columns(['event_id', 'event', 'occurred_at', 'received_at', 'user_id', 'anon_id', 'payload']) }}
from {{ source('nrt_input', 'new_rows') }}

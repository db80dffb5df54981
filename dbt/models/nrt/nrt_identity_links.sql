{{ config(materialized='incremental', incremental_strategy='append', schema='internal') }}
{#- Every identity link seen in the Bronze files folded in so far (a set): erasure needs them. -#}
select distinct linked_anon_id, envelope_anon_id, linked_user_id
from ({{ identity_links(ref('nrt_new_events')) }})
{%- if is_incremental() %}
except
select linked_anon_id, envelope_anon_id, linked_user_id from {{ this }}
{%- endif %}

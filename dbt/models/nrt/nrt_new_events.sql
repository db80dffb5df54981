{{ config(schema='nrt_input') }}
{#- The rows of this refresh's new Bronze files the views need: money, disputes, identity links. -#}
select
  {{ bronze_columns() }}
from {{ source('nrt_input', 'new_bronze') }}
where event in (
  'payment.charge.succeeded', 'payment.refund.succeeded', 'payment.fee.recorded',
  'payout.created', 'payout.paid', 'dispute.opened', 'dispute.resolved', 'identity.linked')

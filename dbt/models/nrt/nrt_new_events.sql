{{ config(schema='nrt_input') }}
{#-
  The rows of this refresh's new Bronze files the views need (money, disputes, identity
  links), with the columns they read: a full refresh reads all of Bronze, and decoding the
  envelope's context, ids and session of every row was a third of this model.
-#}
select
  {{ bronze_columns(['event_id', 'event', 'occurred_at', 'received_at', 'user_id', 'anon_id', 'payload']) }}
from {{ source('nrt_input', 'new_bronze') }}
where event in (
  'payment.charge.succeeded', 'payment.refund.succeeded', 'payment.fee.recorded',
  'payout.created', 'payout.paid', 'dispute.opened', 'dispute.resolved', 'identity.linked')

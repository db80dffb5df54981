{#- Charges against payouts, refunds and fees per UTC day of each money event. -#}
with money as (
  select dt, payment_type as kind, amount_cents from {{ ref('fact_payments') }}
  union all
  select dt, 'payout', amount_cents from {{ ref('fact_payouts') }} where payout_event = 'created'
),
daily as ({{ recon_daily('money') }})
select
  dt,
  charges_cents,
  refunds_cents,
  payouts_cents,
  fees_cents,
  {{ variance('charges_cents', 'refunds_cents', 'payouts_cents', 'fees_cents') }} as variance_cents
from daily

{{ config(alias='ops_recon') }}
{#- Live reconciliation variance: one row per UTC day plus one `overall` row (dt null). -#}
with daily as ({{ recon_daily(ref('nrt_ops_events')) }}),
scoped as (
  select 'day' as scope, * from daily
  union all
  select
    'overall', null::date,
    cast(coalesce(sum(charges_cents), 0) as bigint),
    cast(coalesce(sum(refunds_cents), 0) as bigint),
    cast(coalesce(sum(payouts_cents), 0) as bigint),
    cast(coalesce(sum(fees_cents), 0) as bigint)
  from daily
)
select
  scope,
  dt,
  charges_cents,
  refunds_cents,
  payouts_cents,
  fees_cents,
  {{ variance('charges_cents', 'refunds_cents', 'payouts_cents', 'fees_cents') }} as variance_cents
from scoped

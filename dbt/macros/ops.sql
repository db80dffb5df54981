{#-
  Shared definitions of the ops views, used by the Gold marts (from Silver) and by the
  NRT views (straight from Bronze). `payouts` has payout_event/payout_id/amount_cents/
  occurred_at; `as_of` is a timestamptz expression.
-#}
{% macro open_payouts(payouts, as_of) -%}
  with created as (
    select
      payout_id,
      min(occurred_at) as created_at,
      {{ first_by('amount_cents', 'occurred_at') }} as amount_cents
    from {{ payouts }}
    where payout_event = 'created' and payout_id is not null
    group by payout_id
  ),
  paid as (
    select distinct payout_id from {{ payouts }}
    where payout_event = 'paid' and payout_id is not null
  )
  select
    c.payout_id,
    c.created_at,
    c.amount_cents,
    ({{ as_of }}) as as_of,
    {{ epoch_seconds('(' ~ as_of ~ ')') }} - {{ epoch_seconds('c.created_at') }} as age_seconds
  from created as c
  where c.payout_id not in (select payout_id from paid)
{%- endmacro %}

{% macro age_bucket(age_seconds) -%}
  case
    when {{ age_seconds }} < 24 * 3600 then '0-1d'
    when {{ age_seconds }} < 72 * 3600 then '1-3d'
    when {{ age_seconds }} < 168 * 3600 then '3-7d'
    else '7d+'
  end
{%- endmacro %}

{#- Daily money sums; `money` has dt, kind (charge|refund|fee|payout) and amount_cents. -#}
{% macro recon_daily(money) -%}
  select
    dt,
    cast(coalesce(sum(amount_cents) filter (where kind = 'charge'), 0) as bigint) as charges_cents,
    cast(coalesce(sum(amount_cents) filter (where kind = 'refund'), 0) as bigint) as refunds_cents,
    cast(coalesce(sum(amount_cents) filter (where kind = 'payout'), 0) as bigint) as payouts_cents,
    cast(coalesce(sum(amount_cents) filter (where kind = 'fee'), 0) as bigint) as fees_cents
  from {{ money }}
  group by dt
{%- endmacro %}

{% macro variance(charges, refunds, payouts, fees) -%}
  cast(abs({{ charges }} - ({{ payouts }} + {{ refunds }} + {{ fees }})) as bigint)
{%- endmacro %}

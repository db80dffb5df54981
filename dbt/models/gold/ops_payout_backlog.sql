{#- Payouts created and not paid, aged at the newest occurred_at in Silver. -#}
with open_payouts as (
  {{ open_payouts(ref('fact_payouts'),
                  "(select max(occurred_at) from " ~ ref('events_deduped') ~ ")") }}
)
select
  {{ age_bucket('age_seconds') }} as age_bucket,
  cast(count(*) as bigint) as payouts,
  cast(coalesce(sum(amount_cents), 0) as bigint) as amount_cents
from open_payouts
group by 1

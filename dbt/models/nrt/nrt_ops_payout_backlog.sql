{{ config(alias='ops_payout_backlog') }}
{#- Live payout backlog by age bucket (same definition as gold.ops_payout_backlog). -#}
with open_payouts as (
  {{ open_payouts(ref('nrt_ops_events'),
                  "(select newest_occurred_at from " ~ ref('nrt_lake_watermark') ~ ")") }}
)
select
  {{ age_bucket('age_seconds') }} as age_bucket,
  cast(count(*) as bigint) as payouts,
  cast(coalesce(sum(amount_cents), 0) as bigint) as amount_cents,
  max(as_of) as as_of
from open_payouts
group by 1

"""Metric histories that put the rules in known states, for both evaluators.

Each scenario gives series (a selector with equality matchers) as a value per minute from
minute 0, the minute of evaluation, and the alerts (rule and labels) that must fire then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Values = Callable[[int], float]

LAG_BOUNDS = (
    "0.1",
    "0.25",
    "0.5",
    "1.0",
    "2.0",
    "5.0",
    "10.0",
    "30.0",
    "60.0",
    "120.0",
    "300.0",
    "+Inf",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    series: dict[str, Values]
    eval_minute: int
    fires: set[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=set)


def _lag(seconds_bucket: str, per_minute: int) -> dict[str, Values]:
    """A lag histogram whose every event falls in the bucket ending at ``seconds_bucket``."""
    series: dict[str, Values] = {}
    reached = False
    for bound in LAG_BOUNDS:
        reached = reached or bound == seconds_bucket
        series[f'rastup_ingest_lag_seconds_bucket{{le="{bound}"}}'] = (
            (lambda m: float(per_minute * m)) if reached else (lambda m: 0.0)
        )
    series["rastup_ingest_lag_seconds_count"] = lambda m: float(per_minute * m)
    return series


SCENARIOS = (
    Scenario(
        "a batch could not be made durable",
        {'rastup_errors_total{code="EVENT_PUT_FAILED"}': lambda m: 0.0 if m < 3 else 1.0},
        4,
        {("event_put_failed", ())},
    ),
    Scenario(
        "ingest p95 over 120 s for 10 minutes (and the latency SLO burning)",
        _lag("300.0", 10),
        15,
        {
            ("pipeline_lag", ()),
            ("slo_ingest_latency_fast_burn", (("slo", "ingest_latency"),)),
            ("slo_ingest_latency_slow_burn", (("slo", "ingest_latency"),)),
            ("slo_ingest_latency_budget_burn", (("slo", "ingest_latency"),)),
        },
    ),
    Scenario(
        "ingest p95 over 120 s, but not yet for 10 minutes",
        _lag("300.0", 10),
        8,
        {
            ("slo_ingest_latency_fast_burn", (("slo", "ingest_latency"),)),
            ("slo_ingest_latency_slow_burn", (("slo", "ingest_latency"),)),
            ("slo_ingest_latency_budget_burn", (("slo", "ingest_latency"),)),
        },
    ),
    Scenario("healthy ingest lag", _lag("1.0", 10), 15, set()),
    Scenario(
        "5 % of ingest requests fail: every availability window burns",
        {
            'rastup_http_requests_total{route="/v1/events",status="202"}': lambda m: 95.0 * m,
            'rastup_http_requests_total{route="/v1/events",status="503"}': lambda m: 5.0 * m,
        },
        70,
        {
            ("slo_ingest_availability_fast_burn", (("slo", "ingest_availability"),)),
            ("slo_ingest_availability_slow_burn", (("slo", "ingest_availability"),)),
            ("slo_ingest_availability_budget_burn", (("slo", "ingest_availability"),)),
        },
    ),
    Scenario(
        "0.05 % of ingest requests fail: within the budget",
        {
            'rastup_http_requests_total{route="/v1/events",status="202"}': lambda m: 9995.0 * m,
            'rastup_http_requests_total{route="/v1/events",status="503"}': lambda m: 5.0 * m,
        },
        70,
        set(),
    ),
    Scenario(
        "NRT views 21 minutes old: the alarm and the freshness SLO",
        {"rastup_nrt_freshness_seconds": lambda m: 1260.0},
        70,
        {
            ("nrt_stale", ()),
            ("slo_nrt_freshness_fast_burn", (("slo", "nrt_freshness"),)),
            ("slo_nrt_freshness_slow_burn", (("slo", "nrt_freshness"),)),
            ("slo_nrt_freshness_budget_burn", (("slo", "nrt_freshness"),)),
        },
    ),
    Scenario(
        "a budget at 85 %, another at 10 %",
        {
            'rastup_budget_used_ratio{resource="scanned_per_day"}': lambda m: 0.85,
            'rastup_budget_used_ratio{resource="lake_storage"}': lambda m: 0.1,
        },
        2,
        {("budget_alarm", (("resource", "scanned_per_day"),))},
    ),
    Scenario(
        "search clicks at a tenth of the usual hour; a rare event quiet",
        {
            'rastup_ingest_hour_events{event="search.click"}': lambda m: 20.0,
            'rastup_ingest_hour_baseline_events{event="search.click"}': lambda m: 200.0,
            'rastup_ingest_hour_events{event="idv.failed"}': lambda m: 0.0,
            'rastup_ingest_hour_baseline_events{event="idv.failed"}': lambda m: 40.0,
        },
        20,
        {("volume_drop", (("event", "search.click"),))},
    ),
    Scenario(
        "a spike of invalid checkouts",
        {
            'rastup_quarantine_hour_events{event="checkout.start"}': lambda m: 300.0,
            'rastup_quarantine_hour_baseline_events{event="checkout.start"}': lambda m: 10.0,
        },
        12,
        {("invalid_events_spike", (("event", "checkout.start"),))},
    ),
    Scenario(
        "a guardrail failed in an experiment",
        {
            'rastup_experiment_guardrail_failed{experiment="search_ranking_v2",'
            'variant="treatment",metric="refund_rate"}': lambda m: 1.0,
            'rastup_experiment_srm{experiment="search_ranking_v2"}': lambda m: 0.0,
        },
        1,
        {
            (
                "experiment_guardrail_breach",
                (
                    ("experiment", "search_ranking_v2"),
                    ("metric", "refund_rate"),
                    ("variant", "treatment"),
                ),
            )
        },
    ),
)

"""Platform metrics in Prometheus exposition format.

One registry per process (no global state): every error code has a counter labelled with
``env``, ``component`` and ``severity``, so alert rules can count any code from the first
scrape on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from rastup_data.errors import ERROR_CODES, ErrorCode

__all__ = ["LAG_BUCKETS", "BulkHistogram", "PlatformMetrics", "merge_expositions"]

LAG_BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class BulkHistogram(Collector):
    """A histogram fed with pre-aggregated bucket counts (e.g. from one SQL query)."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.buckets = tuple(buckets)
        self._counts = [0] * (len(self.buckets) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()

    def add(self, counts_le: Sequence[int], total: int, value_sum: float) -> None:
        """Add cumulative counts (``counts_le[i]`` = observations ≤ bucket i) and totals."""
        with self._lock:
            previous = 0
            for i, cumulative in enumerate(counts_le):
                self._counts[i] += cumulative - previous
                previous = cumulative
            self._counts[-1] += total - previous
            self._sum += value_sum

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, count in zip((*self.buckets, float("inf")), self._counts, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            total_sum = self._sum
        yield HistogramMetricFamily(
            self.name, self.documentation, buckets=buckets, sum_value=total_sum
        )


class PlatformMetrics:
    """The metrics one process exports."""

    def __init__(self, env: str = "dev") -> None:
        self.env = env
        self.registry = CollectorRegistry(auto_describe=True)
        self.errors = Counter(
            "rastup_errors",
            "Occurrences of each error code.",
            ["code", "env", "component", "severity"],
            registry=self.registry,
        )
        for code, info in ERROR_CODES.items():
            self.errors.labels(code.value, env, info.component, info.severity.value)
        self.events = Counter(
            "rastup_ingest_events",
            "Events by ingest outcome.",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("accepted", "duplicate", "rejected", "suppressed"):
            self.events.labels(outcome)
        self.requests = Counter(
            "rastup_http_requests",
            "HTTP requests by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.client_aborts = Counter(
            "rastup_client_aborts",
            "Requests whose client went away before they were read (answered nobody).",
            ["route"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rastup_http_request_duration_seconds",
            "Request latency by route.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.ingest_lag = BulkHistogram(
            "rastup_ingest_lag_seconds",
            "Per event: landed in Bronze minus received by the collector.",
            LAG_BUCKETS,
        )
        self.registry.register(self.ingest_lag)
        self.spool_bytes = Gauge(
            "rastup_spool_bytes", "Bytes in the spool not yet landed.", registry=self.registry
        )
        self.spool_writer_up = Gauge(
            "rastup_spool_writer_up",
            "Spool writers running; a collector whose writer stopped says 0, then restarts.",
            registry=self.registry,
        )
        self.lander_backlog = Gauge(
            "rastup_lander_backlog_segments",
            "Sealed spool segments waiting to land.",
            registry=self.registry,
        )
        self.landed_segments = Counter(
            "rastup_lander_segments", "Segments landed.", registry=self.registry
        )
        self.landed_events = Counter(
            "rastup_lander_events", "Events landed in Bronze.", registry=self.registry
        )
        self.nrt_freshness = Gauge(
            "rastup_nrt_freshness_seconds",
            "Seconds since the NRT ops views were last refreshed.",
            registry=self.registry,
        )

        self.dsar_requests = Gauge(
            "rastup_dsar_requests",
            "DSAR erasure requests by state (received, excluded, blocked, purged, verified).",
            ["state"],
            registry=self.registry,
        )
        self.dsar_overdue = Gauge(
            "rastup_dsar_overdue_requests",
            "Open DSAR erasures past their deadline (alert DSAR_OVERDUE above 0).",
            registry=self.registry,
        )

        self.scanned_bytes = Counter(
            "rastup_query_scanned_bytes",
            "Bytes scanned by queries through the query gate, by path.",
            ["path"],
            registry=self.registry,
        )
        self.scanned_today = Gauge(
            "rastup_query_scanned_bytes_today",
            "Bytes scanned today (UTC) in this environment, from the audit log.",
            registry=self.registry,
        )
        self.scanned_budget_ratio = Gauge(
            "rastup_query_scanned_budget_ratio",
            "Share of the environment's daily scanned-bytes budget used today (alarm at 0.8).",
            registry=self.registry,
        )

        self.bi_refreshes = Counter(
            "rastup_bi_refreshes",
            "BI extract refreshes by dataset and outcome (ok, failed).",
            ["dataset", "outcome"],
            registry=self.registry,
        )

    def count_error(self, code: ErrorCode, n: int = 1) -> None:
        info = ERROR_CODES[code]
        self.errors.labels(code.value, self.env, info.component, info.severity.value).inc(n)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def merge_expositions(texts: Iterable[str]) -> bytes:
    """One exposition summing samples with equal names and labels across processes.

    Counters and histograms add up; gauges add up too, which is right for per-process
    quantities (spool bytes) and harmless for gauges only one process sets.
    """
    from prometheus_client.parser import text_string_to_metric_families

    families: dict[str, tuple[str, str]] = {}
    samples: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            families.setdefault(family.name, (family.type, family.documentation))
            bucket = samples.setdefault(family.name, {})
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue  # creation times do not add up across processes
                key = (sample.name, tuple(sorted(sample.labels.items())))
                bucket[key] = bucket.get(key, 0.0) + float(sample.value)
    lines: list[str] = []
    for name, (kind, doc) in families.items():
        if not samples[name]:  # e.g. the *_created families the parser splits off
            continue
        lines.append(f"# HELP {name} {doc}")
        lines.append(f"# TYPE {name} {kind}")
        for (sample_name, labels), value in samples[name].items():
            rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            lines.append(
                f"{sample_name}{{{rendered}}} {value!r}" if rendered else f"{sample_name} {value!r}"
            )
    return ("\n".join(lines) + "\n").encode()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

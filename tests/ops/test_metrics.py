"""Platform metrics: every code is exported from the first scrape, bulk histograms add
pre-aggregated buckets correctly, and expositions of several processes merge by summing."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from rastup_data.errors import ERROR_CODES, ErrorCode
from rastup_data.ops.metrics import LAG_BUCKETS, BulkHistogram, PlatformMetrics, merge_expositions


def _samples(text: bytes | str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    raw = text.decode() if isinstance(text, bytes) else text
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(raw)
        for s in family.samples
        if not s.name.endswith("_created")
    }


def _error_key(code: ErrorCode, env: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    info = ERROR_CODES[code]
    labels = {"code": code.value, "env": env, "component": info.component}
    labels["severity"] = info.severity.value
    return "rastup_errors_total", tuple(sorted(labels.items()))


def test_every_error_code_is_exported_at_zero_before_it_happens() -> None:
    samples = _samples(PlatformMetrics("prod").exposition())
    for code in ErrorCode:
        assert samples[_error_key(code, "prod")] == 0.0, code
    for outcome in ("accepted", "duplicate", "rejected"):
        assert samples[("rastup_ingest_events_total", (("outcome", outcome),))] == 0.0


def test_counting_an_error_increments_only_its_own_series() -> None:
    metrics = PlatformMetrics("stage")
    metrics.count_error(ErrorCode.LAND_FAILED)
    metrics.count_error(ErrorCode.LAND_FAILED, 4)
    samples = _samples(metrics.exposition())
    assert samples[_error_key(ErrorCode.LAND_FAILED, "stage")] == 5.0
    others = [samples[_error_key(c, "stage")] for c in ErrorCode if c is not ErrorCode.LAND_FAILED]
    assert set(others) == {0.0}


def test_bulk_histogram_turns_cumulative_counts_into_prometheus_buckets() -> None:
    histogram = BulkHistogram("lag_seconds", "lag", (1.0, 5.0))
    # Observations 0.5, 0.7 (≤1), 3 (≤5), 9 and 12 (above): cumulative counts (2, 3), total 5.
    histogram.add((2, 3), 5, 0.5 + 0.7 + 3 + 9 + 12)
    histogram.add((1, 1), 2, 0.2 + 100)  # 0.2 (≤1) and 100 (above)
    (family,) = histogram.collect()
    by_bound = {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}
    assert by_bound == {"1.0": 3, "5.0": 4, "+Inf": 7}
    totals = {s.name: s.value for s in family.samples if not s.name.endswith("_bucket")}
    assert totals["lag_seconds_count"] == 7
    assert abs(totals["lag_seconds_sum"] - 125.4) < 1e-9


def test_ingest_lag_histogram_is_part_of_the_exposition() -> None:
    metrics = PlatformMetrics()
    metrics.ingest_lag.add([0] * 3 + [10] * (len(LAG_BUCKETS) - 3), 10, 8.0)
    samples = _samples(metrics.exposition())
    assert samples[("rastup_ingest_lag_seconds_bucket", (("le", "0.25"),))] == 0
    assert samples[("rastup_ingest_lag_seconds_bucket", (("le", "1.0"),))] == 10
    assert samples[("rastup_ingest_lag_seconds_count", ())] == 10


def test_merging_sums_counters_histograms_and_gauges_across_processes() -> None:
    first, second = PlatformMetrics("prod"), PlatformMetrics("prod")
    first.events.labels("accepted").inc(7)
    second.events.labels("accepted").inc(5)
    second.events.labels("rejected").inc(2)
    first.spool_bytes.set(100)
    second.spool_bytes.set(50)
    first.latency.labels("/v1/events").observe(0.003)
    second.latency.labels("/v1/events").observe(0.2)
    second.count_error(ErrorCode.EVENT_PUT_FAILED)
    text = merge_expositions([first.exposition().decode(), second.exposition().decode()])
    assert b"_created" not in text, "creation times do not add up across processes"
    merged = _samples(text)
    assert merged[("rastup_ingest_events_total", (("outcome", "accepted"),))] == 12
    assert merged[("rastup_ingest_events_total", (("outcome", "rejected"),))] == 2
    assert merged[("rastup_spool_bytes", ())] == 150
    latency = (("le", "0.005"), ("route", "/v1/events"))
    assert merged[("rastup_http_request_duration_seconds_bucket", latency)] == 1
    assert merged[("rastup_http_request_duration_seconds_count", (("route", "/v1/events"),))] == 2
    assert merged[_error_key(ErrorCode.EVENT_PUT_FAILED, "prod")] == 1


def test_merged_exposition_escapes_label_values_and_parses_back() -> None:
    metrics = PlatformMetrics()
    metrics.requests.labels('/odd"route\\', "200").inc(3)
    merged = merge_expositions([metrics.exposition().decode()] * 2)
    samples = _samples(merged)
    key = ("rastup_http_requests_total", (("route", '/odd"route\\'), ("status", "200")))
    assert samples[key] == 6

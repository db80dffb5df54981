"""Soak: the seed's lag test (10 k events/min for 15 min) and the same at 10× (100 k/min).

Each rate is one run on loopback against a real ``rastup-data serve`` with everything an
operator runs on: its scheduler (alert evaluation every 30 s, the BI refresh catch-up, the
daily jobs), NRT refresh and the lander, in the environment given (``--env``, default
``stage``). Before serve starts, the lake gets one simulated day loaded and built, so it is
in the state of a lake in use (a published build today, BI extracts refreshable) rather
than an empty one.

A paced sender in its own process posts simulator events (every event type of the
catalogue, valid, each with a fresh ``event_id`` and ``occurred_at`` of the moment it is
sent) as JSON-array bodies over one keep-alive connection: every tick (0.25 s) it sends
what is due at the rate, so a slow answer makes the next body larger, never the rate
lower. 503/429 and lost connections are retried with the same body (the collector's dedupe
makes that safe). While it runs, the benchmark samples every ``--sample-every`` seconds:

- NRT freshness: now minus the newest ``received_at`` the current NRT snapshot saw (the age
  of the newest event visible in the NRT views), and serve's ``rastup_nrt_freshness_seconds``;
- CPU seconds of the serve process tree (finished children such as the BI refresh
  included), its resident memory (peak sampled every 0.5 s), the spool backlog.

At the end serve is stopped (it lands what it spooled), and the run reports ingest → Bronze
latency per event (manifest time of its file minus its ``received_at``; p50/p95/p99/max and
the worst minute's p95), every accepted event counted in Bronze (``all_accepted_landed``),
the alerts notified as firing during the run (the target is none: each one is a false
alarm, reported with its rule), the alert evaluations the scheduler ran, and the lake's
bytes. With ``--build-at MINUTE`` the daily build also runs (``scheduler run daily_build``,
recorded like a scheduled run) that far into the load, so ingest, NRT and alerts compete
with a build; its seconds, exit code and CPU are reported apart (``build_during_load``).
Progress lines go to stderr; one JSON document (a list, one object per rate) to stdout.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson

from benchmarks._common import (
    RssSampler,
    bronze_lag,
    free_port,
    machine,
    start_serve,
    tree_cpu_seconds,
    tree_rss_bytes,
)

KEY = "soak-key"
MAX_PER_REQUEST = 1000  # the collector's max_events_per_request
RETRY_STATUSES = frozenset({429, 502, 503, 504})
TARGET_LAG_P95_S = 60.0  # seed: ingest → queryable p95 ≤ 60 s
TARGET_NRT_AGE_S = 600.0  # seed: NRT views ≤ 10 min behind


@dataclass(frozen=True, slots=True)
class SoakOptions:
    """One soak run."""

    rate_per_min: int
    minutes: float
    env: str = "stage"
    sample_every_s: float = 15.0
    tick_s: float = 0.25
    nrt_interval_s: float = 30.0
    prepare_users: int = 300
    build_at_min: float | None = None


@dataclass(frozen=True, slots=True)
class SenderPlan:
    """What the sender process sends, where, how fast."""

    port: int
    rate_per_s: float
    seconds: float
    tick_s: float
    pool_users: int


# --- the paced sender (its own process) ------------------------------------------------------


def event_pool(users: int) -> list[dict[str, Any]]:
    """Valid simulator events of one day (every event type of the catalogue)."""
    from rastup_data.simulate import SimulationConfig, iter_event_lines

    config = SimulationConfig(
        seed=13,
        days=1,
        users=users,
        start=datetime.now(UTC).date(),
        duplicate_rate=0.0,
        late_rate=0.0,
        malformed_rate=0.0,
    )
    return [orjson.loads(line) for line in iter_event_lines(config)]


def restamped_body(pool: list[dict[str, Any]], start: int, count: int) -> bytes:
    """A JSON array of ``count`` pool events from ``start`` (cycling), each with a new
    ``event_id`` and ``occurred_at`` now."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    parts = []
    for i in range(start, start + count):
        event = pool[i % len(pool)]
        event["ids"]["event_id"] = str(uuid.uuid4())
        event["occurred_at"] = now
        parts.append(orjson.dumps(event))
    return b"[" + b",".join(parts) + b"]"


class _Poster:
    """One keep-alive connection; retries a body until the collector answers it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.statuses: dict[int, int] = {}
        self.retries = 0
        self.latencies: list[float] = []

    def post(self, body: bytes) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        for attempt in range(8):
            started = time.perf_counter()
            try:
                self.conn.request("POST", "/v1/events", body, headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                status, data = 0, b""
            else:
                status = response.status
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 202:
                return dict(orjson.loads(data))
            if status and status not in RETRY_STATUSES:
                return None
            self.retries += 1
            time.sleep(min(8.0, 0.5 * 2**attempt))
        return None


def send_paced(plan: SenderPlan, counters: Any, out: Any) -> None:
    """Send ``rate_per_s`` events a second for ``seconds``; report totals on ``out``."""
    pool = event_pool(plan.pool_users)
    out.put({"pool": len(pool)})
    poster = _Poster(plan.port)
    total = int(plan.rate_per_s * plan.seconds)
    sent = accepted = duplicates = rejected = failed = 0
    behind_max = 0.0
    started = time.perf_counter()
    tick = 0
    while sent < total:
        tick += 1
        delay = started + tick * plan.tick_s - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elapsed = time.perf_counter() - started
        due = min(total, int(plan.rate_per_s * elapsed))
        behind_max = max(behind_max, (due - sent) / plan.rate_per_s)
        while sent < due:
            count = min(due - sent, MAX_PER_REQUEST)
            answer = poster.post(restamped_body(pool, sent, count))
            sent += count
            if answer is None:
                failed += count
            else:
                accepted += int(answer["accepted"])
                duplicates += int(answer["duplicates"])
                rejected += int(answer["rejected"])
            counters[0], counters[1] = sent, accepted
    out.put(
        {
            "sent": sent,
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": rejected,
            "failed_events": failed,
            "requests": dict(sorted(poster.statuses.items())),
            "retries": poster.retries,
            "seconds": round(time.perf_counter() - started, 1),
            "behind_schedule_max_s": round(behind_max, 2),
            "request_latency_ms": _quantiles([v * 1000 for v in poster.latencies]),
        }
    )


# --- measuring ------------------------------------------------------------------------------


def _quantiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"samples": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"samples": len(ordered), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def scrape(port: int) -> dict[str, float]:
    """Unlabelled samples of serve's /metrics (the gauges the soak watches)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return values


def nrt_data_age(lake: Path) -> float | None:
    """Seconds between now and the newest event the current NRT snapshot saw."""
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.transform import read_nrt_freshness

    try:
        freshness = read_nrt_freshness(LakeLayout(lake))
    except (OSError, ValueError):
        return None
    if freshness is None or freshness.newest_received_at is None:
        return None
    return round(freshness.lag_seconds(datetime.now(UTC)), 1)


def lake_bytes(lake: Path) -> dict[str, int]:
    """Bytes on disk per top-level folder of the lake (``_node`` is serve's work folder)."""
    sizes: dict[str, int] = {}
    for path in lake.rglob("*"):
        if path.is_file():
            top = path.relative_to(lake).parts[0]
            try:
                sizes[top] = sizes.get(top, 0) + path.stat().st_size
            except OSError:
                continue
    sizes["total"] = sum(sizes.values())
    return dict(sorted(sizes.items()))


def bronze_rows(lake: Path) -> int:
    files = list((lake / "bronze" / "events").rglob("*.parquet"))
    if not files:
        return 0
    glob = f"{lake}/bronze/events/**/*.parquet"
    return int(duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0][0])


def _cli(env: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "rastup_data.cli", "--env", env, *args]
    return subprocess.run(command, capture_output=True, check=True)


def prepare_lake(lake: Path, options: SoakOptions) -> float:
    """One simulated day (of today) loaded into Bronze and built: a lake in use."""
    started = time.perf_counter()
    out = lake.parent / "prepare"
    today = datetime.now(UTC).date().isoformat()
    _cli(options.env, "simulate", "--out", str(out), "--days", "1", "--no-progress",
         "--users", str(options.prepare_users), "--start", today)  # fmt: skip
    _cli(options.env, "lake", "load", "--lake", str(lake), str(out / "events.ndjson"))
    _cli(options.env, "build", "--lake", str(lake))
    return round(time.perf_counter() - started, 1)


def alerts_fired(lake: Path, env: str, since: datetime) -> list[dict[str, Any]]:
    """Notifications of alerts firing since ``since`` (from the state database)."""
    minutes = int((datetime.now(UTC) - since).total_seconds() // 60) + 2
    history = _cli(env, "alerts", "history", "--lake", str(lake), "--since", f"{minutes}m",
                   "--format", "json", "--limit", "10000")  # fmt: skip
    events = orjson.loads(history.stdout)["events"]
    return [
        {k: e.get(k) for k in ("at", "rule", "labels", "severity", "value", "summary")}
        for e in events
        if e.get("status") in {"firing", "repeat"}
    ]


def scheduler_runs(lake: Path, since: datetime) -> dict[str, dict[str, int]]:
    """Runs of each scheduled job since ``since``, by outcome."""
    from rastup_data.config import Settings
    from rastup_data.scheduler.records import SchedulerRuns
    from rastup_data.state import open_state

    settings = Settings.from_env(lake=str(lake))
    counts: dict[str, dict[str, int]] = {}
    with open_state(settings.state_url, lake=settings.lake) as state:
        for run in SchedulerRuns(state).recent(limit=100_000):
            if run.started_at >= since:
                job = counts.setdefault(run.job, {})
                job[run.status] = job.get(run.status, 0) + 1
    return counts


# --- one run --------------------------------------------------------------------------------


class _Build:
    """The daily build run once (``scheduler run daily_build``) while the sender sends.

    Its seconds end when the command exits (noticed within a second by :meth:`poll` while
    the load runs), not when the load ends: a build shorter than the rest of the load is
    reported as short as it was.
    """

    def __init__(
        self, lake: Path, env: str, at_s: float | None, command: list[str] | None = None
    ) -> None:
        self.lake, self.env, self.at_s = lake, env, at_s
        self.command = command or [
            *(sys.executable, "-m", "rastup_data.cli", "--env", env),
            *("scheduler", "run", "daily_build", "--lake", str(lake)),
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.report: dict[str, Any] | None = None
        self._exited: tuple[float, int, Any] | None = None  # when, wait status, rusage

    def due(self, elapsed: float) -> None:
        if self.at_s is None or self.proc is not None or elapsed < self.at_s:
            return
        self.started = time.monotonic()
        with (self.lake.parent / "build.log").open("wb") as log:
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        self.report = {"started_at_s": round(elapsed)}
        print(f"soak: daily build started at t={elapsed:.0f}s", file=sys.stderr, flush=True)

    def poll(self) -> None:
        """Note the moment the build exited, if it has."""
        if self.proc is None or self._exited is not None:
            return
        pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
        if pid:
            self._exited = (time.monotonic(), status, usage)
            seconds = self._exited[0] - self.started
            print(f"soak: daily build ended after {seconds:.0f}s", file=sys.stderr, flush=True)

    def finish(self) -> dict[str, Any] | None:
        """Wait for the build; its seconds, exit code and CPU seconds (its process tree)."""
        if self.proc is None or self.report is None:
            return None
        if self._exited is None:
            _, status, usage = os.wait4(self.proc.pid, 0)
            self._exited = (time.monotonic(), status, usage)
        ended, status, usage = self._exited
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.report["seconds"] = round(ended - self.started, 1)
        self.report["exit_code"] = self.proc.returncode
        self.report["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
        lines = (self.lake.parent / "build.log").read_text(errors="replace").splitlines()
        self.report["output_tail"] = lines[-8:]
        return self.report


@dataclass(slots=True)
class _Live:
    """What the main process watches while the sender sends."""

    proc: subprocess.Popen[bytes]
    port: int
    lake: Path
    counters: Any
    cpu_start: float
    samples: list[dict[str, Any]]
    build: _Build


def _sample(live: _Live, started: float, rate_per_min: int) -> dict[str, Any]:
    metrics = scrape(live.port)
    sample = {
        "t_s": round(time.monotonic() - started),
        "sent": int(live.counters[0]),
        "accepted": int(live.counters[1]),
        "nrt_data_age_s": nrt_data_age(live.lake),
        "nrt_gauge_s": metrics.get("rastup_nrt_freshness_seconds"),
        "lander_backlog_segments": metrics.get("rastup_lander_backlog_segments"),
        "cpu_s": round(tree_cpu_seconds(live.proc.pid) - live.cpu_start, 1),
        "rss_mib": round(tree_rss_bytes(live.proc.pid) / 2**20),
        "load_1m": round(os.getloadavg()[0], 2),
    }
    print(
        f"soak {rate_per_min:,}/min t={sample['t_s']}s sent={sample['sent']:,} "
        f"accepted={sample['accepted']:,} nrt_age={sample['nrt_data_age_s']}s "
        f"backlog={sample['lander_backlog_segments']} cpu={sample['cpu_s']}s "
        f"rss={sample['rss_mib']}MiB load={sample['load_1m']}",
        file=sys.stderr,
        flush=True,
    )
    return sample


def _watch(live: _Live, sender: Any, every: float, rate_per_min: int) -> None:
    started = time.monotonic()
    while sender.is_alive():
        sender.join(min(every, 1.0))
        live.build.due(time.monotonic() - started)
        live.build.poll()
        if time.monotonic() - started >= every * (len(live.samples) + 1) or not sender.is_alive():
            live.samples.append(_sample(live, started, rate_per_min))


def _stop(proc: subprocess.Popen[bytes]) -> float:
    """SIGTERM serve (it lands what it spooled first); seconds it took."""
    started = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    return round(time.perf_counter() - started, 1)


def _load_and_watch(live: _Live, options: SoakOptions) -> dict[str, Any]:
    plan = SenderPlan(
        port=live.port,
        rate_per_s=options.rate_per_min / 60,
        seconds=options.minutes * 60,
        tick_s=options.tick_s,
        pool_users=max(300, min(3000, options.rate_per_min // 20)),
    )
    queue: Any = mp.Queue()
    sender = mp.Process(target=send_paced, args=(plan, live.counters, queue))
    sender.start()
    pool = queue.get(timeout=600)["pool"]
    with RssSampler(live.proc.pid, every=0.5) as rss:
        _watch(live, sender, options.sample_every_s, options.rate_per_min)
        result = queue.get(timeout=60)
        sender.join()
        build = live.build.finish()
        cpu = tree_cpu_seconds(live.proc.pid) - live.cpu_start
    return {**result, "distinct_pool_events": pool, "rss_peak": rss.peak, "cpu": cpu,
            "build": build}  # fmt: skip


def run(options: SoakOptions) -> dict[str, Any]:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rastup-soak-") as tmp:
        lake = Path(tmp) / "lake"
        prepare_s = prepare_lake(lake, options)
        rows_before = bronze_rows(lake)
        port = free_port()
        began = datetime.now(UTC) - timedelta(seconds=1)
        with (Path(tmp) / "serve.log").open("wb") as log:
            proc = start_serve(lake, port, KEY, "--nrt-interval", str(options.nrt_interval_s),
                               environ={"RASTUP_ENV": options.env}, log=log)  # fmt: skip
            at = None if options.build_at_min is None else options.build_at_min * 60
            live = _Live(proc, port, lake, mp.Array("q", 2), tree_cpu_seconds(proc.pid), [],
                         _Build(lake, options.env, at))  # fmt: skip
            rss_idle = tree_rss_bytes(proc.pid)
            try:
                load = _load_and_watch(live, options)
            finally:
                stop_s = _stop(proc)
        landed = bronze_rows(lake) - rows_before
        report = {
            "prepare_s": prepare_s,
            "stop_s": stop_s,
            "rss_idle": rss_idle,
            "landed": landed,
            "lag": bronze_lag(lake, since=began.timestamp()),
            "alerts": alerts_fired(lake, options.env, began),
            "runs": scheduler_runs(lake, began),
            "bytes": lake_bytes(lake),
        }
    return _report(options, load, live.samples, report, load_before)


def _report(
    options: SoakOptions,
    load: dict[str, Any],
    samples: list[dict[str, Any]],
    end: dict[str, Any],
    load_before: tuple[float, float, float],
) -> dict[str, Any]:
    ages = [s["nrt_data_age_s"] for s in samples if s["nrt_data_age_s"] is not None]
    lag = {k: round(v, 3) if isinstance(v, float) else v for k, v in end["lag"].items()}
    accepted = load["accepted"]
    return {
        "benchmark": "soak",
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "env": options.env,
        "rate_events_per_min": options.rate_per_min,
        "minutes": options.minutes,
        "nrt_interval_s": options.nrt_interval_s,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "prepare_s": end["prepare_s"],
        "sender": {k: v for k, v in load.items() if k not in {"rss_peak", "cpu", "build"}},
        "build_during_load": load["build"],
        "achieved_events_per_min": round(load["sent"] / load["seconds"] * 60),
        "landed_in_bronze": end["landed"],
        "all_accepted_landed": end["landed"] == accepted and load["failed_events"] == 0,
        "ingest_to_bronze_s": lag,
        "target_ingest_to_bronze_p95_s": TARGET_LAG_P95_S,
        "nrt_data_age_s": _quantiles(ages),
        "target_nrt_data_age_s": TARGET_NRT_AGE_S,
        "alerts_fired": end["alerts"],
        "false_alarms": sorted({a["rule"] for a in end["alerts"]}),
        "scheduler_runs": end["runs"],
        "serve_cpu_seconds": round(load["cpu"], 1),
        "serve_cpu_us_per_event": round(load["cpu"] / max(accepted, 1) * 1e6, 1),
        "serve_rss_mib": {
            "idle": round(end["rss_idle"] / 2**20),
            "peak": round(load["rss_peak"] / 2**20),
        },
        "lake_bytes": end["bytes"],
        "serve_stop_s": end["stop_s"],
        "samples": samples,
    }


def _rates(text: str) -> list[int]:
    try:
        rates = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected rates such as 10000,100000, got {text!r}"
        ) from None
    if not rates or min(rates) <= 0:
        raise argparse.ArgumentTypeError(f"rates must be positive, got {text!r}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rate", type=_rates, default=[10_000, 100_000],
                        help="events per minute, comma-separated for one run each "
                             "(default: 10000,100000)")  # fmt: skip
    parser.add_argument("--minutes", type=float, default=15.0, help="minutes of load per run")
    parser.add_argument("--env", default="stage", choices=["dev", "test", "stage", "prod"])
    parser.add_argument("--sample-every", type=float, default=15.0, help="seconds")
    parser.add_argument("--nrt-interval", type=float, default=30.0, help="serve --nrt-interval")
    parser.add_argument("--build-at", type=float, default=None, metavar="MINUTE",
                        help="also run the daily build (`scheduler run daily_build`) this many "
                             "minutes into the load (default: none)")  # fmt: skip
    args = parser.parse_args()
    results = []
    for rate in args.rate:
        options = SoakOptions(
            rate_per_min=rate,
            minutes=args.minutes,
            env=args.env,
            sample_every_s=args.sample_every,
            nrt_interval_s=args.nrt_interval,
            build_at_min=args.build_at,
        )
        results.append(run(options))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


if __name__ == "__main__":
    main()

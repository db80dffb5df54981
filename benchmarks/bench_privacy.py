"""Privacy benchmark: purge 1 subject, verify it, purge 1,000 subjects, on the 10 M-event lake.

The lake is the transform benchmark's cached Bronze (``bench_build.cached_bronze``: simulated
marketplace traffic, 7 days, events and quarantine), hard-linked into a fresh folder (a purge
replaces files by rename, so the cache is never changed). In one run:

1. one plain DuckDB scan of every column of Bronze and quarantine (the baseline);
2. file 1 erasure (a user with linked anonymous ids), purge, verify (0 hits expected);
3. the same baseline scan again, right before (2)'s verification is compared with it;
4. file 1,000 erasures in one call, purge them in one run (each file rewritten at most once).

Targets (issue 11): purge of 1 subject ≤ 30 s, of 1,000 ≤ 120 s, verification ≤ 2 × one full
scan of the same data. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import orjson

from benchmarks._common import cpu_seconds, machine
from benchmarks.bench_build import OUT, bronze_cache_dir, cached_bronze
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS, LakeLayout
from rastup_data.privacy import (
    Actor,
    PrivacyContext,
    file_erasure,
    file_erasures,
    open_privacy,
    run_purge,
    verify_request,
)

T = TypeVar("T")


def _timed(work: Callable[[], T]) -> tuple[T, dict[str, float]]:
    cpu = cpu_seconds()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    return result, {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds() - cpu, 2),
        "load_average_1m_before": round(load, 2),
    }


def fresh_lake(source: Path, target: Path) -> LakeLayout:
    """Hard-link the cached Bronze (events and quarantine) into an empty lake."""
    shutil.rmtree(target, ignore_errors=True)
    for path in sorted(source.rglob("*.parquet")):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest)
    return LakeLayout(target)


def full_scan(layout: LakeLayout) -> dict[str, Any]:
    """One DuckDB scan decoding every column of every Bronze and quarantine file."""
    sql = (
        "SELECT count(*), sum(length(event_id) + length(event) + coalesce(length(user_id), 0) "
        "+ coalesce(length(anon_id), 0) + coalesce(length(session_id), 0) + length(context) "
        "+ length(ids) + length(payload) + v + epoch(occurred_at) + epoch(received_at)) "
        f"FROM read_parquet('{layout.lake.uri(BRONZE_EVENTS)}/**/*.parquet')"
    )
    bad = (
        "SELECT count(*), sum(length(raw) + length(code) + length(message) "
        "+ coalesce(length(event_id), 0) + coalesce(length(event), 0) + epoch(received_at)) "
        f"FROM read_parquet('{layout.lake.uri(BRONZE_BAD)}/**/*.parquet')"
    )

    def scan() -> tuple[int, int]:
        with duckdb.connect() as conn:
            events = conn.execute(sql).fetchone()
            rejected = conn.execute(bad).fetchone()
        assert events is not None
        assert rejected is not None
        return int(events[0]), int(rejected[0])

    (rows, bad_rows), timing = _timed(scan)
    return {"rows": rows, "quarantine_rows": bad_rows, **timing}


def pick_users(layout: LakeLayout, count: int, seed: int) -> list[str]:
    """Users that have linked anonymous ids, in a fixed pseudo-random order."""
    with duckdb.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT coalesce(payload ->> 'user_id', user_id) AS u "
            f"FROM read_parquet('{layout.events_glob}') WHERE event = 'identity.linked' "
            f"ORDER BY hash(u || '{seed}') LIMIT {count}"
        ).fetchall()
    return [str(r[0]) for r in rows]


def _store_summary(report: Any) -> dict[str, Any]:
    return {
        s.store: {
            "files_scanned": s.files_scanned,
            "files_rewritten": s.files_rewritten + s.files_deleted,
            "rows_removed": s.rows_removed,
        }
        for s in report.stores
    }


def one_subject(ctx: PrivacyContext, user: str, layout: LakeLayout) -> dict[str, Any]:
    filed, filing = _timed(lambda: file_erasure(ctx, user))
    report, purge = _timed(lambda: run_purge(ctx))
    scan = full_scan(layout)
    certificate, verify = _timed(lambda: verify_request(ctx, filed.request.request_id))
    return {
        "anonymous_ids": filed.anon_ids,
        "file": filing,
        "purge": {**purge, "rows_removed": report.rows_removed, "stores": _store_summary(report)},
        "full_scan_before_verify": scan,
        "verify": {
            **verify,
            "total_hits": certificate.total_hits,
            "bytes_scanned": certificate.body["bytes_scanned"],
            "files_scanned": certificate.body["files_scanned"],
        },
        "verify_over_full_scan": round(verify["seconds"] / scan["seconds"], 2),
    }


def many_subjects(ctx: PrivacyContext, users: list[str]) -> dict[str, Any]:
    filed, filing = _timed(lambda: file_erasures(ctx, users))
    report, purge = _timed(lambda: run_purge(ctx))
    rewritten = [key for s in report.stores for key in s.rewritten]
    return {
        "subjects": len(users),
        "anonymous_ids": sum(f.anon_ids for f in filed),
        "file": filing,
        "purge": {
            **purge,
            "rows_removed": report.rows_removed,
            "files_rewritten": len(rewritten),
            "each_file_at_most_once": len(rewritten) == len(set(rewritten)),
            "stores": _store_summary(report),
        },
    }


def run(events: int, days: int, seed: int, subjects: int) -> dict[str, Any]:
    bronze = cached_bronze(events, days, seed)
    source = bronze_cache_dir(events, days, seed) / "base"
    layout = fresh_lake(source, OUT / "privacy-lake")
    users = pick_users(layout, subjects + 1, seed)
    try:
        baseline = full_scan(layout)
        with open_privacy(layout.root, actor=Actor("bench")) as ctx:
            single = one_subject(ctx, users[0], layout)
            many = many_subjects(ctx, users[1:])
    finally:
        shutil.rmtree(layout.root, ignore_errors=True)
    return {
        "benchmark": "privacy",
        "machine": machine(),
        "lake": {"bronze_rows": bronze["base_rows"], "days": days, "cached": bronze["cached"]},
        "full_scan": baseline,
        "one_subject": single,
        "many_subjects": many,
        "targets": {"purge_1_s": 30, "purge_1000_s": 120, "verify_over_full_scan": 2.0},
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="Bronze size (approx.)")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--subjects", type=int, default=1000, help="Subjects of the bulk purge")
    args = parser.parse_args()
    result = run(args.events, args.days, args.seed, args.subjects)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()

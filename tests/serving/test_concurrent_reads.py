"""Readers in one process query in a loop while a build runs in another: no lock errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from bronze_fixture import envelope, write_bronze

from rastup_data.lake.layout import LakeLayout
from rastup_data.transform import BuildOptions, build

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.serving import open_published, run_query

    layout, stop = LakeLayout(Path(sys.argv[1])), Path(sys.argv[2])
    reads, errors, totals, stamps = 0, [], set(), []
    while not stop.exists() or reads == 0:
        try:
            with open_published(layout) as conn:
                sql = "SELECT sum(gmv_cents) FROM gold.kpi_marketplace_daily"
                totals.add(run_query(conn, sql).rows[0][0])
                run_query(conn, "SELECT count(*) FROM nrt.ops_recon")
            reads += 1
            stamps.append(time.time())
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.05)
    print(json.dumps({"reads": reads, "errors": errors[:5], "totals": sorted(totals),
                      "stamps": stamps}))
    """
)

BUILDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.transform import BuildOptions, build
    build(LakeLayout(Path(sys.argv[1])), BuildOptions(quality_gates=False))
    """
)


def _leg(day: int, amount: int) -> dict[str, object]:
    return envelope(
        "booking.leg.confirmed",
        f"2026-01-{day:02d} 12:00",
        {
            "booking_id": f"bk_{day}",
            "leg_id": f"lg_{day}",
            "provider_id": "p_1",
            "provider_type": "talent",
            "amount_cents": amount,
            "currency": "USD",
            "service_date": "2026-02-01",
        },
        user_id="u_1",
    )


@pytest.mark.slow
def test_reader_process_sees_no_lock_errors_during_a_build(tmp_path: Path) -> None:
    layout = LakeLayout(tmp_path / "lake")
    write_bronze(layout, [_leg(5, 1_000)], name="first")
    build(layout, BuildOptions(quality_gates=False))
    write_bronze(layout, [_leg(6, 2_000)], name="second")

    env = {**os.environ, "DO_NOT_TRACK": "1"}
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(layout.root), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        time.sleep(1.0)
        build_started = time.time()
        builder = subprocess.run(
            [sys.executable, "-c", BUILDER, str(layout.root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        build_ended = time.time()
        assert builder.returncode == 0, builder.stderr[-2000:]
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err[-2000:]
    report = json.loads(out)
    assert report["errors"] == []
    during_build = [t for t in report["stamps"] if build_started < t < build_ended]
    assert len(during_build) > 10, "the reader must keep querying while the build runs"
    # The reader saw the old build, then the new one, and nothing in between.
    assert report["totals"][0] == 1_000
    assert report["totals"][-1] == 3_000
    assert set(report["totals"]) <= {1_000, 3_000}

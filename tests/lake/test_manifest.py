"""The landing manifest: durable records per UTC day, read back whole, torn tails skipped."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import LandedFile, Landing, Manifest


@pytest.fixture
def layout(tmp_path: Path) -> LakeLayout:
    return LakeLayout(tmp_path / "lake")


def _landing(name: str, at: datetime, kind: str = "landing", **extra: object) -> Landing:
    return Landing(
        kind=kind,
        name=name,
        at=at.isoformat(timespec="microseconds"),
        events=3,
        files=(LandedFile(f"bronze/events/dt={at.date()}/{name}.parquet", str(at.date()), 3, 99),),
        extra=dict(extra),
    )


def test_records_round_trip_oldest_day_first(layout: LakeLayout) -> None:
    manifest = Manifest(layout)
    day2 = datetime(2026, 5, 2, 9, tzinfo=UTC)
    day1 = datetime(2026, 5, 1, 23, tzinfo=UTC)
    written = [_landing("b", day2), _landing("a", day1, replay=True), _landing("c", day2)]
    for record in written:
        manifest.append(record)
    assert list(manifest.records()) == [written[1], written[0], written[2]]
    assert manifest.days() == ["2026-05-01", "2026-05-02"]
    files = sorted(p.name for p in (layout.root / "_manifest").iterdir())
    assert files == ["landings-2026-05-01.ndjson", "landings-2026-05-02.ndjson"]


def test_since_reads_only_the_days_from_that_date(layout: LakeLayout) -> None:
    manifest = Manifest(layout)
    for day in range(1, 5):
        manifest.append(_landing(f"s{day}", datetime(2026, 5, day, 12, tzinfo=UTC)))
    since = datetime(2026, 5, 3, 18, tzinfo=UTC)
    assert [r.name for r in manifest.records(since=since)] == ["s3", "s4"]


def test_a_torn_last_record_is_an_unfinished_append(layout: LakeLayout) -> None:
    manifest = Manifest(layout)
    at = datetime(2026, 5, 1, tzinfo=UTC)
    manifest.append(_landing("whole", at))
    path = layout.root / "_manifest" / "landings-2026-05-01.ndjson"
    with open(path, "ab") as handle:
        handle.write(_landing("torn", at).to_json()[:40])
    assert [r.name for r in manifest.records()] == ["whole"]


def test_landed_names_are_recent_landings_only(layout: LakeLayout) -> None:
    manifest = Manifest(layout)
    now = datetime.now(UTC)
    manifest.append(_landing("today", now))
    manifest.append(_landing("bronze/events/dt=x", now, kind="compaction"))
    manifest.append(_landing("old", now - timedelta(days=5)))
    assert manifest.landed_names(days=2) == {"today"}
    assert manifest.landed_names(days=7) == {"today", "old"}


def test_an_empty_lake_has_no_records(layout: LakeLayout) -> None:
    assert list(Manifest(layout).records()) == []
    assert Manifest(layout).landed_names() == set()


_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.manifest import Landing, Manifest
manifest = Manifest(LakeLayout(Path(sys.argv[1])))
for i in range(200):
    manifest.append(Landing("landing", f"{sys.argv[2]}-{i}", "2026-05-01T00:00:00+00:00",
                            extra={"pad": "x" * 3000}))
"""


def test_appends_from_several_processes_never_interleave(layout: LakeLayout) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(layout.root), name])
        for name in ("p", "q", "r")
    ]
    assert [w.wait(120) for w in writers] == [0, 0, 0]
    names = [r.name for r in Manifest(layout).records()]
    assert sorted(names) == sorted(f"{n}-{i}" for n in "pqr" for i in range(200))
    for writer in "pqr":
        mine = [n for n in names if n.startswith(writer)]
        assert mine == [f"{writer}-{i}" for i in range(200)], "one process's order is kept"

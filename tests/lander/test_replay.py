from __future__ import annotations

import duckdb

from rastup_data.lake.layout import LakeLayout
from rastup_data.lander.direct import land_ndjson
from rastup_data.lander.replay import replay_quarantine

from .conftest import NameCheck, envelope


def _count(glob: str) -> int:
    row = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0]
    return int(row[0]) if row else 0


def test_replay_lands_events_that_pass_after_a_schema_fix(layout: LakeLayout) -> None:
    lines = [envelope("new.event") for _ in range(3)] + [envelope() for _ in range(2)]
    lines.append(b"{broken")
    land_ndjson(layout, lines, name="a", validator=NameCheck({"new.event"}))
    assert _count(layout.events_glob) == 2

    still_strict = replay_quarantine(layout, validator=NameCheck({"new.event"}))
    assert still_strict.landed == 0
    assert still_strict.still_rejected == {"EVENT_UNKNOWN": 3, "EVENT_MALFORMED_JSON": 1}

    dry = replay_quarantine(layout, validator=NameCheck(), dry_run=True)
    assert dry.landed == 3
    assert _count(layout.events_glob) == 2

    fixed = replay_quarantine(layout, validator=NameCheck())
    assert (fixed.candidates, fixed.landed) == (4, 3)
    assert fixed.still_rejected == {"EVENT_MALFORMED_JSON": 1}
    assert _count(layout.events_glob) == 5
    assert _count(layout.bad_glob) == 4  # quarantine is immutable, nothing added

    again = replay_quarantine(layout, validator=NameCheck())
    assert (again.landed, again.already_landed) == (0, 3)
    assert _count(layout.events_glob) == 5


def test_replay_on_an_empty_lake(layout: LakeLayout) -> None:
    report = replay_quarantine(layout, validator=NameCheck())
    assert (report.candidates, report.landed) == (0, 0)

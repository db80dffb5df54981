from __future__ import annotations

import uuid
from pathlib import Path

import duckdb
import orjson
from click.testing import CliRunner

from rastup_data.cli import cli
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


def _registry_example(name: str, user_id: str) -> bytes:
    registry = Path(__file__).parents[2] / "src" / "rastup_data" / "contracts" / "registry"
    example = orjson.loads((registry / "events" / name / "v1.json").read_bytes())["examples"][0]
    example.pop("received_at", None)
    example["ids"]["event_id"] = str(uuid.uuid4())
    example["user_id"] = user_id
    return orjson.dumps(example)


def test_replay_does_not_land_a_subject_erased_since_the_quarantine(tmp_path: Path) -> None:
    # Both events were quarantined by an older registry that did not know search.click;
    # u_erased1 asked for erasure before the replay: only the other person's event lands.
    layout = LakeLayout(tmp_path / "lake")
    lines = [_registry_example("search.click", u) for u in ("u_erased1", "u_kept1")]
    land_ndjson(layout, lines, name="old", validator=NameCheck({"search.click"}))
    assert _count(layout.bad_glob) == 2
    runner = CliRunner()
    lake = ["--lake", str(layout.root)]
    erased = runner.invoke(cli, ["dsar", "erase", "--subject", "u_erased1", *lake])
    assert erased.exit_code == 0, erased.output
    replayed = runner.invoke(cli, ["replay", *lake, "--format", "json"])
    assert replayed.exit_code == 0, replayed.output
    report = orjson.loads(replayed.stdout)
    assert (report["candidates"], report["landed"], report["suppressed"]) == (2, 1, 1)
    users = duckdb.sql(f"SELECT user_id FROM read_parquet('{layout.events_glob}')").fetchall()
    assert users == [("u_kept1",)]

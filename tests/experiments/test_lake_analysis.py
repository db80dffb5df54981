"""Experiment analysis from the lake: a simulated marketplace landed, built and read back.

Expected values are computed here in plain Python from the simulator's ``events.ndjson``
(deduplicated by event_id, people resolved as in EVENTS.md), never from the warehouse.
Tests on the simulated lake are marked slow: simulating, landing and building it takes
about 30 s on the 2-core machine.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.experiments.lake import (
    QualityFlag,
    experiment_report_html,
    load_unit_table,
)
from rastup_data.lake.layout import LakeLayout
from rastup_data.lander import land_ndjson
from rastup_data.simulate import simulate
from rastup_data.transform import BuildOptions, build

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = REPO / "experiments"
RANKING = "search_ranking_v2"
CHECKOUT = "checkout_copy"


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Events:
    """The simulated events, deduplicated and indexed by resolved person."""

    by_person: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    exposures: dict[str, dict[str, list[tuple[datetime, str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def units(self, key: str) -> dict[str, tuple[str, datetime]]:
        """Non-crossover units of an experiment: unit -> (variant, first exposure)."""
        out = {}
        for unit, seen in self.exposures[key].items():
            if len({variant for _, variant in seen}) == 1:
                out[unit] = (seen[0][1], min(at for at, _ in seen))
        return out

    def crossovers(self, key: str) -> set[str]:
        return {u for u, seen in self.exposures[key].items() if len({v for _, v in seen}) > 1}

    def start(self, key: str) -> datetime:
        """UTC midnight of the experiment's first exposure (the definitions start earlier)."""
        first = min(at for seen in self.exposures[key].values() for at, _ in seen)
        return first.replace(hour=0, minute=0, second=0, microsecond=0)

    def rows(
        self, person: str, names: set[str], start: datetime, end: datetime
    ) -> Iterator[dict[str, Any]]:
        for event in self.by_person.get(person, ()):
            if event["event"] in names and start <= event["_at"] < end:
                yield event


def _read_events(lines: list[bytes]) -> Events:
    seen: set[str] = set()
    parsed = []
    links: dict[str, tuple[datetime, str]] = {}
    for line in lines:
        event = orjson.loads(line)
        event_id = event["ids"]["event_id"]
        if event_id in seen:
            continue
        seen.add(event_id)
        event["_at"] = _ts(event["occurred_at"])
        parsed.append(event)
        if event["event"] == "identity.linked":
            anon = event["payload"]["anon_id"]
            user = event["payload"].get("user_id") or event["user_id"]
            if anon not in links or event["_at"] < links[anon][0]:
                links[anon] = (event["_at"], user)
    events = Events()
    for event in parsed:
        anon = event.get("anon_id")
        person = event.get("user_id") or (links[anon][1] if anon in links else anon)
        if person is not None:
            events.by_person[person].append(event)
        if event["event"] == "exp.exposure":
            payload = event["payload"]
            unit = payload["unit_id"]
            if payload["unit_type"] == "anon" and unit in links:
                unit = links[unit][1]
            events.exposures[payload["exp_key"]][unit].append((event["_at"], payload["variant"]))
    for seen_list in (s for per in events.exposures.values() for s in per.values()):
        seen_list.sort()
    return events


@dataclass(frozen=True)
class SimulatedLake:
    layout: LakeLayout
    events: Events
    crossover_unit: str


def _crossover_line(lines: list[bytes]) -> tuple[bytes, str]:
    """A second exposure of an exposed unit, to the other variant, an hour after its first."""
    for line in lines:
        event = orjson.loads(line)
        if event["event"] == "exp.exposure" and event["payload"]["exp_key"] == RANKING:
            other = "treatment" if event["payload"]["variant"] == "control" else "control"
            event["payload"]["variant"] = other
            event["ids"]["event_id"] = str(uuid.uuid4())
            at = _ts(event["occurred_at"]) + timedelta(hours=1)
            event["occurred_at"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return orjson.dumps(event), event["payload"]["unit_id"]
    raise AssertionError("the simulation exposed nobody")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> SimulatedLake:
    root = tmp_path_factory.mktemp("lake_analysis")
    out = root / "sim"
    simulate(out, seed=11, days=7, users=2000, malformed_rate=0.0)
    lines = (out / "events.ndjson").read_bytes().splitlines()
    extra, unit = _crossover_line(lines)
    layout = LakeLayout(root / "lake")
    land_ndjson(layout, lines, name="sim")
    loaded = land_ndjson(layout, [extra], name="crossover")
    assert loaded.accepted == 1, loaded.codes
    build(layout, BuildOptions(full_refresh=True))
    return SimulatedLake(layout, _read_events([*lines, extra]), unit)


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["experiments", "analyze", *args])


@pytest.mark.slow
def test_unit_table_has_one_row_per_non_crossover_exposed_unit(lake: SimulatedLake) -> None:
    for key in (RANKING, CHECKOUT):
        units = load_unit_table(lake.layout, key, experiments_dir=EXPERIMENTS)
        expected = lake.events.units(key)
        ids = units.table.column("unit_id").to_pylist()
        assert len(ids) == len(set(ids))
        assert set(ids) == set(expected)
        got = zip(
            ids,
            units.table.column("variant").to_pylist(),
            units.table.column("first_exposed_at").to_pylist(),
            strict=True,
        )
        for unit, variant, first in got:
            assert (variant, first) == expected[unit]
        crossovers = lake.events.crossovers(key)
        assert units.crossover_units == len(crossovers)
        assert units.exposed_units == len(expected) + len(crossovers)
    ranking = load_unit_table(lake.layout, RANKING, experiments_dir=EXPERIMENTS)
    assert lake.events.crossovers(RANKING) == {lake.crossover_unit}
    assert ranking.crossover_units == 1
    assert lake.crossover_unit not in ranking.table.column("unit_id").to_pylist()
    assert QualityFlag.CROSSOVER_UNITS not in ranking.quality_flags  # 1 unit is under 1 %
    many = replace(ranking, crossover_units=ranking.exposed_units // 10)
    assert QualityFlag.CROSSOVER_UNITS in many.quality_flags


def _distinct(rows: Iterator[dict[str, Any]], field_name: str) -> int:
    return len({r["payload"][field_name] for r in rows})


def _pooled_theta(events: Events, key: str) -> float:
    """CUPED theta of bookings on pre-period bookings: pooled within-variant cov / var."""
    start = events.start(key)
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for unit, (variant, first) in events.units(key).items():
        y = _distinct(
            events.rows(unit, {"booking.confirmed"}, first, first + timedelta(days=14)),
            "booking_id",
        )
        x = _distinct(
            events.rows(unit, {"booking.confirmed"}, start - timedelta(days=28), start),
            "booking_id",
        )
        groups[variant].append((float(x), float(y)))
    cov = var = 0.0
    for pairs in groups.values():
        mx = sum(x for x, _ in pairs) / len(pairs)
        my = sum(y for _, y in pairs) / len(pairs)
        cov += sum((x - mx) * (y - my) for x, y in pairs)
        var += sum((x - mx) ** 2 for x, _ in pairs)
    return cov / var


@pytest.mark.slow
def test_metric_values_match_a_computation_over_the_events(lake: SimulatedLake) -> None:
    events = lake.events
    units = load_unit_table(lake.layout, RANKING, experiments_dir=EXPERIMENTS)
    start = events.start(RANKING)
    pre = (start - timedelta(days=28), start)
    assert units.analysis_start == start
    assert units.pre_period == pre
    table = {row["unit_id"]: row for row in units.table.to_pylist()}
    booked = 0
    for unit, (_, first) in events.units(RANKING).items():
        d14, d28 = first + timedelta(days=14), first + timedelta(days=28)
        bookings = _distinct(events.rows(unit, {"booking.confirmed"}, first, d14), "booking_id")
        expected = {
            "booking_conversion": float(bookings > 0),
            "bookings_per_user": bookings,
            "gmv_per_user": sum(
                r["payload"]["amount_cents"]
                for r in events.rows(unit, {"booking.leg.confirmed"}, first, d14)
            ),
            "search_ctr__num": len(list(events.rows(unit, {"search.click"}, first, d14))),
            "search_ctr__den": len(list(events.rows(unit, {"search.impression"}, first, d14))),
            "refund_rate__num": _distinct(
                events.rows(unit, {"payment.refund.succeeded"}, first, d28), "booking_id"
            ),
            "refund_rate__den": _distinct(
                events.rows(unit, {"booking.confirmed"}, first, d28), "booking_id"
            ),
            "bookings_per_user__pre": _distinct(
                events.rows(unit, {"booking.confirmed"}, *pre), "booking_id"
            ),
        }
        got = {name: table[unit][name] for name in expected}
        assert got == pytest.approx(expected), unit
        booked += bookings > 0
    assert booked > 20  # the comparison covered units with bookings, not only zeros
    assert sum(r["bookings_per_user__pre"] > 0 for r in table.values()) > 20
    assert sum(r["search_ctr__num"] > 0 for r in table.values()) > 100

    checkout = load_unit_table(lake.layout, CHECKOUT, experiments_dir=EXPERIMENTS)
    assert checkout.pre_period is None
    for row in checkout.table.to_pylist():
        first = row["first_exposed_at"]
        rows = events.rows(row["unit_id"], {"checkout.start"}, first, first + timedelta(days=14))
        assert row["checkout_starts"] == _distinct(rows, "checkout_id")
        assert row["checkout_starts"] >= 1  # exposure happens at the first checkout


@pytest.mark.slow
def test_analyze_key_json_has_every_metric_and_variant(lake: SimulatedLake) -> None:
    result = _run(
        RANKING,
        "--lake",
        str(lake.layout.root),
        "--experiments-dir",
        str(EXPERIMENTS),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {(r["metric"], r["variant"]): r for r in data["results"]}
    metrics = {
        "booking_conversion": "primary",
        "bookings_per_user": "secondary",
        "gmv_per_user": "secondary",
        "search_ctr": "secondary",
        "refund_rate": "guardrail",
    }
    assert set(rows) == {(m, v) for m in metrics for v in ("control", "treatment")}
    for (metric, _), row in rows.items():
        assert row["role"] == metrics[metric]
        # CUPED covariates (pre-period bookings) apply to every non-ratio metric.
        assert row["cuped"] is (row["kind"] != "ratio"), metric
        assert row["sequential"] is True
    bookings = rows[("bookings_per_user", "treatment")]
    assert bookings["cuped_theta"] == [pytest.approx(_pooled_theta(lake.events, RANKING))]
    assert bookings["variance_reduction"] > 0.05  # pre-period bookings predict later ones
    assert rows[("refund_rate", "treatment")]["guardrail_margin"] == pytest.approx(0.05)
    assert rows[("refund_rate", "treatment")]["direction"] == "decrease"
    assert data["alpha"] == pytest.approx(0.05)
    assert data["sequential"] is True
    expected = lake.events.units(RANKING)
    per_variant = {v["variant"]: v["n"] for v in data["variants"]}
    for variant in ("control", "treatment"):
        assert per_variant[variant] == sum(1 for v, _ in expected.values() if v == variant)
    assert {v["variant"]: v["weight"] for v in data["variants"]} == {
        "control": 0.5,
        "treatment": 0.5,
    }
    meta = data["meta"]
    assert meta["crossover_units"] == 1
    assert meta["exposed_units"] == len(expected) + 1
    assert meta["units"] == len(expected)
    assert meta["analysis_start"] == lake.events.start(RANKING).isoformat().replace("+00:00", "Z")
    assert data["quality_flags"] == []
    documented = (REPO / "docs" / "experiments-lake.md").read_text(encoding="utf-8")
    assert [name for name in meta if f"`{name}`" not in documented] == []

    copy = _run(CHECKOUT, "--lake", str(lake.layout.root), "--experiments-dir", str(EXPERIMENTS))
    assert copy.exit_code == 0, copy.output
    assert "0 crossover unit(s) excluded" in copy.stdout
    assert "checkout_starts" in copy.stdout


@pytest.mark.slow
def test_quality_flags_from_the_command_block_shipping(lake: SimulatedLake) -> None:
    result = _run(
        CHECKOUT,
        "--lake",
        str(lake.layout.root),
        "--experiments-dir",
        str(EXPERIMENTS),
        "--quality-flag",
        "LATE_DATA",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["quality_flags"] == ["LATE_DATA"]
    assert data["recommendation"] != "ship"
    assert all(r["cuped"] is False for r in data["results"])  # no covariates defined


@pytest.mark.slow
def test_html_report_is_a_complete_page(lake: SimulatedLake, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _run(
        RANKING,
        "--lake",
        str(lake.layout.root),
        "--experiments-dir",
        str(EXPERIMENTS),
        "--format",
        "html",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    served = experiment_report_html(lake.layout, RANKING, experiments_dir=EXPERIMENTS)
    for html in (page, served):
        assert html.startswith("<!DOCTYPE html>")
        assert html.rstrip().endswith("</html>")
        assert html.count("<body>") == 1
        assert html.count("</body>") == 1
        assert "Experiment search_ranking_v2" in html
        assert "crossover units (excluded)</td><td>1</td>" in html
        for metric in ("booking_conversion", "bookings_per_user", "search_ctr", "refund_rate"):
            assert metric in html
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.slow
def test_exposures_the_definition_does_not_explain_are_flagged(
    lake: SimulatedLake, tmp_path: Path
) -> None:
    folder = tmp_path / "experiments"
    shutil.copytree(EXPERIMENTS, folder)
    shutil.copytree(REPO / "metrics", tmp_path / "metrics")
    late = lake.events.start(RANKING) + timedelta(days=1)
    ranking = folder / f"{RANKING}.yaml"
    text = ranking.read_text(encoding="utf-8")
    ranking.write_text(
        text.replace("start: 2025-01-01T00:00:00Z", f"start: {late.date().isoformat()}")
    )
    checkout = folder / f"{CHECKOUT}.yaml"
    text = checkout.read_text(encoding="utf-8")
    checkout.write_text(text.replace("- name: treatment", "- name: variant_b"))

    early = load_unit_table(lake.layout, RANKING, experiments_dir=folder)
    expected_early = sum(1 for _, first in lake.events.units(RANKING).values() if first < late)
    assert 0 < early.outside_run_units == expected_early
    assert early.analysis_start == late
    assert QualityFlag.EXPOSED_OUTSIDE_RUN in early.quality_flags

    renamed = load_unit_table(lake.layout, CHECKOUT, experiments_dir=folder)
    units = lake.events.units(CHECKOUT)
    treated = sum(1 for variant, _ in units.values() if variant == "treatment")
    assert 0 < renamed.unknown_variant_units == treated
    assert renamed.units == len(units) - treated
    assert set(renamed.table.column("variant").to_pylist()) == {"control"}
    assert QualityFlag.UNKNOWN_VARIANT in renamed.quality_flags

    result = _run(CHECKOUT, "--lake", str(lake.layout.root), "--experiments-dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "UNKNOWN_VARIANT" in result.stdout
    assert "SHIP" not in result.stdout


@pytest.mark.slow
def test_unknown_key_is_a_coded_error(lake: SimulatedLake) -> None:
    result = _run(
        "no_such_exp", "--lake", str(lake.layout.root), "--experiments-dir", str(EXPERIMENTS)
    )
    assert result.exit_code == 2
    assert "EXPERIMENT_INVALID" in result.stderr
    assert "no_such_exp" in result.stderr
    assert "Traceback" not in result.output
    with pytest.raises(RastupError) as caught:
        experiment_report_html(lake.layout, "no_such_exp", experiments_dir=EXPERIMENTS)
    assert caught.value.code is ErrorCode.EXPERIMENT_INVALID


@pytest.mark.slow
def test_definition_settings_cannot_be_overridden_for_a_key(lake: SimulatedLake) -> None:
    result = _run(
        RANKING,
        "--lake",
        str(lake.layout.root),
        "--experiments-dir",
        str(EXPERIMENTS),
        "--metric",
        "gmv",
        "--alpha",
        "0.1",
    )
    assert result.exit_code == 2
    assert "EXPERIMENT_INVALID" in result.stderr
    assert "--metric" in result.stderr
    assert "--alpha" in result.stderr


def test_every_lake_quality_flag_is_documented() -> None:
    documented = (REPO / "docs" / "experiments-lake.md").read_text(encoding="utf-8")
    flags = [v for k, v in vars(QualityFlag).items() if k.isupper()]
    assert len(flags) == 3
    assert [f for f in flags if f"`{f}`" not in documented] == []


def test_no_published_build_is_the_coded_error_of_the_reader(tmp_path: Path) -> None:
    empty = tmp_path / "lake"
    empty.mkdir()
    result = _run(RANKING, "--lake", str(empty), "--experiments-dir", str(EXPERIMENTS))
    assert result.exit_code == 2
    assert "QUERY_INVALID" in result.stderr
    assert "rastup-data build" in result.stderr
    assert "Traceback" not in result.output
    with pytest.raises(RastupError) as caught:
        experiment_report_html(LakeLayout(empty), RANKING, experiments_dir=EXPERIMENTS)
    assert caught.value.code is ErrorCode.QUERY_INVALID

"""Warehouse views are priced by their base tables: the base columns the requested view
columns derive from, in the row groups the view's own predicates and the query's predicates
on pass-through columns keep. Expected bytes come from the base table's storage footprint
(``pragma_storage_info``), selected here by the row groups' own ``event``/``dt`` ranges."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from gate_fixture import ADMIN

from rastup_data.environments import load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import Gate, QueryPath
from rastup_data.governance.cost import CostModel, ReadCost
from rastup_data.governance.footprint import FootprintCache
from rastup_data.governance.lineage import Lineage, Predicate, RelationRead
from rastup_data.governance.policy import load_policy
from rastup_data.governance.relations import RelationView, SourceKind
from rastup_data.governance.warehouse_views import plan_view
from rastup_data.lake.layout import LakeLayout
from rastup_data.state import open_state
from rastup_data.transform.published import published_files

EVENTS = ("booking.confirmed", "search.impression", "search.performed")
DAYS = (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7))
ROWS = 2_048  # one row group per (event, dt): the table is clustered by event, then dt
IMPRESSION = "search.impression"

FACT_VIEW = """
create view staging.silver.fact_search_impressions as
select event_id, event, v, occurred_at, received_at, dt, bronze_dt, user_id, anon_id,
       session_id, city,
       _p.search_id as search_id, _p.listing_id as listing_id,
       cast(_p.rank as integer) as rank,
       try_cast(_p.is_promoted as boolean) as is_promoted
from (select *, from_json(payload, '{"search_id":"VARCHAR","listing_id":"VARCHAR",
                                     "rank":"VARCHAR","is_promoted":"VARCHAR"}') as _p
      from staging.silver.events_deduped where event = 'search.impression')
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A published-style file: events_deduped clustered by event (9 row groups) and views."""
    path = tmp_path_factory.mktemp("views") / "build.duckdb"
    with duckdb.connect(":memory:") as conn:
        conn.execute(f"ATTACH '{path}' AS staging (ROW_GROUP_SIZE {ROWS})")
        conn.execute("CREATE SCHEMA staging.silver")
        conn.execute(
            "CREATE TABLE staging.silver.events_deduped (event_id VARCHAR, event VARCHAR, "
            "v INTEGER, occurred_at TIMESTAMP, received_at TIMESTAMP, dt DATE, bronze_dt DATE, "
            "user_id VARCHAR, anon_id VARCHAR, session_id VARCHAR, city VARCHAR, payload VARCHAR)"
        )
        for event in EVENTS:
            for day in DAYS:
                conn.execute(
                    "INSERT INTO staging.silver.events_deduped SELECT "
                    "md5(? || ? || i::VARCHAR), ?, 1, ?::TIMESTAMP + to_seconds(i), "
                    "?::TIMESTAMP + to_seconds(i + 1), ?, ?, 'u_' || (i % 50), 'a_' || (i % 70), "
                    "md5('s' || i::VARCHAR), CASE WHEN i % 2 = 0 THEN 'nyc' ELSE 'lax' END, "
                    "json_object('search_id', md5('q' || i::VARCHAR), 'listing_id', "
                    "'l_' || (i % 300), 'rank', i % 20, 'is_promoted', i % 7 = 0)::VARCHAR "
                    "FROM range(?) AS t(i)",
                    [event, str(day), event, day, day, day, day, ROWS],
                )
        conn.execute(FACT_VIEW)
        conn.execute(  # a view over a view, grouped by a pass-through column
            "CREATE VIEW staging.silver.impressions_daily AS SELECT dt, count(*) AS n "
            "FROM staging.silver.fact_search_impressions GROUP BY dt"
        )
        conn.execute(  # two reads: the sum of both
            "CREATE VIEW staging.silver.searches AS "
            "SELECT dt, city FROM staging.silver.fact_search_impressions UNION ALL "
            "SELECT dt, city FROM staging.silver.events_deduped WHERE event = 'search.performed'"
        )
        conn.execute(
            "CREATE VIEW staging.silver.all_events AS SELECT * FROM staging.silver.events_deduped"
        )
        conn.execute(  # correlated: the lineage does not follow it
            "CREATE VIEW staging.silver.odd AS SELECT a.user_id, (SELECT max(b.city) FROM "
            "staging.silver.events_deduped AS b WHERE b.dt = a.dt) AS m "
            "FROM staging.silver.events_deduped AS a"
        )
    return str(path)


def _view(name: str) -> RelationView:
    return RelationView(
        name=name, kind=SourceKind.WAREHOUSE, source_sql="", columns=(), city_filter=None,
        erasure_columns=(), partition_column="dt", location=name,
    )  # fmt: skip


def cost(warehouse: str, relation: str, columns: set[str], *predicates: Predicate) -> ReadCost:
    read = RelationRead(relation, frozenset(columns), predicates)
    estimate = CostModel(load_policy().cost).estimate(
        Lineage((read,), exact=True),
        {relation: _view(relation)},
        {SourceKind.WAREHOUSE: warehouse},
    )
    return estimate.reads[0]


def footprint(
    warehouse: str, columns: set[str], keep: Callable[[str, date], bool] = lambda e, d: True
) -> int:
    """Bytes of ``columns`` in the base table's row groups whose (event, dt) ``keep``
    accepts; row group i holds EVENTS[i // 3] on DAYS[i % 3] (the insertion order)."""
    groups = FootprintCache().duckdb_tables(warehouse)["silver.events_deduped"]
    assert len(groups) == len(EVENTS) * len(DAYS)
    return sum(
        g[c].bytes
        for i, g in enumerate(groups)
        if keep(EVENTS[i // len(DAYS)], DAYS[i % len(DAYS)])
        for c in columns
    )


def impressions_on(day: date | None = None) -> Callable[[str, date], bool]:
    return lambda event, dt: event == IMPRESSION and day in (None, dt)


def test_a_view_read_costs_what_the_same_read_of_its_base_table_costs(warehouse: str) -> None:
    view = cost(warehouse, "silver.fact_search_impressions", {"search_id", "dt"})
    table = cost(
        warehouse, "silver.events_deduped", {"payload", "dt", "event"},
        Predicate("event", "eq", (IMPRESSION,)),
    )  # fmt: skip
    expected = footprint(warehouse, {"payload", "dt", "event"}, impressions_on())
    assert expected > 0
    assert view.scanned_bytes == table.scanned_bytes == expected
    assert (view.row_groups_read, view.row_groups_total) == (3, 9)


def test_pass_through_columns_do_not_count_the_payload(warehouse: str) -> None:
    plain = cost(warehouse, "silver.fact_search_impressions", {"dt", "city"})
    parsed = cost(warehouse, "silver.fact_search_impressions", {"dt", "city", "search_id"})
    assert plain.scanned_bytes == footprint(warehouse, {"dt", "city", "event"}, impressions_on())
    payload = footprint(warehouse, {"payload"}, impressions_on())
    assert payload > 0
    assert parsed.scanned_bytes == plain.scanned_bytes + payload
    assert cost(warehouse, "silver.fact_search_impressions", {"rank"}).scanned_bytes == (
        footprint(warehouse, {"payload", "event"}, impressions_on())
    )


def test_a_pass_through_predicate_prunes_and_a_derived_one_does_not(warehouse: str) -> None:
    day = DAYS[1]
    by_day = cost(
        warehouse, "silver.fact_search_impressions", {"search_id"}, Predicate("dt", "eq", (day,))
    )
    assert (by_day.row_groups_read, by_day.row_groups_total) == (1, 9)
    assert by_day.scanned_bytes == footprint(warehouse, {"payload", "event"}, impressions_on(day))
    derived = cost(
        warehouse, "silver.fact_search_impressions", {"search_id"},
        Predicate("search_id", "eq", ("zzzz",)),
    )  # fmt: skip
    whole = cost(warehouse, "silver.fact_search_impressions", {"search_id"})
    assert derived.row_groups_read == whole.row_groups_read == 3
    assert derived.scanned_bytes == whole.scanned_bytes > by_day.scanned_bytes


def test_the_views_own_predicate_prunes_the_other_events(warehouse: str) -> None:
    read = cost(warehouse, "silver.fact_search_impressions", {"user_id"})
    everything = footprint(warehouse, {"user_id", "event"})
    assert read.scanned_bytes == footprint(warehouse, {"user_id", "event"}, impressions_on())
    assert 0 < read.scanned_bytes < everything / 2
    assert cost(warehouse, "silver.all_events", set()).scanned_bytes == 0  # count(*)
    assert cost(warehouse, "silver.all_events", {"payload"}).scanned_bytes == footprint(
        warehouse, {"payload"}
    )


def test_views_over_views_and_several_reads_add_up(warehouse: str) -> None:
    day = DAYS[2]
    daily = cost(warehouse, "silver.impressions_daily", {"n"}, Predicate("dt", "eq", (day,)))
    assert daily.scanned_bytes == footprint(warehouse, {"dt", "event"}, impressions_on(day))
    searches = cost(warehouse, "silver.searches", {"city"})

    def performed(event: str, _dt: date) -> bool:
        return event == "search.performed"

    assert searches.scanned_bytes == footprint(
        warehouse, {"city", "event"}, impressions_on()
    ) + footprint(warehouse, {"city", "event"}, performed)
    assert (searches.row_groups_read, searches.row_groups_total) == (6, 18)


def test_a_view_the_lineage_cannot_follow_is_priced_conservatively(warehouse: str) -> None:
    read = cost(warehouse, "silver.odd", {"user_id"}, Predicate("user_id", "eq", ("u_1",)))
    assert read.scanned_bytes == 2 * footprint(warehouse, {"user_id", "city", "dt"}) > 0
    assert read.row_groups_read == read.row_groups_total == 18


def test_view_text_is_matched_by_schema_and_table_whatever_its_catalog() -> None:
    columns = {"silver.events_deduped": ["dt", "payload"]}
    plan = plan_view(
        "silver.v",
        "CREATE VIEW silver.v AS SELECT dt FROM build_42.silver.events_deduped;",
        columns,
    )
    assert plan.exact
    assert [(r.relation, dict(r.derives)) for r in plan.reads] == [
        ("silver.events_deduped", {"dt": frozenset({"dt"})})
    ]
    broken = plan_view(
        "silver.w", "CREATE VIEW silver.w AS SELECT (((( FROM silver.events_deduped", columns
    )
    assert not broken.exact
    assert [(r.relation, r.always) for r in broken.reads] == [
        ("silver.events_deduped", frozenset({"dt", "payload"}))
    ]


@pytest.fixture
def view_lake(lake: LakeLayout) -> LakeLayout:
    """The shared lake: its build keeps the search-impression fact as a view over
    events_deduped."""
    warehouse = published_files(lake).warehouse
    assert warehouse is not None
    with duckdb.connect(warehouse, read_only=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM duckdb_views() "
            "WHERE schema_name = 'silver' AND view_name = 'fact_search_impressions'"
        ).fetchone()
    assert found == (1,)
    return lake


def _gate(layout: LakeLayout, tmp_path: Path, query_cap: int) -> Gate:
    profile = replace(load_profile("test"), query_cap=query_cap)
    state = open_state(f"sqlite:///{tmp_path / f'state-{query_cap}.db'}")
    return Gate(layout, state=state, env=profile)


@pytest.fixture
def explained(view_lake: LakeLayout, tmp_path: Path) -> Iterator[Callable[[str], int]]:
    with _gate(view_lake, tmp_path, 10**12) as gate:
        yield lambda sql: gate.explain(ADMIN, sql, path=QueryPath.CLI).estimate.scanned_bytes


def test_the_cost_guard_refuses_an_over_budget_query_on_a_view(
    view_lake: LakeLayout, tmp_path: Path, explained: Callable[[str], int]
) -> None:
    month = "dt BETWEEN DATE '2026-01-01' AND DATE '2026-01-31'"
    sql = f"SELECT search_id FROM silver.fact_search_impressions WHERE {month}"
    size = explained(sql)
    assert size > 0
    assert size == explained(
        f"SELECT payload FROM silver.events_deduped WHERE event = 'search.impression' AND {month}"
    )
    cheap = "SELECT dt FROM silver.fact_search_impressions WHERE dt = DATE '2026-01-06'"
    assert 0 < explained(cheap) < size
    with _gate(view_lake, tmp_path, size - 1) as gate:
        assert gate.run(ADMIN, cheap, path=QueryPath.CLI).rows
        with pytest.raises(RastupError) as error:
            gate.run(ADMIN, sql, path=QueryPath.CLI)
        assert error.value.code is ErrorCode.ATHENA_SCANNED_BYTES_BREACH
        assert "per-query cap" in error.value.message

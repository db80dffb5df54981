"""The golden-mart comparator against a real DuckDB."""

from __future__ import annotations

import copy
import json
from datetime import date

import duckdb
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality import compare_marts, load_golden

MARKET = [
    {
        "dt": "2026-03-01",
        "city": "nyc",
        "bookings": 3,
        "gmv_cents": 30000,
        "platform_fee_cents": 3000,
        "take_rate": 0.1,
    },
    {
        "dt": "2026-03-01",
        "city": "lax",
        "bookings": 1,
        "gmv_cents": 7000,
        "platform_fee_cents": 700,
        "take_rate": 0.1,
    },
    {
        "dt": "2026-03-02",
        "city": "nyc",
        "bookings": 0,
        "gmv_cents": 0,
        "platform_fee_cents": 0,
        "take_rate": None,
    },
]
RECON = [
    {
        "dt": "2026-03-01",
        "charges_cents": 37000,
        "refunds_cents": 0,
        "payouts_cents": 33300,
        "fees_cents": 3700,
        "variance_cents": 0,
    },
]


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        connection.execute("""
            CREATE SCHEMA gold;
            CREATE TABLE gold.kpi_marketplace_daily (dt DATE, city VARCHAR, bookings BIGINT,
                gmv_cents BIGINT, platform_fee_cents BIGINT, take_rate DOUBLE);
            INSERT INTO gold.kpi_marketplace_daily VALUES
                ('2026-03-01', 'nyc', 3, 30000, 3000, 3000 / 30000),
                ('2026-03-01', 'lax', 1, 7000, 700, 700 / 7000),
                ('2026-03-02', 'nyc', 0, 0, 0, NULL);
            CREATE TABLE gold.ops_recon_daily AS SELECT DATE '2026-03-01' AS dt,
                37000::HUGEINT AS charges_cents, 0::HUGEINT AS refunds_cents,
                33300::DECIMAL(18, 0) AS payouts_cents, 3700 AS fees_cents, 0 AS variance_cents;
        """)
        yield connection


def golden() -> dict[str, list[dict]]:
    return {
        "kpi_marketplace_daily": copy.deepcopy(MARKET),
        "gold.ops_recon_daily": copy.deepcopy(RECON),
    }


def test_equal_marts_are_ok(conn):
    result = compare_marts(conn, golden())
    assert result.ok, result.render()
    assert [m.mart for m in result.marts] == ["gold.ops_recon_daily", "gold.kpi_marketplace_daily"]
    assert result.mart("kpi_marketplace_daily").key_columns == ("dt", "city")
    assert result.render().startswith("golden comparison OK: 2 mart(s) equal")


def test_row_order_does_not_matter(conn):
    data = golden()
    data["kpi_marketplace_daily"].reverse()
    assert compare_marts(conn, data).ok


def test_float_noise_below_tolerance_is_accepted(conn):
    data = golden()
    data["kpi_marketplace_daily"][0]["take_rate"] = 0.1 * (1 + 1e-12)
    assert compare_marts(conn, data).ok


def test_ratio_beyond_tolerance_is_a_difference(conn):
    data = golden()
    data["kpi_marketplace_daily"][0]["take_rate"] = 0.1 * (1 + 1e-6)
    result = compare_marts(conn, data)
    assert not result.ok
    (cell,) = result.mart("kpi_marketplace_daily").differences
    assert (dict(cell.key), cell.column, cell.actual) == (
        {"dt": "2026-03-01", "city": "nyc"},
        "take_rate",
        0.1,
    )
    assert compare_marts(conn, data, rel_tol=1e-5).ok


def test_money_and_counts_must_be_exact(conn):
    data = golden()
    data["kpi_marketplace_daily"][1]["gmv_cents"] = 7001
    data["kpi_marketplace_daily"][1]["bookings"] = 1.0000000001
    result = compare_marts(conn, data, rel_tol=1e-3)
    diffs = result.mart("kpi_marketplace_daily").differences
    assert sorted(d.column for d in diffs) == ["bookings", "gmv_cents"]
    assert result.mart("kpi_marketplace_daily").difference_count == 2
    gmv = next(d for d in diffs if d.column == "gmv_cents")
    assert (gmv.expected, gmv.actual) == (7001, 7000)


def test_none_equals_null_but_not_zero(conn):
    data = golden()
    assert data["kpi_marketplace_daily"][2]["take_rate"] is None
    assert compare_marts(conn, data).ok
    data["kpi_marketplace_daily"][2]["take_rate"] = 0.0
    (cell,) = compare_marts(conn, data).mart("kpi_marketplace_daily").differences
    assert (cell.expected, cell.actual) == (0.0, None)


def test_missing_and_extra_rows(conn):
    data = golden()
    removed = data["kpi_marketplace_daily"].pop(1)
    data["kpi_marketplace_daily"].append({**removed, "city": "chi"})
    diff = compare_marts(conn, data).mart("gold.kpi_marketplace_daily")
    assert not diff.ok
    assert diff.missing_count == 1
    assert diff.missing_rows[0]["city"] == "chi"
    assert diff.extra_count == 1
    assert diff.extra_rows[0]["city"] == "lax"
    assert diff.extra_rows[0]["dt"] == "2026-03-01"  # built dates come back as ISO strings
    assert diff.difference_count == 0
    text = compare_marts(conn, data).render()
    assert "missing: dt=2026-03-01 city=chi" in text
    assert "extra:   dt=2026-03-01 city=lax" in text


def test_dates_compare_as_iso_strings(conn):
    data = golden()
    data["kpi_marketplace_daily"][0]["dt"] = date(2026, 3, 1)
    assert compare_marts(conn, data).ok


def test_missing_mart_and_missing_columns(conn):
    data = golden()
    data["kpi_trust_daily"] = [{"dt": "2026-03-01", "idv_started": 1}]
    for row in data["gold.ops_recon_daily"]:
        row["disputes_cents"] = 0
        del row["variance_cents"]
    result = compare_marts(conn, data)
    assert not result.ok
    assert result.mart("kpi_trust_daily").problem == "mart gold.kpi_trust_daily is missing"
    recon = result.mart("ops_recon_daily")
    assert recon.missing_columns == ("disputes_cents",)
    assert recon.extra_columns == ("variance_cents",)
    text = result.render()
    assert "golden comparison FAILED: 2 of 3 mart(s) differ" in text
    assert "DIFF gold.kpi_trust_daily: mart gold.kpi_trust_daily is missing" in text
    assert "missing columns: disputes_cents" in text


def test_duplicate_keys_are_reported(conn):
    conn.execute("INSERT INTO gold.ops_recon_daily SELECT * FROM gold.ops_recon_daily")
    diff = compare_marts(conn, golden()).mart("ops_recon_daily")
    assert not diff.ok
    assert [dict(k) for k in diff.duplicate_keys] == [{"dt": "2026-03-01"}]


def test_first_n_differences_are_kept_and_all_counted(conn):
    conn.execute("""
        CREATE TABLE gold.kpi_funnel_daily AS
        SELECT DATE '2026-03-01' + CAST(d AS INTEGER) AS dt, 'search_click' AS stage, 1 AS users
        FROM range(30) r(d)
    """)
    rows = [
        {
            "dt": str(date(2026, 3, 1).fromordinal(date(2026, 3, 1).toordinal() + d)),
            "stage": "search_click",
            "users": 2,
        }
        for d in range(30)
    ]
    diff = compare_marts(conn, {"kpi_funnel_daily": rows}, max_differences=5).mart(
        "kpi_funnel_daily"
    )
    assert diff.difference_count == 30
    assert len(diff.differences) == 5
    assert (
        "… and 25 more differing cell(s)"
        in compare_marts(conn, {"kpi_funnel_daily": rows}, max_differences=5).render()
    )


def test_empty_golden_expects_an_empty_mart(conn):
    result = compare_marts(conn, {"ops_recon_daily": []})
    diff = result.mart("ops_recon_daily")
    assert diff.extra_count == 1
    assert not result.ok


def test_to_dict_is_json_ready(conn):
    data = golden()
    data["kpi_marketplace_daily"][0]["gmv_cents"] = 1
    payload = orjson.loads(orjson.dumps(compare_marts(conn, data).to_dict()))
    assert payload["ok"] is False
    market = next(m for m in payload["marts"] if m["mart"] == "gold.kpi_marketplace_daily")
    assert market["differences"] == [
        {
            "key": {"dt": "2026-03-01", "city": "nyc"},
            "column": "gmv_cents",
            "expected": 1,
            "actual": 30000,
        }
    ]


def test_negative_tolerance_is_misuse(conn):
    with pytest.raises(RastupError) as info:
        compare_marts(conn, golden(), rel_tol=-1)
    assert info.value.code is ErrorCode.CONFIG_INVALID


def test_load_golden_from_file_and_folder(tmp_path, conn):
    file = tmp_path / "golden.json"
    file.write_text(json.dumps(golden()), encoding="utf-8")
    assert compare_marts(conn, load_golden(file)).ok

    simulator_style = tmp_path / "simulated.json"
    simulator_style.write_text(
        json.dumps({"meta": {"days": 2}, "marts": golden()}), encoding="utf-8"
    )
    assert sorted(load_golden(simulator_style)) == [
        "gold.ops_recon_daily",
        "kpi_marketplace_daily",
    ]

    folder = tmp_path / "marts"
    folder.mkdir()
    (folder / "kpi_marketplace_daily.json").write_text(json.dumps(MARKET), encoding="utf-8")
    (folder / "ops_recon_daily.ndjson").write_text(
        "\n".join(json.dumps(row) for row in RECON) + "\n", encoding="utf-8"
    )
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    loaded = load_golden(folder)
    assert sorted(loaded) == ["kpi_marketplace_daily", "ops_recon_daily"]
    assert compare_marts(conn, loaded).ok


@pytest.mark.parametrize(
    "content", ["[1, 2]", "{not json", '{"kpi_funnel_daily": {"a": 1}}', "{}", '{"marts": {}}']
)
def test_load_golden_rejects_bad_files(tmp_path, content):
    file = tmp_path / "golden.json"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(RastupError) as info:
        load_golden(file)
    assert info.value.code is ErrorCode.CONFIG_INVALID


def test_a_golden_folder_without_marts_is_refused_not_passed(tmp_path):
    """An empty folder (or a typo's folder of other files) compared nothing and said OK."""
    (tmp_path / "notes.txt").write_text("not a mart", encoding="utf-8")
    with pytest.raises(RastupError) as info:
        load_golden(tmp_path)
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "no golden marts in" in info.value.message


_rows = st.lists(
    st.tuples(
        st.integers(0, 30),
        st.sampled_from(["nyc", "lax", "chi"]),
        st.integers(0, 10**12),
        st.one_of(st.none(), st.floats(0, 1, allow_nan=False)),
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows, victim=st.integers(0, 19))
def test_property_self_equal_and_one_change_is_one_difference(rows, victim):
    with duckdb.connect() as db:
        db.execute(
            "CREATE SCHEMA gold; CREATE TABLE gold.m (dt DATE, city VARCHAR, "
            "gmv_cents BIGINT, take_rate DOUBLE)"
        )
        db.executemany(
            "INSERT INTO gold.m VALUES (DATE '2026-01-01' + CAST(? AS INTEGER), ?, ?, ?)", rows
        )
        built = db.execute("SELECT * FROM gold.m").fetchall()
        expected = [
            {"dt": d.isoformat(), "city": c, "gmv_cents": g, "take_rate": t} for d, c, g, t in built
        ]
        assert compare_marts(db, {"m": expected}).ok
        changed = copy.deepcopy(expected)
        changed[victim % len(changed)]["gmv_cents"] += 1
        diff = compare_marts(db, {"m": changed}).mart("m")
        assert diff.difference_count == 1
        assert diff.differences[0].column == "gmv_cents"

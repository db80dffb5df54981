"""The gate's commands: query as a token's principal, refusals as one coded line, tokens,
audit and cost report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.lake.layout import LakeLayout
from rastup_data.simulate import CITIES


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _token(lake: LakeLayout, *extra: str) -> str:
    code, out, err = _invoke("auth", "token", "create", "--lake", str(lake.root), *extra)
    assert code == 0, err
    return out.strip().splitlines()[-1]


def test_a_token_queries_as_its_principal_and_is_audited(lake: LakeLayout) -> None:
    token = _token(lake, "--principal", "cli-nyc", "--role", "analyst", "--city", "nyc")
    assert token.startswith("rgt_")
    sql = "SELECT city, sum(bookings) AS n FROM gold.kpi_marketplace_daily GROUP BY 1"
    code, out, _ = _invoke(
        "query", "--lake", str(lake.root), "--format", "json", sql, env={"RASTUP_TOKEN": token}
    )
    assert code == 0
    assert json.loads(out) == [{"city": "nyc", "n": 12}]
    code, out, _ = _invoke(
        "audit", "list", "--lake", str(lake.root), "--principal", "cli-nyc", "--format", "json"
    )
    assert code == 0
    records = json.loads(out)
    assert [(r["principal"], r["role"], r["path"], r["status"]) for r in records] == [
        ("cli-nyc", "analyst", "cli", "ok")
    ]
    assert {"at", "code", "relations", "scanned_bytes"} <= set(records[0])


def test_refusals_are_one_line_with_their_code_and_no_traceback(lake: LakeLayout) -> None:
    token = _token(lake, "--principal", "cli-viewer", "--role", "viewer")
    env = {**os.environ, "DO_NOT_TRACK": "1", "RASTUP_TOKEN": token}
    for sql, code in (
        ("SELECT * FROM silver.fact_bookings", "ACCESS_DENIED"),
        ("COPY (SELECT 1) TO 'x.csv'", "QUERY_INVALID"),
        ("SELECT repeat('x', 2000000000) AS s", "QUERY_ANSWER_TOO_LARGE"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "rastup_data.cli", "query", "--lake", str(lake.root), sql],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 2
        first = proc.stderr.splitlines()[0]
        assert first.startswith(f"error: {code}: ")
        assert "Traceback" not in proc.stderr


def test_a_wrong_token_is_refused(lake: LakeLayout) -> None:
    code, _, err = _invoke("query", "--lake", str(lake.root), "--token", "rgt_nope", "SELECT 1")
    assert code == 2
    assert "AUTH_TOKEN_INVALID" in err


def test_explain_prints_the_estimate_without_running(lake: LakeLayout) -> None:
    sql = "SELECT user_id FROM bronze.events WHERE dt = DATE '2026-01-05'"
    code, out, _ = _invoke("query", "--lake", str(lake.root), "--explain", "--format", "json", sql)
    assert code == 0
    plan = json.loads(out)
    assert plan["relations"] == ["bronze.events"]
    assert plan["scanned_bytes"] > 0
    assert plan["billed_bytes"] == 10 * 1024 * 1024
    assert plan["reads"][0]["columns"] == ["dt", "user_id"]


def test_sql_dash_reads_the_query_from_stdin(lake: LakeLayout) -> None:
    sql = (
        "SELECT city, sum(bookings) AS n\nFROM gold.kpi_marketplace_daily\nGROUP BY 1 ORDER BY 1\n"
    )
    runner = CliRunner()
    piped = runner.invoke(
        cli, ["query", "--lake", str(lake.root), "--format", "json", "-"], input=sql
    )
    assert piped.exit_code == 0, piped.stderr
    given = runner.invoke(cli, ["query", "--lake", str(lake.root), "--format", "json", sql])
    assert json.loads(piped.stdout) == json.loads(given.stdout)
    assert [row["city"] for row in json.loads(piped.stdout)] == ["lax", "nyc"]
    explained = runner.invoke(
        cli, ["query", "--lake", str(lake.root), "--explain", "--format", "json", "-"], input=sql
    )
    assert explained.exit_code == 0, explained.stderr
    assert json.loads(explained.stdout)["relations"] == ["gold.kpi_marketplace_daily"]


def test_sql_dash_with_nothing_on_stdin_is_query_invalid(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["query", "--lake", str(tmp_path), "-"], input=" \n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: QUERY_INVALID: no SQL on stdin.")
    assert "Traceback" not in result.output


def test_query_help_says_dash_is_stdin() -> None:
    result = CliRunner().invoke(cli, ["query", "--help"])
    assert result.exit_code == 0
    assert '"-" reads the query from stdin' in " ".join(result.output.split())


def test_param_binds_the_query_parameters_in_order(lake: LakeLayout) -> None:
    sql = (
        "SELECT city, sum(bookings) AS n FROM gold.kpi_marketplace_daily "
        "WHERE dt >= ? AND city <> ? GROUP BY city ORDER BY city"
    )
    root = str(lake.root)
    code, out, err = _invoke(
        "query", "--lake", root, "--format", "json", "--param", "2026-01-06", "--param", "lax",
        sql,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == [{"city": "nyc", "n": 8}]
    # All dates: the nyc total the unparameterised query gives.
    code, out, _ = _invoke(
        "query", "--lake", root, "--format", "csv", "--param", "2026-01-01", "--param", "lax",
        sql,
    )  # fmt: skip
    assert (code, out.splitlines()) == (0, ["city,n", "nyc,12"])
    piped = CliRunner().invoke(
        cli,
        [
            "query",
            "--lake",
            root,
            "--format",
            "json",
            "--param",
            "2026-01-06",
            "--param",
            "nyc",
            "-",
        ],
        input=sql,
    )
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout) == [{"city": "lax", "n": 8}]
    explained = CliRunner().invoke(
        cli,
        ["query", "--lake", root, "--explain", "--format", "json", "--param", "2026-01-06",
         "--param", "nyc", "-"],
        input=sql,
    )  # fmt: skip
    assert explained.exit_code == 0, explained.stderr
    plan = json.loads(explained.stdout)
    assert plan["relations"] == ["gold.kpi_marketplace_daily"]
    assert "no plan" not in plan["engine_plan"]


def test_param_cast_with_double_colons_in_sql(lake: LakeLayout) -> None:
    code, out, err = _invoke(
        "query", "--lake", str(lake.root), "--format", "csv",
        "--param", "2026-01-05", "--param", "2026-01-08",
        "SELECT d::DATE AS day FROM range(?::DATE, ?::DATE, INTERVAL 1 DAY) AS t(d)",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == ["day", "2026-01-05", "2026-01-06", "2026-01-07"]
    code, out, err = _invoke(
        "query", "--lake", str(lake.root), "--format", "json", "--param", "7",
        "SELECT typeof(?) AS text, ?::INTEGER + 1 AS typed",
    )  # fmt: skip
    assert code == 2  # two parameters, one value
    code, out, err = _invoke(
        "query", "--lake", str(lake.root), "--format", "json", "--param", "7",
        "SELECT typeof($1) AS text, $1::INTEGER + 1 AS typed",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == [{"text": "VARCHAR", "typed": 8}]


def test_a_wrong_number_of_params_is_one_coded_line_and_refused_before_running(
    lake: LakeLayout,
) -> None:
    token = _token(lake, "--principal", "cli-params", "--role", "analyst")
    sql = "SELECT count(*) AS n FROM gold.kpi_marketplace_daily WHERE dt BETWEEN ? AND ?"
    env = {**os.environ, "DO_NOT_TRACK": "1", "RASTUP_TOKEN": token}
    for values, explain in (([], ()), (["2026-01-05"], ()), (["a", "b", "c"], ()),
                            (["2026-01-05"], ("--explain",))):  # fmt: skip
        options = [arg for value in values for arg in ("--param", value)]
        proc = subprocess.run(
            [sys.executable, "-m", "rastup_data.cli", "query", "--lake", str(lake.root),
             *explain, *options, sql],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""
        assert proc.stderr.splitlines() == [
            f"error: QUERY_INVALID: the query takes 2 parameter values (one per `?`, or per "
            f"$1, $2, ...) but {len(values)} {'was' if len(values) == 1 else 'were'} given. "
            "To fix this, give one value per parameter, in order."
        ]
    code, out, _ = _invoke(
        "audit", "list", "--lake", str(lake.root), "--principal", "cli-params", "--format", "json"
    )
    assert code == 0
    assert [(r["status"], r["code"]) for r in json.loads(out)] == [("refused", "QUERY_INVALID")] * 4


def test_query_help_shows_param_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["query", "--help"])
    assert result.exit_code == 0
    assert "--param VALUE" in result.output
    assert "rastup-data query --param 2026-01-06 --param nyc" in result.output
    assert "?::DATE" in result.output


def test_an_unknown_city_is_refused_naming_the_seed_cities(lake: LakeLayout) -> None:
    code, out, err = _invoke(
        "auth", "token", "create", "--lake", str(lake.root), "--principal", "cli-x",
        "--role", "analyst", "--city", "nyc", "--city", "xyz",
    )  # fmt: skip
    assert code == 2
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith("error: CONFIG_INVALID: unknown city 'xyz'. To fix this, use one of ")
    assert first.endswith(f"{', '.join(sorted(c.code for c in CITIES))}.")
    code, out, _ = _invoke("auth", "token", "list", "--lake", str(lake.root), "--format", "json")
    assert code == 0
    assert "cli-x" not in out


def test_tokens_audit_and_cost_need_an_admin(lake: LakeLayout) -> None:
    token = _token(lake, "--principal", "cli-analyst", "--role", "analyst")
    for args in (
        ("audit", "list"),
        ("audit", "verify"),
        ("auth", "token", "list"),
        ("cost", "report"),
        ("auth", "token", "create", "--principal", "x", "--role", "admin"),
    ):
        code, _, err = _invoke(*args, "--lake", str(lake.root), "--token", token)
        assert code == 2, args
        assert "ACCESS_DENIED" in err


def test_token_list_revoke_and_cost_report(lake: LakeLayout) -> None:
    token = _token(lake, "--principal", "cli-gone", "--role", "viewer")
    token_id = token.split("_")[1]
    code, out, _ = _invoke("auth", "token", "revoke", token_id, "--lake", str(lake.root))
    assert code == 0
    code, out, _ = _invoke("auth", "token", "list", "--lake", str(lake.root), "--format", "json")
    listed = {t["id"]: t for t in json.loads(out)}
    assert listed[token_id]["status"] == "revoked"
    assert token.split("_", 2)[2] not in out
    code, out, _ = _invoke(
        "cost", "report", "--lake", str(lake.root), "--by", "relation", "--format", "json"
    )
    assert code == 0
    report = json.loads(out)
    assert report["by"] == "relation"
    assert report["budget"]["env"] == "dev"
    code, out, _ = _invoke("audit", "verify", "--lake", str(lake.root))
    assert code == 0
    assert "verified" in out

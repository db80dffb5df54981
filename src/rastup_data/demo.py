"""`rastup-data demo`: the whole embedded platform, end to end, on a simulated marketplace.

simulate → serve (collector + lander) → send over HTTP → wait for Bronze → build Silver and
Gold behind the quality gates → KPI summary → golden drill verdict → keep serving.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.terminal import output_console, table_title

if TYPE_CHECKING:  # the pipeline's modules load when the demo runs, not for --help
    from rastup_data.collector.runtime import CollectorRuntime
    from rastup_data.collector.server import CollectorServer
    from rastup_data.ops.nrt_schedule import NrtScheduler
    from rastup_data.quality.golden import MartComparison
    from rastup_data.simulate import SimulationSummary

__all__ = ["DemoOptions", "DemoReport", "demo", "run_demo"]


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What a demo run did; the CLI prints it, tests assert on it."""

    lake: Path
    sent: int
    accepted: int
    duplicates: int
    rejected: int
    landed: int
    quarantined: int
    build_id: str
    drill_ok: bool
    drill_text: str
    url: str


def _step(console: Console, text: str) -> None:
    console.print(f"[bold cyan]▶[/] {text}")


def _bronze_counts(lake: Path) -> tuple[int, int]:
    """Rows landed and quarantined, from the Parquet footers."""
    from rastup_data.lake.stats import lake_stats

    parts = lake_stats(LakeLayout(lake))
    landed = sum(p.rows for p in parts if p.table == "events")
    return landed, sum(p.rows for p in parts if p.table == "_bad")


def _kpi_tables(conn: Any) -> list[Table]:
    tables = []
    daily = Table(title=table_title("Marketplace by day (gold.kpi_marketplace_daily)"))
    for column in ("dt", "bookings", "GMV $", "platform fees $", "take rate"):
        daily.add_column(column, justify="right")
    rows = conn.execute(
        "SELECT dt, sum(bookings), sum(gmv_cents), sum(platform_fee_cents), "
        "sum(platform_fee_cents) / nullif(sum(gmv_cents), 0) "
        "FROM gold.kpi_marketplace_daily GROUP BY dt ORDER BY dt"
    ).fetchall()
    for dt, bookings, gmv, fees, rate in rows:
        daily.add_row(
            str(dt),
            f"{bookings:,}",
            f"{gmv / 100:,.2f}",
            f"{fees / 100:,.2f}",
            "—" if rate is None else f"{rate:.2%}",
        )
    tables.append(daily)
    funnel = Table(
        title=table_title("Funnel, all days (gold.kpi_funnel_daily, distinct users per day summed)")
    )
    funnel.add_column("stage")
    funnel.add_column("users", justify="right")
    order = [
        "search_impression",
        "search_click",
        "profile_view",
        "checkout_start",
        "booking_confirmed",
    ]
    totals = dict(
        conn.execute(
            "SELECT stage, sum(users) FROM gold.kpi_funnel_daily GROUP BY stage"
        ).fetchall()
    )
    for stage in order:
        funnel.add_row(stage, f"{int(totals.get(stage, 0)):,}")
    tables.append(funnel)
    ops = Table(title="Operations")
    ops.add_column("measure")
    ops.add_column("value", justify="right")
    recon = conn.execute(
        "SELECT sum(charges_cents), sum(variance_cents) FROM gold.ops_recon_daily"
    ).fetchall()[0]
    backlog = conn.execute(
        "SELECT coalesce(sum(payouts), 0), coalesce(sum(amount_cents), 0) "
        "FROM gold.ops_payout_backlog"
    ).fetchall()[0]
    trust = conn.execute(
        "SELECT sum(idv_passed) / nullif(sum(idv_passed) + sum(idv_failed), 0) "
        "FROM gold.kpi_trust_daily"
    ).fetchall()[0]
    ops.add_row("charges $", f"{(recon[0] or 0) / 100:,.2f}")
    ops.add_row("recon variance $", f"{(recon[1] or 0) / 100:,.2f}")
    ops.add_row("payout backlog", f"{backlog[0]:,} payouts, ${backlog[1] / 100:,.2f}")
    ops.add_row("IDV pass rate", "—" if trust[0] is None else f"{trust[0]:.1%}")
    tables.append(ops)
    return tables


def _wait_drained(runtime: CollectorRuntime, timeout: float, console: Console) -> None:
    deadline = time.monotonic() + timeout
    with console.status("waiting for the lander to write everything to Bronze"):
        while not runtime.drained():
            if time.monotonic() > deadline:
                raise RastupError(
                    ErrorCode.PIPELINE_LAG_EXCEEDED,
                    f"events were still in the spool after {timeout:.0f}s",
                )
            time.sleep(0.1)


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What the demo simulates and where it serves (the options of ``rastup-data demo``)."""

    seed: int = 7
    days: int = 7
    users: int = 10_000
    #: First simulated day; default: so that the last day is yesterday (UTC).
    start: date | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    #: Keep serving after the drill until Ctrl-C or SIGTERM.
    serve: bool = True
    #: Validation processes of the collector (default: one per core).
    validation_workers: int | None = None


@dataclass(frozen=True, slots=True)
class _Live:
    """The demo's running collector."""

    url: str
    key: str
    runtime: CollectorRuntime
    nrt: NrtScheduler
    server: CollectorServer


def run_demo(
    out: Path, options: DemoOptions | None = None, *, console: Console | None = None
) -> DemoReport:
    """Run the demo; with ``options.serve`` keep the collector running until Ctrl-C/SIGTERM.

    Every process, thread and DuckDB connection the demo started is stopped or closed
    before it returns; the last line printed is the goodbye line.
    """
    from rastup_data.collector.processes import sigterm_as_interrupt

    options = options or DemoOptions()
    console = console or output_console(stderr=True)
    out = out.absolute()
    lake = _empty_lake(out)
    with sigterm_as_interrupt():
        summary = _simulate(console, out, options)
        with _running_collector(lake, options, console) as live:
            report = _ingest_build_and_drill(console, live, summary)
            experiment_keys = _print_experiments(console, lake)
            if options.serve:
                _serve_until_interrupted(console, live, experiment_keys)
        console.print(f"stopped: everything accepted is in Bronze at {lake}")
    return report


def _empty_lake(out: Path) -> Path:
    lake = out / "lake"
    if lake.exists() and any(lake.iterdir()):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"{lake} is not empty; remove it or pass another --out folder",
        )
    return lake


def _simulate(console: Console, out: Path, options: DemoOptions) -> SimulationSummary:
    from rastup_data.simulate import simulate

    # End yesterday (UTC) so no simulated event lies in the future.
    first_day = options.start or (datetime.now(UTC).date() - timedelta(days=options.days))
    _step(
        console,
        f"simulating {options.days} days of a marketplace with {options.users:,} users "
        f"(seed {options.seed}, from {first_day})",
    )
    summary = simulate(
        out,
        seed=options.seed,
        days=options.days,
        users=options.users,
        start=first_day,
        show_progress=True,
    )
    console.print(
        f"  {summary.sent:,} events written to {summary.events_path} "
        f"({summary.duplicates:,} resends, {summary.malformed:,} malformed, "
        f"{summary.late:,} late)"
    )
    return summary


@contextmanager
def _running_collector(lake: Path, options: DemoOptions, console: Console) -> Iterator[_Live]:
    """The collector with its lander and NRT refresh; stopped, drained and closed on exit."""
    from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
    from rastup_data.collector.server import CollectorServer, ServerOptions
    from rastup_data.ops.nrt_schedule import NrtScheduler

    workers = options.validation_workers
    key = "demo-" + secrets.token_hex(8)
    runtime = CollectorRuntime(
        CollectorConfig(
            lake=lake,
            keys=frozenset({key}),
            validation_workers=workers if workers is not None else os.cpu_count() or 1,
        )
    )
    nrt = NrtScheduler(runtime.layout, runtime.metrics, 30.0)
    runtime.add_background(nrt.start, nrt.stop)
    server = CollectorServer(
        runtime, ServerOptions(host=options.host, port=options.port, log_level="warning")
    )
    url = f"http://{options.host}:{options.port}"
    _step(console, f"starting the collector on {url} with a dev key")
    try:
        server.start()
        yield _Live(url, key, runtime, nrt, server)
    finally:
        server.stop()
        runtime.stop()  # already stopped with the server, unless it never started


def _ingest_build_and_drill(
    console: Console, live: _Live, summary: SimulationSummary
) -> DemoReport:
    from rastup_data.client import send_file

    lake = live.runtime.layout.local_root  # the demo's lake is a local folder
    _step(console, "sending the events over HTTP")
    sent = send_file(
        summary.events_path, url=live.url, key=live.key, progress=True, console=console
    )
    console.print(
        f"  {sent.accepted:,} accepted, {sent.duplicates:,} duplicates, "
        f"{sent.rejected:,} rejected into quarantine "
        f"in {sent.elapsed_s:.1f}s ({sent.events_per_s:,.0f} events/s)"
    )
    _wait_drained(live.runtime, 120, console)
    landed, quarantined = _bronze_counts(lake)
    balance = "balanced" if sent.sent == landed + quarantined + sent.duplicates else "OFF"
    console.print(
        f"  Bronze: {landed:,} events landed, {quarantined:,} quarantined — "
        f"sent {sent.sent:,} = landed + quarantined + duplicates: {balance}"
    )
    build_id, comparison = _build_and_drill(console, lake, summary.golden_path)
    _refresh_extracts(console, lake)
    return DemoReport(
        lake,
        sent.sent,
        sent.accepted,
        sent.duplicates,
        sent.rejected,
        landed,
        quarantined,
        build_id,
        comparison.ok,
        comparison.render(),
        live.url,
    )


def _build_and_drill(console: Console, lake: Path, golden: Path) -> tuple[str, MartComparison]:
    from rastup_data.governance import Gate, QueryPath, local_principal
    from rastup_data.quality.golden import compare_marts, load_golden
    from rastup_data.transform import BuildOptions, build, open_published

    _step(console, "building Silver and Gold behind the quality gates")
    result = build(
        LakeLayout(lake),
        BuildOptions(full_refresh=True),
        progress=lambda event: _print_build_event(console, event),
    )
    console.print(f"  built in {result.seconds:.1f}s")
    with Gate.open(lake) as gate:
        # The KPI summary is a read like any other: through the query gate, audited.
        for table in _kpi_tables(gate.connect(local_principal(), path=QueryPath.CLI)):
            console.print(table)
    conn = open_published(LakeLayout(lake))
    try:
        _step(console, "drill: every Gold mart against the simulator's golden KPIs")
        comparison = compare_marts(conn, load_golden(golden))
    finally:
        conn.close()
    style = "bold green" if comparison.ok else "bold red"
    console.print(f"[{style}]{'DRILL PASSED' if comparison.ok else 'DRILL FAILED'}[/]")
    console.print(comparison.render())
    return result.build_id, comparison


def _refresh_extracts(console: Console, lake: Path) -> None:
    """The six BI datasets into their extracts, as the schedule would (docs/dashboards.md)."""
    from rastup_data.bi import RefreshLimits, RefreshRequest, load_schedule, refresh_datasets
    from rastup_data.bi.home import dashboards_dir
    from rastup_data.environments import load_profile
    from rastup_data.state import open_state

    _step(console, "refreshing the BI extracts the dashboards read")
    limits = RefreshLimits.of(load_profile())
    with open_state(lake=lake) as state:
        runs = refresh_datasets(
            LakeLayout(lake),
            load_schedule(dashboards_dir()),
            state,
            RefreshRequest(limits=limits),
        )
    for run in runs:
        detail = f"{run.rows:,} rows" if run.ok else f"FAILED: {run.error}"
        console.print(f"  {run.dataset:<20} {detail}")


def _serve_until_interrupted(console: Console, live: _Live, experiment_keys: list[str]) -> None:
    try:
        live.nrt.refresh_once()
        _print_serving(console, live, experiment_keys)
        live.server.wait()
    except KeyboardInterrupt:
        console.print("stopping…")


def _print_serving(console: Console, live: _Live, experiment_keys: list[str]) -> None:
    console.print()
    console.print(f"[bold]Serving[/] (Ctrl-C to stop). API key: {live.key}")
    for path, what in (
        ("/healthz", "health"),
        ("/metrics", "Prometheus metrics"),
        ("/openapi.json", "OpenAPI document (the API reference)"),
        ("/registry/", "schema registry site and data dictionary"),
    ):
        console.print(f"  {live.url}{path:<14} {what}")
    token = _demo_token(live.runtime.layout.local_root)
    console.print(f"  query-gate token (finance, demo): {token}")
    console.print(
        f"  {live.url}/dashboards/  dashboards: sign in with the token above "
        "(or send it as a Bearer header)"
    )
    for board in ("executive", "city_ops", "trust", "finance", "growth", "comms"):
        console.print(f"    {live.url}/dashboards/{board}/")
    auth = f'-H "Authorization: Bearer {token}"'
    for key in experiment_keys:
        console.print(f"  curl {auth} {live.url}/experiments/{key}  experiment report")
    console.print(
        f'  curl {auth} -d \'{{"sql": "SELECT * FROM gold.kpi_marketplace_daily '
        f"LIMIT 5\"}}' {live.url}/v1/query"
    )
    console.print(
        f"  query: rastup-data query --lake {live.runtime.layout.root} "
        '"SELECT * FROM gold.kpi_marketplace_daily LIMIT 5"'
    )


def _demo_token(lake: Path) -> str:
    """A fresh finance token (money visible, identifiers masked) for trying the HTTP query
    API and the report pages (revenue metrics read Silver amounts, denied to analysts)."""
    from rastup_data.governance import Gate, local_principal

    with Gate.open(lake) as gate:
        token, _ = gate.tokens.create(
            "demo",
            "finance",
            known_roles=gate.policy.roles,
            ttl_days=7,
            created_by=local_principal().name,
        )
    return token


def _print_experiments(console: Console, lake: Path) -> list[str]:
    """Analyse each defined experiment from the lake; the keys analysed."""
    from rastup_data.experiments.definitions import load_experiments
    from rastup_data.experiments.home import find_definitions

    try:
        home = find_definitions()
        experiments = load_experiments(home.experiments_dir, home.catalog)
    except RastupError as exc:
        console.print(f"  (skipping experiment analysis: {exc})")
        return []
    _step(console, f"experiments, analysed from the lake ({home.describe})")
    table = Table()
    for column in ("experiment", "primary metric", "lift", "95% CI", "p", "recommendation"):
        table.add_column(column)
    keys = [
        key
        for key in sorted(experiments.experiments)
        if _add_experiment_rows(console, table, LakeLayout(lake), key, home.experiments_dir)
    ]
    console.print(table)
    return keys


def _add_experiment_rows(
    console: Console, table: Table, layout: LakeLayout, key: str, folder: Path
) -> bool:
    """One row per primary metric and treatment variant; False when it cannot be analysed."""
    from rastup_data.experiments.lake import analyze_experiment

    try:
        result = analyze_experiment(layout, key, experiments_dir=folder).result
    except RastupError as exc:
        console.print(f"  {key}: {exc}")
        return False
    data = result.to_dict()
    rows = [r for r in data["results"] if not r["is_control"] and r.get("role") == "primary"]
    if not rows:
        table.add_row(key, "—", "—", "—", "—", data["recommendation"])
    for row in rows:
        low, high = row.get("relative_ci_low"), row.get("relative_ci_high")
        table.add_row(
            key,
            f"{row['metric']} ({row['variant']})",
            _pct(row.get("relative_effect")),
            f"{_pct(low)} … {_pct(high)}",
            "—" if row.get("p_value") is None else f"{row['p_value']:.3f}",
            data["recommendation"],
        )
    return True


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


def _print_build_event(console: Console, event: Any) -> None:
    if event.stage == "node" and event.node is not None:
        return  # model-by-model lines are for `rastup-data build`; keep the demo short
    lines = event.text.splitlines()
    keep = lines[:2] + [line for line in lines[2:] if "FAILED" in line or "WARN" in line]
    for line in keep:
        console.print(f"  {line}")


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="Folder for the simulated events and the demo lake.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True)
@click.option("--users", type=click.IntRange(10), default=10_000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--no-serve", is_flag=True, help="Exit when done instead of serving.")
@click.option("--fresh", is_flag=True, help="Delete --out first if it exists.")
def demo(  # noqa: PLR0913 - click passes one keyword argument per option
    *,
    out: Path,
    seed: int,
    days: int,
    users: int,
    host: str,
    port: int,
    no_serve: bool,
    fresh: bool,
) -> None:
    """Simulate a marketplace, ingest it over HTTP, build Silver/Gold behind quality gates,
    print the KPIs and the golden drill verdict, then keep serving."""
    import shutil

    if fresh and out.exists():
        shutil.rmtree(out)
    options = DemoOptions(
        seed=seed, days=days, users=users, host=host, port=port, serve=not no_serve
    )
    report = run_demo(out, options)
    if not report.drill_ok:
        raise SystemExit(1)

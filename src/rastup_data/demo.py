"""`rastup-data demo`: the whole embedded platform, end to end, on a simulated marketplace.

simulate → serve (collector + lander) → send over HTTP → wait for Bronze → build Silver and
Gold behind the quality gates → KPI summary → golden drill verdict → keep serving.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from rastup_data.errors import ErrorCode, RastupError

__all__ = ["DemoReport", "demo", "run_demo"]


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
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.lake.stats import lake_stats

    parts = lake_stats(LakeLayout(lake))
    landed = sum(p.rows for p in parts if p.table == "events")
    return landed, sum(p.rows for p in parts if p.table == "_bad")


def _kpi_tables(conn: Any) -> list[Table]:
    tables = []
    daily = Table(title="Marketplace by day (gold.kpi_marketplace_daily)")
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
    funnel = Table(title="Funnel, all days (gold.kpi_funnel_daily, distinct users per day summed)")
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


def _wait_drained(runtime: Any, timeout: float, console: Console) -> None:
    deadline = time.monotonic() + timeout
    with console.status("waiting for the lander to write everything to Bronze"):
        while not runtime.drained():
            if time.monotonic() > deadline:
                raise RastupError(
                    ErrorCode.PIPELINE_LAG_EXCEEDED,
                    f"events were still in the spool after {timeout:.0f}s",
                )
            time.sleep(0.1)


def run_demo(
    out: Path,
    *,
    seed: int = 7,
    days: int = 7,
    users: int = 10_000,
    start: date | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    serve: bool = True,
    console: Console | None = None,
    validation_workers: int | None = None,
) -> DemoReport:
    """Run the demo; with ``serve`` keep the collector running until Ctrl-C."""
    import os

    from rastup_data.client import send_file
    from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
    from rastup_data.collector.server import CollectorServer, ServerOptions
    from rastup_data.governance import Gate, QueryPath, local_principal
    from rastup_data.lake.layout import LakeLayout
    from rastup_data.ops.nrt_schedule import NrtScheduler
    from rastup_data.quality.golden import compare_marts, load_golden
    from rastup_data.simulate import simulate
    from rastup_data.transform import build, open_published

    console = console or Console(stderr=True)
    out = out.absolute()
    lake = out / "lake"
    if lake.exists() and any(lake.iterdir()):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"{lake} is not empty; remove it or pass another --out folder",
        )
    # End yesterday (UTC) so no simulated event lies in the future.
    first_day = start or (datetime.now(UTC).date() - timedelta(days=days))
    _step(
        console,
        f"simulating {days} days of a marketplace with {users:,} users "
        f"(seed {seed}, from {first_day})",
    )
    summary = simulate(out, seed=seed, days=days, users=users, start=first_day, show_progress=True)
    console.print(
        f"  {summary.sent:,} events written to {summary.events_path} "
        f"({summary.duplicates:,} resends, {summary.malformed:,} malformed, "
        f"{summary.late:,} late)"
    )

    key = "demo-" + secrets.token_hex(8)
    runtime = CollectorRuntime(
        CollectorConfig(
            lake=lake,
            keys=frozenset({key}),
            validation_workers=(
                validation_workers if validation_workers is not None else os.cpu_count() or 1
            ),
        )
    )
    nrt = NrtScheduler(runtime.layout, runtime.metrics, 30.0)
    runtime.add_background(nrt.start, nrt.stop)
    server = CollectorServer(runtime, ServerOptions(host=host, port=port, log_level="warning"))
    url = f"http://{host}:{port}"
    _step(console, f"starting the collector on {url} with a dev key")
    server.start()
    try:
        _step(console, "sending the events over HTTP")
        sent = send_file(summary.events_path, url=url, key=key, progress=True, console=console)
        console.print(
            f"  {sent.accepted:,} accepted, {sent.duplicates:,} duplicates, "
            f"{sent.rejected:,} rejected into quarantine "
            f"in {sent.elapsed_s:.1f}s ({sent.events_per_s:,.0f} events/s)"
        )
        _wait_drained(runtime, 120, console)
        landed, quarantined = _bronze_counts(lake)
        balance = "balanced" if sent.sent == landed + quarantined + sent.duplicates else "OFF"
        console.print(
            f"  Bronze: {landed:,} events landed, {quarantined:,} quarantined — "
            f"sent {sent.sent:,} = landed + quarantined + duplicates: {balance}"
        )

        _step(console, "building Silver and Gold behind the quality gates")
        result = build(
            LakeLayout(lake),
            full_refresh=True,
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
            comparison = compare_marts(conn, load_golden(summary.golden_path))
        finally:
            conn.close()
        verdict = comparison.render()
        style = "bold green" if comparison.ok else "bold red"
        console.print(f"[{style}]{'DRILL PASSED' if comparison.ok else 'DRILL FAILED'}[/]")
        console.print(verdict)
        experiment_keys = _print_experiments(console, lake)
        report = DemoReport(
            lake,
            sent.sent,
            sent.accepted,
            sent.duplicates,
            sent.rejected,
            landed,
            quarantined,
            result.build_id,
            comparison.ok,
            verdict,
            url,
        )
        if serve:
            nrt.refresh_once()
            console.print()
            console.print(f"[bold]Serving[/] (Ctrl-C to stop). API key: {key}")
            for path, what in (
                ("/healthz", "health"),
                ("/metrics", "Prometheus metrics"),
                ("/openapi.json", "OpenAPI document (the API reference)"),
                ("/registry/", "schema registry site and data dictionary"),
            ):
                console.print(f"  {url}{path:<14} {what}")
            token = _demo_token(lake)
            console.print(f"  query-gate token (finance, demo): {token}")
            auth = f'-H "Authorization: Bearer {token}"'
            for key in experiment_keys:
                console.print(f"  curl {auth} {url}/experiments/{key}  experiment report")
            console.print(
                f'  curl {auth} -d \'{{"sql": "SELECT * FROM gold.kpi_marketplace_daily '
                f"LIMIT 5\"}}' {url}/v1/query"
            )
            console.print(
                f"  query: rastup-data query --lake {lake} "
                '"SELECT * FROM gold.kpi_marketplace_daily LIMIT 5"'
            )
            try:
                server.wait()
            except KeyboardInterrupt:
                console.print("stopping…")
        return report
    finally:
        server.stop(timeout=60)


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
    from rastup_data.experiments.lake import analyze_experiment
    from rastup_data.lake.layout import LakeLayout

    folder = Path("experiments")
    if not folder.is_dir():
        console.print("  (no experiments/ folder here: skipping experiment analysis)")
        return []
    _step(console, "experiments, analysed from the lake")
    table = Table()
    for column in ("experiment", "primary metric", "lift", "95% CI", "p", "recommendation"):
        table.add_column(column)
    keys = []
    for key in sorted(load_experiments(folder).experiments):
        try:
            result = analyze_experiment(LakeLayout(lake), key, experiments_dir=folder).result
        except RastupError as exc:
            console.print(f"  {key}: {exc}")
            continue
        keys.append(key)
        data = result.to_dict()
        rows = [r for r in data["results"] if not r["is_control"] and r.get("role") == "primary"]
        for row in rows or [None]:
            if row is None:
                table.add_row(key, "—", "—", "—", "—", data["recommendation"])
                continue
            low, high = row.get("relative_ci_low"), row.get("relative_ci_high")
            table.add_row(
                key,
                f"{row['metric']} ({row['variant']})",
                _pct(row.get("relative_effect")),
                f"{_pct(low)} … {_pct(high)}",
                "—" if row.get("p_value") is None else f"{row['p_value']:.3f}",
                data["recommendation"],
            )
    console.print(table)
    return keys


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
def demo(
    out: Path, seed: int, days: int, users: int, host: str, port: int, no_serve: bool, fresh: bool
) -> None:
    """Simulate a marketplace, ingest it over HTTP, build Silver/Gold behind quality gates,
    print the KPIs and the golden drill verdict, then keep serving."""
    import shutil

    if fresh and out.exists():
        shutil.rmtree(out)
    report = run_demo(
        out, seed=seed, days=days, users=users, host=host, port=port, serve=not no_serve
    )
    if not report.drill_ok:
        raise SystemExit(1)

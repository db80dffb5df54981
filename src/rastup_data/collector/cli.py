"""`rastup-data serve`: the collector and the lander in one process."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import click

from rastup_data.collector.operations import OperationsOptions, operations_jobs
from rastup_data.collector.processes import sigterm_as_interrupt
from rastup_data.config import FiniteFloatRange, Settings, parse_webhook_secrets
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.limits import IngestLimits
from rastup_data.lake.existing import check_store
from rastup_data.lake.layout import LakeLayout
from rastup_data.lake.options import lake_option, work_dir_option
from rastup_data.spool.spool import SpoolConfig

__all__ = ["serve"]

_STOPPED = "collector stopped: everything accepted is in Bronze"


@click.command()
@lake_option()
@work_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML file with a [collector] table (keys, limits, spool).",
)
@click.option(
    "--validation-workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Processes that parse and validate events (default: one per core; "
    "0 validates in the server process).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Collector processes sharing the port (default: one per core). With one, the "
    "collector validates in --validation-workers processes instead.",
)
@click.option(
    "--experiments",
    "--experiments-dir",
    "experiments_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of experiment definitions for POST /v1/assign and the report pages "
    "[default: $RASTUP_EXPERIMENTS_DIR, else ./experiments, else the shipped examples].",
)
@click.option(
    "--nrt-interval",
    type=FiniteFloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds between NRT ops view refreshes (0 turns them off).",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Run the environment's schedule (daily build, lifecycle, Bronze compaction, alert "
    "evaluation, guardrails; see docs/operations.md). One runner per lake: another waits on "
    "standby.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(
    *,
    lake: Path | None,
    work_dir: Path | None,
    host: str,
    port: int,
    config_file: Path | None,
    validation_workers: int | None,
    workers: int | None,
    experiments_dir: Path | None,
    nrt_interval: float,
    scheduler: bool,
    log_level: str,
) -> None:
    """Run the collector (POST /v1/events) and the lander until SIGINT/SIGTERM.

    API keys come from $RASTUP_INGEST_KEYS (comma-separated) or `ingest_keys` in the config
    file. Without keys the collector only listens on a loopback address.
    """
    from rastup_data.collector.config_file import load_collector_config
    from rastup_data.collector.protocol import HttpLimits
    from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
    from rastup_data.collector.server import CollectorServer, ServerOptions, check_exposure

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env(lake=lake)
    check_store(LakeLayout(settings.lake, work_dir))  # an s3:// lake that does not answer
    section = load_collector_config(config_file)
    keys = set(settings.ingest_keys) | {str(k) for k in section.get("ingest_keys", [])}
    check_exposure(host, keys)
    try:
        limits = IngestLimits(**section.get("limits", {}))
        spool = SpoolConfig(**section.get("spool", {}))
        http = HttpLimits(**section.get("http", {}))
    except TypeError as exc:
        raise RastupError(ErrorCode.CONFIG_INVALID, f"config: {exc}") from None
    webhook_secrets = _webhook_secrets(settings.webhook_secrets, section)
    config = CollectorConfig(
        lake=settings.lake,
        work_dir=work_dir,
        keys=frozenset(keys),
        env=settings.env,
        limits=limits,
        spool=spool,
        dedupe_window_s=float(section.get("dedupe_window_s", 3600.0)),
        experiments_dir=_experiments_home(experiments_dir, settings),
        state_url=settings.state_url,
        webhook_secrets=webhook_secrets,
        validation_workers=(
            validation_workers
            if validation_workers is not None
            else int(section.get("validation_workers", os.cpu_count() or 1))
        ),
    )
    options = ServerOptions(host=host, port=port, log_level=log_level, http=http)
    operations = OperationsOptions(nrt_interval, scheduler, config.experiments_dir)
    processes = workers if workers is not None else int(section.get("workers", os.cpu_count() or 1))
    if processes > 1:
        from rastup_data.collector.supervisor import Supervisor

        click.echo(
            f"collector on http://{host}:{port}  lake {settings.lake}  "
            f"({processes} worker processes, supervisor pid {os.getpid()})",
            err=True,
        )
        Supervisor(config, options, workers=processes, operations=operations).run()
        click.echo(_STOPPED, err=True)
        return
    runtime = CollectorRuntime(config)
    if not keys:
        click.echo(
            "warning: no API keys configured; accepting unauthenticated events on loopback only",
            err=True,
        )
    click.echo(
        f"collector on http://{host}:{port}  lake {settings.lake}  (pid {os.getpid()})", err=True
    )
    jobs = operations_jobs(
        runtime.layout, runtime.metrics, lambda: runtime.exposition().decode(), operations
    )
    for start, stop in jobs:
        runtime.add_background(start, stop)
    with sigterm_as_interrupt(), contextlib.suppress(KeyboardInterrupt):
        CollectorServer(runtime, options).run()
    click.echo(_STOPPED, err=True)


def _experiments_home(given: Path | None, settings: Settings) -> Path:
    """The definitions folder for /v1/assign and the report pages, said once at start."""
    from rastup_data.experiments.home import find_experiments_dir

    folder, source = find_experiments_dir(given, settings=settings)
    click.echo(f"experiments from {folder} ({source.value})", err=True)
    return folder


def _webhook_secrets(from_env: str, section: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Secrets of $RASTUP_WEBHOOK_SECRETS merged with ``[collector.webhook_secrets]``."""
    try:
        merged = {k: list(v) for k, v in parse_webhook_secrets(from_env).items()}
    except ValueError as exc:
        raise RastupError(ErrorCode.CONFIG_INVALID, f"RASTUP_WEBHOOK_SECRETS: {exc}") from None
    table = section.get("webhook_secrets", {})
    if not isinstance(table, dict):
        raise RastupError(ErrorCode.CONFIG_INVALID, "config: webhook_secrets must be a table")
    for provider, values in table.items():
        listed = [values] if isinstance(values, str) else values
        if not isinstance(listed, list) or not all(isinstance(v, str) and v for v in listed):
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"config: webhook_secrets.{provider} must be a secret or a list of secrets",
            )
        merged.setdefault(str(provider), []).extend(listed)
    return {provider: tuple(dict.fromkeys(values)) for provider, values in merged.items()}

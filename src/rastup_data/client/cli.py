"""`rastup-data send`: a thin shell over :func:`rastup_data.client.send_file`."""

from __future__ import annotations

import click

from rastup_data.client.batching import MAX_EVENTS_PER_REQUEST
from rastup_data.client.retry import RetryPolicy
from rastup_data.client.sender import send_file
from rastup_data.client.summary import render_summary
from rastup_data.config import FiniteFloatRange, Settings
from rastup_data.terminal import output_console

__all__ = ["send"]


@click.command("send")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", help="Collector base URL [default: $RASTUP_URL or http://127.0.0.1:8080].")
@click.option("--key", help="API key [default: $RASTUP_KEY].")
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, MAX_EVENTS_PER_REQUEST),
    default=500,
    show_default=True,
    help="Most events per request.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option("--no-gzip", is_flag=True, help="Send bodies uncompressed.")
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each request.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 100),
    default=6,
    show_default=True,
    help="Tries per request before the batch counts as failed.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary format on stdout.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: when stderr is a terminal].",
)
def send(
    *,
    file: str,
    url: str | None,
    key: str | None,
    batch_size: int,
    concurrency: int,
    no_gzip: bool,
    timeout: float,
    max_attempts: int,
    output_format: str,
    progress: bool | None,
) -> None:
    """Send FILE (NDJSON, one event per line; .gz or '-' for stdin) to a collector.

    Blank lines are skipped; lines go as-is, so malformed ones get a verdict from the
    collector. Exit code 0 when every batch was answered (even with rejected events),
    1 when batches failed, 2 on usage errors.
    """
    settings = Settings.from_env()
    summary = send_file(
        file,
        url=url or settings.url,
        key=key or settings.key,
        batch=batch_size,
        concurrency=concurrency,
        gzip=not no_gzip,
        timeout=timeout,
        retry=RetryPolicy(max_attempts=max_attempts),
        progress=progress,
        console=output_console(stderr=True),
    )
    if output_format == "json":
        click.echo(summary.to_json())
    else:
        render_summary(summary, output_console())
    ctx = click.get_current_context()
    ctx.exit(summary.exit_code)

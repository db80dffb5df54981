"""`rastup-data lander buffers` widens a running collector's spool while the lander is
behind: a spool that refused events (INGEST_OVERLOADED) accepts them within two seconds of
the command, and `--reset` brings the configured limit back."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from tests.waiting import wait_until

from rastup_data.cli import cli
from rastup_data.spool.spool import SpoolConfig

from .conftest import LiveCollector, fresh_events, start_collector


def _buffers(lake: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["lander", "buffers", "--lake", str(lake), *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _status_after(live: LiveCollector, wanted: int) -> int:
    """POST until the answer is ``wanted``; the last answer's status."""
    statuses: list[int] = []

    def answered() -> bool:
        statuses.append(live.post(orjson.dumps(fresh_events(5))).status_code)
        return statuses[-1] == wanted

    with contextlib.suppress(AssertionError):  # the caller asserts the status
        wait_until(answered, f"a {wanted} answer")
    return statuses[-1]


def test_widened_buffers_apply_to_a_running_collector(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    live, server = start_collector(lake, spool=SpoolConfig(rotate_s=0.05, max_bytes=1), land=False)
    try:
        assert live.post(orjson.dumps(fresh_events(5))).status_code == 202
        assert _status_after(live, 503) == 503  # the 1-byte spool is full
        shown = _buffers(lake, "--max-bytes", "64 MiB", "--rotate", "2s", "--reason", "lag")
        assert shown == "lander buffers: spool max 67,108,864 bytes, rotate every 2s"
        assert _status_after(live, 202) == 202
        assert live.runtime.spool.config.rotate_s == 2.0
        assert _buffers(lake, "--reset") == "lander buffers: as configured"
        assert _status_after(live, 503) == 503
        assert live.runtime.spool.config == SpoolConfig(rotate_s=0.05, max_bytes=1)
    finally:
        live.client.close()
        server.stop()


def test_a_malformed_size_is_a_coded_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["lander", "buffers", "--lake", str(tmp_path), "--max-bytes", "lots"]
    )
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.output
    assert "--max-bytes" in result.output


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--rotate", "99999999d", "--rotate must be more than 0 and at most 3600s"),
        ("--rotate", "2h", "--rotate must be more than 0 and at most 3600s"),
        ("--max-bytes", "999999999 TB", "--max-bytes must be more than 0 and at most 1 PiB"),
        ("--max-backlog", "99999999", "--max-backlog must be more than 0 and at most 1,000,000"),
    ],
)
def test_a_value_a_collector_cannot_apply_is_refused_and_not_stored(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    """A rotation of 99999999d was stored, and the running collector's spool writer died
    applying it (OverflowError in its wait): every later request hung."""
    result = CliRunner().invoke(cli, ["lander", "buffers", "--lake", str(tmp_path), option, value])
    assert result.exit_code == 2, result.output
    assert f"CONFIG_INVALID: lander buffers: {says}" in result.stderr
    shown = CliRunner().invoke(cli, ["lander", "buffers", "--lake", str(tmp_path)])
    assert shown.stdout.strip() == "lander buffers: as configured"

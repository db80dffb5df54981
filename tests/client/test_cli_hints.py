"""`send` says what to do about the failure it met, not where the settings are documented."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from rastup_data.cli import cli


@pytest.fixture
def events_file(tmp_path: Path, kit: ModuleType) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join(kit.ndjson_lines(3)) + b"\n")
    return path


def _send(path: Path | str, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["send", str(path), "--url", url, "--key", "k", "--max-attempts", "1"]
    )
    return result.exit_code, result.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


class _NotACollector(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>not here</html>")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def other_service() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _NotACollector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_missing_file_gets_a_hint_about_the_file(tmp_path: Path) -> None:
    code, output = _send(tmp_path / "nope.ndjson", "http://127.0.0.1:9")
    assert code == 2
    assert "no such file" in output
    assert "hint: Check the path" in output
    assert "environment-variables" not in output


def test_connection_refused_says_to_start_the_collector_or_fix_the_url(
    events_file: Path,
) -> None:
    code, output = _send(events_file, f"http://127.0.0.1:{_closed_port()}")
    assert code == 1
    assert "failed COLLECTOR_UNREACHABLE" in output
    assert "hint: nothing answered at the collector URL" in output
    assert "rastup-data serve" in output
    assert "environment-variables" not in output


def test_another_program_on_the_port_is_named_as_such(
    events_file: Path, other_service: str
) -> None:
    code, output = _send(events_file, other_service)
    assert code == 1
    assert "failed HTTP_404" in output
    assert "another program may hold that port" in output
    assert "environment-variables" not in output

"""A collector process that only ingests does not load the query gate and its libraries.

Every `serve` worker builds the full app; the query, report and privacy routes load the
gate (pyarrow, numpy, sqlglot) and the purge machinery with their first request, not at
start (about 80 MiB per worker otherwise).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import orjson

from .conftest import fresh_events

_HEAVY = ("rastup_data.governance", "pyarrow", "numpy", "sqlglot", "rastup_data.privacy.purging")

_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import httpx
    import orjson

    from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
    from rastup_data.collector.server import CollectorServer, ServerOptions

    lake, body, heavy = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), sys.argv[3:]
    runtime = CollectorRuntime(CollectorConfig(lake=lake, keys=frozenset({"k" * 20})))
    server = CollectorServer(runtime, ServerOptions(port=0, log_level="warning", loop="asyncio"))
    server.start(timeout=30)
    try:
        answer = httpx.post(
            server.url + "/v1/events",
            content=body,
            headers={"Authorization": "Bearer " + "k" * 20, "Content-Type": "application/json"},
            timeout=30,
        )
        loaded = [name for name in heavy if name in sys.modules]
        with_query = httpx.post(server.url + "/v1/query", json={"sql": "SELECT 1"}, timeout=30)
        after_query = [name for name in heavy if name in sys.modules]
    finally:
        server.stop()
    print(orjson.dumps({
        "status": answer.status_code,
        "accepted": answer.json()["accepted"],
        "loaded": loaded,
        "query_status": with_query.status_code,
        "after_query": after_query,
    }).decode())
    """
)


def test_an_ingesting_worker_does_not_load_the_query_gate(tmp_path: Path) -> None:
    events = fresh_events(100)
    body = tmp_path / "body.json"
    body.write_bytes(orjson.dumps(events))
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "lake"), str(body), *_HEAVY],
        capture_output=True,
        timeout=120,
        check=True,
    )
    result = orjson.loads(done.stdout.splitlines()[-1])
    assert result["status"] == 202
    assert result["accepted"] == len(events)
    assert result["loaded"] == []
    # The gate still loads when a route needs it (401: no token, but the gate answered).
    assert result["query_status"] == 401
    assert "rastup_data.governance" in result["after_query"]

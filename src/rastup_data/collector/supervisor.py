"""A collector that uses every core: N worker processes behind one port, one lander.

Each worker is a full collector (HTTP, validation, its own spool folder) listening on the
same address with ``SO_REUSEPORT``, so the kernel spreads connections over them. They share
one dedupe window (a hash set in a mapped file, :mod:`rastup_data.ingest.shared_dedupe`).
The supervisor lands every worker's spool, refreshes the NRT views, writes the lander's
status and metrics for the workers to serve, restarts a worker that dies (with a capped
backoff for one that keeps dying soon after it starts, :mod:`.restarts`), and on SIGTERM
stops the workers (each seals its spool) before landing what is left.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import asdict
from multiprocessing.process import BaseProcess
from typing import Any

import orjson

from rastup_data.collector.operations import OperationsOptions, operations_jobs
from rastup_data.collector.processes import die_with_parent
from rastup_data.collector.protocol import HttpLimits
from rastup_data.collector.restarts import (
    DEFAULT_RESTARTS,
    HISTORY,
    RestartPolicy,
    restart_delay,
)
from rastup_data.collector.runtime import CollectorConfig, known_event_ids
from rastup_data.collector.server import ServerOptions, bind_reuseport, check_exposure
from rastup_data.ingest.shared_dedupe import SharedDedupe
from rastup_data.lake.layout import LakeLayout, adopt_legacy_work
from rastup_data.lander.worker import LanderWorker
from rastup_data.ops.metrics import PlatformMetrics, merge_expositions
from rastup_data.spool.spool import Spool
from rastup_data.storage.posix import atomic_write

__all__ = ["Supervisor"]

log = logging.getLogger(__name__)


def _worker_main(config: dict[str, Any], options: dict[str, Any]) -> None:
    """Entry point of one worker process (spawned). A worker whose spool writer stopped
    exits with 1 (after answering 503 for a moment) and is restarted like any dead one."""
    die_with_parent()
    from rastup_data.collector.runtime import CollectorRuntime
    from rastup_data.collector.server import CollectorServer

    server_options = ServerOptions(**dict(options, http=HttpLimits(**options["http"])))
    logging.basicConfig(
        level=server_options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from rastup_data.errors import RastupError

    try:
        CollectorServer(CollectorRuntime(_config_from_dict(config)), server_options).run()
    except RastupError as exc:
        log.error("worker stops: %s", exc)
        raise SystemExit(1) from None


def _config_to_dict(config: CollectorConfig) -> dict[str, Any]:
    return asdict(config)


def _config_from_dict(data: dict[str, Any]) -> CollectorConfig:
    from rastup_data.ingest.limits import IngestLimits
    from rastup_data.spool.spool import SpoolConfig

    data = dict(data)
    data["limits"] = IngestLimits(**data["limits"])
    data["spool"] = SpoolConfig(**data["spool"])
    data["keys"] = frozenset(data["keys"])
    return CollectorConfig(**data)


class Supervisor:
    """Runs ``workers`` collector processes and the shared lander until signalled."""

    def __init__(
        self,
        config: CollectorConfig,
        options: ServerOptions,
        *,
        workers: int,
        operations: OperationsOptions,
        restarts: RestartPolicy = DEFAULT_RESTARTS,
    ) -> None:
        check_exposure(options.host, config.keys)
        self.config = config
        self.layout = LakeLayout(config.lake, config.work_dir)
        adopt_legacy_work(self.layout)
        self.options = dataclasses.replace(options, reuse_port=True)
        self.workers = workers
        self.operations = operations
        self.metrics = PlatformMetrics(config.env)
        self.spool_dirs = [self.layout.spool / f"w{i}" for i in range(workers)]
        self.shared = self.layout.spool / "dedupe.bin"
        self.status_file = self.layout.spool / "lander-status.json"
        self.metrics_dir = self.layout.spool / "metrics"
        self._stop = threading.Event()
        self._status_failing = False
        self._processes: list[BaseProcess | None] = [None] * workers
        self.restarts = restarts
        self._started = [0.0] * workers  # monotonic start of each worker's current life
        self._uptimes: list[list[float]] = [[] for _ in range(workers)]
        self._restart_at: list[float | None] = [None] * workers  # a dead worker's restart
        self._context = multiprocessing.get_context("spawn")

    def _worker_config(self, index: int) -> dict[str, Any]:
        return _config_to_dict(
            dataclasses.replace(
                self.config,
                land=False,
                validation_workers=0,
                spool_dir=self.spool_dirs[index],
                shared_dedupe=self.shared,
                lander_status_file=self.status_file,
                metrics_dir=self.metrics_dir,
                metrics_name=f"w{index}",
            )
        )

    def _spawn(self, index: int) -> None:
        process = self._context.Process(
            target=_worker_main,
            args=(self._worker_config(index), asdict(self.options)),
            name=f"collector-w{index}",
        )
        process.start()
        self._processes[index] = process
        self._started[index] = time.monotonic()

    def _prepare(self) -> None:
        if not self.layout.is_remote:
            self.layout.local_root.mkdir(parents=True, exist_ok=True)
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        for directory in self.spool_dirs:
            directory.mkdir(parents=True, exist_ok=True)
            Spool(directory).recover()
        dedupe = SharedDedupe(self.shared, window_s=self.config.dedupe_window_s, create=True)
        ids = known_event_ids(self.layout, self.spool_dirs, self.config.dedupe_window_s)
        for i in range(0, len(ids), 10_000):
            dedupe.add_new(ids[i : i + 10_000])
        log.info("shared dedupe window rebuilt with %d event ids", len(ids))
        dedupe.close()

    def _publish_status(self, landers: list[LanderWorker]) -> None:
        statuses = [lander.status() for lander in landers]
        status = {
            "backlog_segments": sum(s.backlog_segments for s in statuses),
            "landed_segments": sum(s.landed_segments for s in statuses),
            "landed_events": sum(s.landed_events for s in statuses),
            "last_landed_at": max((s.last_landed_at or 0 for s in statuses), default=0) or None,
            "last_error": next((s.last_error for s in statuses if s.last_error), None),
            "failing_since": min(
                (s.failing_since for s in statuses if s.failing_since), default=None
            ),
        }
        try:
            atomic_write(self.status_file, orjson.dumps(status))
            atomic_write(self.metrics_dir / "supervisor.prom", self.metrics.exposition())
        except OSError as exc:
            # Storage refuses writes for a moment: serving and landing go on, and the
            # status is written again on the next round.
            if not self._status_failing:
                log.error("cannot write the lander status (%s); will retry", exc)
            self._status_failing = True
            return
        if self._status_failing:
            log.info("lander status written again")
        self._status_failing = False

    def run(self) -> None:
        """Serve until SIGTERM/SIGINT; returns after a graceful drain."""
        self._prepare()
        # Fail fast if the port is taken.
        reserved = bind_reuseport(self.options.host, self.options.port, listen=False)
        landers = [
            LanderWorker(self.layout, directory, metrics=self.metrics)
            for directory in self.spool_dirs
        ]
        for lander in landers:
            lander.start()
        jobs = operations_jobs(self.layout, self.metrics, self._merged_metrics, self.operations)
        for start, _ in jobs:
            start()
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._publish_status(landers)
            for index in range(self.workers):
                self._spawn(index)
            while not self._stop.wait(0.5):
                self._publish_status(landers)
                self._restart_dead_workers(time.monotonic())
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_workers()
            for _, stop in reversed(jobs):
                stop()
            for lander in landers:
                _drain(lander)
            self._publish_status(landers)
            reserved.close()

    def _restart_dead_workers(self, now: float) -> None:
        """Schedule the restart of each worker found dead (after ``restart_delay`` of its
        history) and restart those whose time has come."""
        for index, process in enumerate(self._processes):
            due = self._restart_at[index]
            if due is not None:
                if now >= due:
                    self._restart_at[index] = None
                    self._spawn(index)
                continue
            if process is None or process.is_alive():
                continue
            uptime = now - self._started[index]
            history = self._uptimes[index]
            history.append(uptime)
            del history[:-HISTORY]
            delay = restart_delay(history, self.restarts)
            log.error(
                "worker %d exited with %s after %.1f s; restarting it in %.1f s",
                index,
                process.exitcode,
                uptime,
                delay,
            )
            self._restart_at[index] = now + delay

    def _merged_metrics(self) -> str:
        """Every worker's metrics and the supervisor's, as one exposition."""
        texts = [self.metrics.exposition().decode()]
        for path in sorted(self.metrics_dir.glob("*.prom")):
            if path.name == "supervisor.prom":
                continue
            try:
                texts.append(path.read_text())
            except OSError:
                continue
        return merge_expositions(texts).decode()

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %d: stopping workers, then landing what they spooled", signum)
        self._stop.set()

    def _stop_workers(self) -> None:
        for process in self._processes:
            if process is not None and process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self._processes:
            if process is not None:
                process.join(max(0.1, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join()


def _drain(lander: LanderWorker) -> None:
    """Stop a lander, landing what it can; what storage refuses stays in the spool and
    lands at the next start."""
    try:
        lander.stop(drain=True)
    except Exception:
        log.exception("landing at shutdown failed; the segments stay in the spool")

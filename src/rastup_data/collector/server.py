"""Build and run the collector's HTTP server: the one place that does it.

``serve`` (one process), each worker of ``serve --workers N``, the demo and the tests all
go through :class:`CollectorServer`, so they share the protocol guards
(:mod:`rastup_data.collector.protocol`) and the exposure rule: a collector without API
keys only listens on a loopback address.

A collector whose spool writer stopped cannot make anything durable: it answers 503
``EVENT_PUT_FAILED`` (``/healthz`` too) for ``ServerOptions.unhealthy_exit_s``, so probes
and clients get a coded answer rather than a closed port, then stops and :meth:`run`
raises ``EVENT_PUT_FAILED`` — the process exits non-zero and its supervisor (or service
manager) starts it again with a new writer. Nothing acknowledged is lost: it was fsync'd,
and it lands when the collector stops or starts.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from rastup_data.collector.protocol import HttpLimits, guarded_protocol
from rastup_data.collector.runtime import CollectorRuntime
from rastup_data.errors import ErrorCode, RastupError

logger = logging.getLogger(__name__)

__all__ = [
    "CollectorServer",
    "ServerOptions",
    "bind_reuseport",
    "check_exposure",
    "is_loopback",
]


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """Where and how the HTTP server listens."""

    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "info"
    http: HttpLimits = field(default_factory=HttpLimits)
    #: Share the port with sibling processes (``serve --workers N``).
    reuse_port: bool = False
    loop: str = "uvloop"
    #: Seconds a collector whose spool writer stopped answers 503 before it exits.
    unhealthy_exit_s: float = 2.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, keys: Iterable[str]) -> None:
    """Refuse (CONFIG_INVALID) to listen off loopback without API keys."""
    if not any(keys) and not is_loopback(host):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"refusing to listen on {host} with no API keys; set RASTUP_INGEST_KEYS "
            "or ingest_keys in the config file",
        )


def bind_reuseport(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A socket bound with SO_REUSEPORT; CONFIG_INVALID when the address is taken."""
    return _bind(host, port, reuse_port=True, listen=listen)


def check_port_free(host: str, port: int) -> None:
    """CONFIG_INVALID, with what to do, when ``host:port`` cannot be listened on."""
    _bind(host, port, reuse_port=False, listen=False).close()


def _bind(host: str, port: int, *, reuse_port: bool, listen: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another program holds that port (`ss -ltnp` shows which): stop it, or "
            "pass --port N"
            if exc.errno == errno.EADDRINUSE
            else "pass a --host this machine has and a --port you may use (ports below "
            "1024 need privileges).",
        ) from None
    if listen:
        sock.listen(2048)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, which also stops ``exit_s`` after the spool writer stopped."""

    def __init__(self, config: uvicorn.Config, runtime: CollectorRuntime, exit_s: float) -> None:
        super().__init__(config)
        self.runtime = runtime
        self.exit_s = exit_s
        self._failed_at: float | None = None

    async def on_tick(self, counter: int) -> bool:
        if self._failed_at is None and self.runtime.spool_failure() is not None:
            self._failed_at = time.monotonic()
            logger.error(
                "the spool writer stopped: refusing events, exiting in %.0f s to be restarted",
                self.exit_s,
            )
        if self._failed_at is not None and time.monotonic() - self._failed_at >= self.exit_s:
            return True
        return await super().on_tick(counter)


class CollectorServer:
    """The collector app over ``runtime``, served with the collector's protocol guards."""

    def __init__(
        self, runtime: CollectorRuntime, options: ServerOptions, *, app: FastAPI | None = None
    ) -> None:
        check_exposure(options.host, runtime.config.keys)
        if app is None:
            from rastup_data.collector.app import create_app

            app = create_app(runtime)
        self.options = options
        self.runtime = runtime
        self.server = _Server(
            uvicorn.Config(
                app,
                host=options.host,
                port=options.port,
                log_level=options.log_level,
                access_log=False,
                http=guarded_protocol(options.http, runtime.metrics.count_error),
                loop=options.loop,
                timeout_keep_alive=int(options.http.idle_timeout_s),
                timeout_graceful_shutdown=10,
            ),
            runtime,
            options.unhealthy_exit_s,
        )
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._error: RastupError | None = None

    def run(self) -> None:
        """Serve until SIGINT/SIGTERM (in the main thread) or :meth:`stop`."""
        sockets = None
        if self.options.reuse_port:
            sockets = [bind_reuseport(self.options.host, self.options.port)]
        elif self.options.port:
            check_port_free(self.options.host, self.options.port)
        self.server.run(sockets=sockets)
        if self.runtime.spool.failure is not None:
            raise RastupError(
                ErrorCode.EVENT_PUT_FAILED,
                "the spool writer stopped (its error is logged above), so the collector "
                "stopped; the events it acknowledged are kept and land",
                hint="start serve again (a service manager with Restart=on-failure does)",
            )

    def start(self, timeout: float = 60.0) -> None:
        """Serve in a thread; returns once listening (CONFIG_INVALID if it cannot start)."""
        self._stopped.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run_then_signal, name="collector", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self._error is not None:
                raise self._error
            if self._stopped.is_set() or time.monotonic() > deadline:
                raise RastupError(
                    ErrorCode.CONFIG_INVALID,
                    f"the collector could not start on {self.options.host}:{self.options.port}"
                    f" within {timeout:.0f} s; its log above says why.",
                )
            time.sleep(0.02)

    def _run_then_signal(self) -> None:
        try:
            self.run()
        except RastupError as exc:  # raised again by start(), in the caller's thread
            self._error = exc
        finally:
            self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a server started with :meth:`start` stops (Ctrl-C interrupts); False
        if ``timeout`` seconds passed first.

        Waits on an event, never on ``Thread.join``: on Python 3.11 a join interrupted by
        Ctrl-C marks the live thread as finished, and the shutdown would not wait for it.
        """
        if self._thread is not None:
            return self._stopped.wait(timeout)
        return True

    def stop(self, timeout: float | None = None) -> None:
        """Stop a server started with :meth:`start` (the runtime stops with it); by default
        wait until it has, so nothing of it runs on while the process exits."""
        self.server.should_exit = True
        if self._thread is not None:
            self._stopped.wait(timeout)
            self._thread = None

    @property
    def port(self) -> int:
        """The port listened on (useful with port 0)."""
        for server in self.server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.options.port

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

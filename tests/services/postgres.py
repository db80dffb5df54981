"""A throwaway PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temporary folder.

Debian's ``postgresql`` package (``scripts/ensure-postgresql.sh``) provides the binaries. The
server listens on a free loopback port and a private socket folder, trusts local
connections, and is stopped (``-m immediate``) and deleted when the test session ends. When
the tests run as root, ``initdb`` refuses to, so the server runs as the ``postgres`` user that
the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PostgresServer", "find_pg_bin"]

#: The database user the tests connect as (created by ``initdb -U``).
USER = "rastup"


def find_pg_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError(
        "PostgreSQL's pg_ctl is missing: run `bash scripts/ensure-postgresql.sh` "
        "(Debian's postgresql package) before the tests"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One running server; :meth:`new_database` gives each test its own empty database."""

    folder: Path
    port: int
    bin_dir: Path
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = find_pg_bin()
        folder = Path(tempfile.mkdtemp(prefix="rastup-pg-"))
        server = cls(folder, _free_port(), bin_dir)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        server._run(
            "initdb", "-D", str(folder / "data"), "-U", USER, "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        server._run(
            "pg_ctl", "-D", str(folder / "data"), "-o", options,
            "-l", str(folder / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        return server

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with self._lock:
            self._count += 1
            name = f"t{os.getpid()}_{self._count}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

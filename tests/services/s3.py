"""A local S3 API for the tests: ``moto`` in server mode on a free loopback port.

One server per test session, in its own process (so ``serve`` and CLI subprocesses reach it
like any S3 endpoint); each test gets a fresh bucket. :meth:`MotoServer.environ` gives the
variables a process needs to use an ``s3://`` lake on it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

__all__ = ["MotoServer"]

ACCESS_KEY = "testing-key"
SECRET_KEY = "testing-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    process: subprocess.Popen[bytes]
    endpoint: str

    @classmethod
    def start(cls) -> MotoServer:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return server
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)

    def environ(self) -> dict[str, str]:
        """The environment variables that point a process's s3:// lake at this server."""
        return {
            "RASTUP_S3_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
        }

    def new_bucket(self) -> str:
        """Create an empty bucket; its name."""
        import boto3

        name = f"lake-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )
        client.create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def clear_cached_stores() -> None:
    """Forget the lake stores made with earlier settings (they cache their endpoint)."""
    from rastup_data.lake import layout

    layout._s3_store.cache_clear()


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

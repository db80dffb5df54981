"""Refresh the NRT ops views on a short schedule and export their freshness."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.files import has_files
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.ops.metrics import PlatformMetrics

__all__ = ["NrtScheduler"]

log = logging.getLogger(__name__)


class NrtScheduler:
    """A thread that rebuilds the NRT views every ``interval_s`` while Bronze has data."""

    def __init__(self, layout: LakeLayout, metrics: PlatformMetrics, interval_s: float) -> None:
        self.layout = layout
        self.metrics = metrics
        self.interval_s = interval_s
        self.refreshes = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        metrics.nrt_freshness.set_function(self.freshness_seconds)

    def freshness_seconds(self) -> float:
        """Seconds since the current NRT snapshot was built (-1 before the first one)."""
        from rastup_data.transform import read_nrt_freshness

        freshness = read_nrt_freshness(self.layout)
        if freshness is None:
            return -1.0
        return (datetime.now(UTC) - freshness.refreshed_at).total_seconds()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="nrt-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def refresh_once(self) -> bool:
        from rastup_data.transform import refresh_nrt

        if not has_files(self.layout.lake, BRONZE_EVENTS):
            return False
        try:
            refresh_nrt(self.layout)
        except RastupError as exc:
            self.last_error = str(exc)
            self.metrics.count_error(exc.code)
            log.warning("NRT refresh failed: %s", exc)
            return False
        except Exception as exc:  # keep the schedule alive; the error is counted and logged
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.metrics.count_error(ErrorCode.CTAS_FAILURE)
            log.exception("NRT refresh failed")
            return False
        self.refreshes += 1
        self.last_error = None
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.refresh_once()
            self._stop.wait(max(1.0, self.interval_s - (time.monotonic() - started)))

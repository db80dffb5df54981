"""`POST /v1/assign`: sticky experiment assignment with exposure logged once, durably.

The exposure event (first time only) goes through the same acceptance and spool as any
ingested event, so it lands in Bronze like the rest; the answer is sent after it is durable.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import orjson

from rastup_data.config import LakeRoot
from rastup_data.errors import ErrorCode, RastupError

__all__ = ["AssignmentService", "parse_assign_request"]

_FIELDS = ("experiment", "unit_id", "anon_id", "user_id", "session_id", "attributes")


def parse_assign_request(body: bytes) -> dict[str, Any]:
    """The request object, or EXPERIMENT_INVALID saying what is wrong with it."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RastupError(ErrorCode.BODY_MALFORMED, "body must be a JSON object") from None
    if not isinstance(data, dict):
        raise RastupError(ErrorCode.BODY_MALFORMED, "body must be a JSON object")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"unknown fields: {', '.join(unknown)}")
    if not isinstance(data.get("experiment"), str):
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, "`experiment` (a key) is required")
    for name in ("unit_id", "anon_id", "user_id", "session_id"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise RastupError(ErrorCode.EXPERIMENT_INVALID, f"`{name}` must be a string")
    if not any(data.get(n) for n in ("unit_id", "anon_id", "user_id")):
        raise RastupError(
            ErrorCode.EXPERIMENT_INVALID, "give at least one of unit_id, anon_id, user_id"
        )
    attributes = data.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise RastupError(ErrorCode.EXPERIMENT_INVALID, "`attributes` must be an object")
    return data


class AssignmentService:
    """Loads experiments and opens the state database on first use."""

    def __init__(self, lake: LakeRoot, experiments_dir: Path | None, state_url: str | None) -> None:
        self.lake = lake
        self.experiments_dir = experiments_dir
        self.state_url = state_url
        self._assigner: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._assigner is None:
                from rastup_data.experiments.assignment import Assigner
                from rastup_data.experiments.definitions import load_experiments
                from rastup_data.state import open_state

                experiments = load_experiments(self.experiments_dir)
                state = open_state(self.state_url, lake=self.lake)
                self._assigner = Assigner(state, experiments)
            return self._assigner

    def assign(self, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        from rastup_data.experiments.exposure import UnitRef, assign_and_expose

        assignment, event = assign_and_expose(
            self._get(),
            request["experiment"],
            UnitRef(
                unit_id=request.get("unit_id"),
                anon_id=request.get("anon_id"),
                user_id=request.get("user_id"),
                session_id=request.get("session_id"),
            ),
            attributes=request.get("attributes") or {},
        )
        answer = {
            "experiment": assignment.exp_key,
            "variant": assignment.variant,
            "in_experiment": assignment.in_experiment,
            "unit_id": assignment.unit_id,
            "unit_type": assignment.unit_type.value,
            "bucket": assignment.bucket,
            "reason": assignment.reason.value,
            "exposure_logged": event is not None,
        }
        return answer, event

    async def assign_async(
        self, request: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        return await asyncio.to_thread(self.assign, request)

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from rastup_data.errors import ErrorCode
from rastup_data.lake.layout import LakeLayout


@dataclass(frozen=True)
class Rejection:
    code: ErrorCode
    message: str


class NameCheck:
    """A unit-test validator: rejects events whose name is in ``banned``."""

    def __init__(self, banned: set[str] | None = None) -> None:
        self.banned = banned or set()

    def check(self, event: dict[str, Any]) -> Rejection | None:
        if event.get("event") in self.banned:
            return Rejection(ErrorCode.EVENT_UNKNOWN, f"unknown event {event['event']}")
        return None


def envelope(name: str = "search.click", occurred: str = "2026-11-03T14:05:09.123Z") -> bytes:
    return orjson.dumps(
        {
            "event": name,
            "v": 1,
            "occurred_at": occurred,
            "user_id": None,
            "anon_id": "a_1",
            "session_id": None,
            "context": {"app": "web", "platform": "test"},
            "ids": {"event_id": str(uuid.uuid4())},
            "payload": {"n": 1},
        }
    )


@pytest.fixture
def layout(tmp_path: Any) -> LakeLayout:
    return LakeLayout(tmp_path / "lake")

"""Segment messages for the mapping's tests (`test_segment_mapping.py` and
`test_segment_fastmap.py` build theirs here, so the two compare the same messages)."""

from __future__ import annotations

from typing import Any

#: The ``messageId`` of :func:`track`'s message (a UUID, so it becomes the event_id as is).
MESSAGE_ID = "7f0c6a1e-3a50-4d0c-9d0c-0d6f0f2a5a53"


def track(**fields: Any) -> dict[str, Any]:
    """A valid Segment ``track`` of ``session.started``, ``fields`` replacing its keys."""
    message: dict[str, Any] = {
        "type": "track",
        "event": "session.started",
        "properties": {"entry": "direct"},
        "anonymousId": "a_1",
        "messageId": MESSAGE_ID,
        "timestamp": "2026-11-20T14:03:07.512Z",
        "context": {"library": {"name": "analytics-python"}},
    }
    message.update(fields)
    return message

"""Catalogue examples as the Segment calls an app makes for them (docs/segment-api.md)."""

from __future__ import annotations

from typing import Any


def segment_context(example: dict[str, Any]) -> dict[str, Any]:
    """The Segment context that carries an example envelope's context, session and ids."""
    ctx = example["context"]
    context: dict[str, Any] = {
        "app": {"name": ctx["app"]},
        "os": {"name": ctx["platform"]},
        "rastup": {
            "session_id": example["session_id"],
            "ids": {k: v for k, v in example["ids"].items() if k != "event_id"},
        },
    }
    if "app_version" in ctx:
        context["app"]["version"] = ctx["app_version"]
    if "city" in ctx:
        context["location"] = {"city": ctx["city"]}
    if "locale" in ctx:
        context["locale"] = ctx["locale"]
    if "referrer_kind" in ctx:
        context["referrer"] = {"type": ctx["referrer_kind"]}
    return context


def segment_track(example: dict[str, Any]) -> dict[str, Any]:
    """An example envelope as the track message analytics-python sends for it."""
    context = segment_context(example)
    context["library"] = {"name": "analytics-python", "version": "2.4.0"}
    return {
        "type": "track",
        "event": example["event"],
        "properties": example["payload"],
        "userId": example["user_id"],
        "anonymousId": example["anon_id"],
        "timestamp": example["occurred_at"],
        "messageId": example["ids"]["event_id"],
        "context": context,
    }

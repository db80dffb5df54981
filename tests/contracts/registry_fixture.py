"""A registry whose search.click moved to v2 (v1's `rank` renamed `position`) and retired
v1, and old-app v1 clicks: what adapters exist for."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import orjson

from rastup_data.contracts import DEFAULT_REGISTRY_PATH

V1_TO_V2 = {"to": 2, "rename": {"payload.rank": "payload.position"}}


def registry_with_click_v2(root: Path) -> Path:
    """A copy of the packaged registry where search.click has only v2."""
    shutil.copytree(DEFAULT_REGISTRY_PATH, root)
    folder = root / "events" / "search.click"
    schema: dict[str, Any] = orjson.loads((folder / "v1.json").read_bytes())
    schema["$id"] = schema["$id"].replace("/v1.json", "/v2.json")
    schema["title"] = "search.click v2"
    schema["required"] = ["position" if f == "rank" else f for f in schema["required"]]
    schema["properties"]["position"] = schema["properties"].pop("rank")
    (folder / "v2.json").write_bytes(orjson.dumps(schema, option=orjson.OPT_INDENT_2))
    (folder / "v1.json").unlink()
    return root


def old_click(**payload: Any) -> dict[str, Any]:
    """A search.click v1 (the old app) with a fresh event id."""
    return {
        "event": "search.click",
        "v": 1,
        "occurred_at": "2026-11-29T10:00:00.000Z",
        "user_id": "u_01HXA3K9ZQ",
        "anon_id": "a_7Hq2LmP0",
        "session_id": "s_9f3k2q",
        "context": {"app": "web", "platform": "web", "city": "nyc"},
        "ids": {"event_id": str(uuid.uuid4()), "listing_id": "ls_s_120"},
        "payload": {
            "search_id": "sr_01HXB7",
            "listing_id": "ls_s_120",
            "listing_type": "studio",
            "rank": 3,
            "is_promoted": False,
            "promotion_id": None,
            **payload,
        },
    }

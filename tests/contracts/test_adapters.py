"""Adapters upgrade old-version events: rename, set, drop, chain, and refuse bad files."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tests.contracts.registry_fixture import V1_TO_V2, old_click, registry_with_click_v2

from rastup_data.contracts import load_adapters, load_validator
from rastup_data.errors import ErrorCode, RastupError


def _write(root: Path, source: str, document: object) -> None:
    path = root / source
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document))


def test_an_old_version_is_upgraded_to_a_valid_event(tmp_path: Path) -> None:
    validator = load_validator(registry_with_click_v2(tmp_path / "registry"))
    _write(
        tmp_path / "adapters",
        "search.click/v1.json",
        {
            **V1_TO_V2,
            "description": "v2 calls the rank `position` and dropped `legacy_model`",
            "set": {"payload.is_promoted": False},
            "drop": ["payload.legacy_model"],
        },
    )
    old = old_click(legacy_model="bm25") | {"received_at": "2026-11-29T10:00:01.000Z"}
    del old["payload"]["is_promoted"]
    rejection = validator.check(old)
    assert rejection is not None
    assert rejection.code is ErrorCode.EVENT_UNKNOWN
    adapters = load_adapters(tmp_path / "adapters")
    upgraded = orjson.loads(adapters.upgrade_line(orjson.dumps(old)))
    assert upgraded["v"] == 2
    assert upgraded["payload"] == {
        "search_id": "sr_01HXB7",
        "listing_id": "ls_s_120",
        "listing_type": "studio",
        "position": 3,
        "is_promoted": False,
        "promotion_id": None,
    }
    assert validator.check(upgraded) is None
    current = orjson.dumps(upgraded)
    assert adapters.upgrade_line(current) == current  # no adapter for v2: untouched


def test_adapters_chain_and_a_loop_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.b/v1.json", {"to": 2, "rename": {"payload.x": "payload.y"}})
    _write(tmp_path, "a.b/v2.json", {"to": 3, "rename": {"payload.y": "payload.z"}})
    event = {"event": "a.b", "v": 1, "payload": {"x": 1}}
    assert load_adapters(tmp_path).upgrade(event)
    assert event == {"event": "a.b", "v": 3, "payload": {"z": 1}}


@pytest.mark.parametrize(
    ("source", "document", "says"),
    [
        ("a.b/v1.json", {"to": 1}, "`to` must be a version above"),
        ("a.b/v1.json", {"to": 2, "rename": ["x"]}, "`rename` maps"),
        ("a.b/v1.json", {"to": 2, "surprise": 1}, "expected an object with keys"),
        ("a.b/1.json", {"to": 2}, "adapters live at"),
    ],
)
def test_a_malformed_adapter_is_named(
    tmp_path: Path, source: str, document: object, says: str
) -> None:
    _write(tmp_path, source, document)
    with pytest.raises(RastupError) as refused:
        load_adapters(tmp_path)
    assert refused.value.code is ErrorCode.CONTRACT_LINT_FAILED
    assert source in refused.value.message
    assert says in refused.value.message


def test_the_packaged_adapters_load() -> None:
    assert len(load_adapters()) >= 0

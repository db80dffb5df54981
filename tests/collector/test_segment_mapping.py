"""The Segment mapping of docs/segment-api.md, message by message (no HTTP)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from rastup_data.collector.segment import SegmentBody, load_mapping, read_segment_request
from rastup_data.collector.segment.mapping import (
    SEGMENT_NAMESPACE,
    SegmentMapping,
    event_id_for,
    person_id,
    track_message,
)
from rastup_data.collector.segment.wire import CONTEXT_DECODER, MESSAGE_DECODER
from rastup_data.contracts import load_registry, load_validator
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.ingest.acceptance import Prevalidated, RejectedItem
from rastup_data.ingest.limits import IngestLimits

from .conftest import registry_examples
from .segment_messages import track

NOW = "2026-11-29T10:00:00.000000Z"
MAPPING = load_mapping()
VALIDATOR = load_validator()


def envelope(message: dict[str, Any], call: str | None = None) -> Any:
    raw = orjson.dumps(message)
    return MAPPING.envelope(MESSAGE_DECODER.decode(raw), lambda: raw, call, None, NOW)


@pytest.mark.parametrize("example", registry_examples(), ids=lambda e: e["event"])
def test_every_catalogue_example_maps_back_to_itself_and_is_valid(example: dict[str, Any]) -> None:
    mapped = envelope(track_message(example))
    expected = {k: v for k, v in example.items() if k != "received_at"}
    assert mapped == expected
    assert VALIDATOR.check({**mapped, "received_at": NOW}) is None


def test_the_version_is_the_registry_s_current_one_unless_the_message_names_one() -> None:
    latest = {s.event: s.version for s in load_registry().latest()}
    assert MAPPING.versions == latest
    assert envelope(track())["v"] == latest["session.started"]
    named = track(context={"library": {"name": "analytics-python"}, "rastup": {"v": 7}})
    assert envelope(named)["v"] == 7


def test_message_ids_become_canonical_or_name_based_uuids() -> None:
    upper = "7F0C6A1E-3A50-4D0C-9D0C-0D6F0F2A5A53"
    assert envelope(track(messageId=upper))["ids"]["event_id"] == upper.lower()
    ajs = "ajs-next-1700000000000-2b8f4f0d"
    expected = str(uuid.uuid5(SEGMENT_NAMESPACE, ajs))
    assert envelope(track(messageId=ajs))["ids"]["event_id"] == expected
    assert envelope(track(messageId=12345))["ids"]["event_id"] == str(
        uuid.uuid5(SEGMENT_NAMESPACE, "12345")
    )
    # No messageId: a name-based id of the content, the same for the same message.
    bare = {k: v for k, v in track().items() if k != "messageId"}
    first = envelope(dict(bare))["ids"]["event_id"]
    assert first == envelope(dict(bare))["ids"]["event_id"]
    assert first != envelope({**bare, "timestamp": "2026-11-20T14:03:08Z"})["ids"]["event_id"]
    assert uuid.UUID(first).version == 5
    assert event_id_for("", lambda: b"{}") == event_id_for(None, lambda: b"{}")


def test_timestamp_then_original_timestamp_then_receipt() -> None:
    assert envelope(track())["occurred_at"] == "2026-11-20T14:03:07.512Z"
    original = track(timestamp=None, originalTimestamp="2026-11-20T14:00:00Z")
    assert envelope(original)["occurred_at"] == "2026-11-20T14:00:00Z"
    assert envelope(track(timestamp=None))["occurred_at"] == NOW


@pytest.mark.parametrize(
    ("context", "app", "platform"),
    [
        ({"library": {"name": "analytics-python"}}, "backend", "analytics-python"),
        ({"library": {"name": "analytics.js"}}, "web", "analytics.js"),
        ({"library": {"name": "analytics-ios"}, "os": {"name": "iOS"}}, "ios", "iOS"),
        (
            {"library": {"name": "analytics-kotlin"}, "os": {"name": "Android"}},
            "android",
            "Android",
        ),
        # A mobile app's display name is not an app of the envelope: the library decides.
        (
            {"app": {"name": "RastUp"}, "library": {"name": "analytics-swift"}},
            "ios",
            "analytics-swift",
        ),
        (
            {"app": {"name": "Web"}, "library": {"name": "analytics-python"}},
            "web",
            "analytics-python",
        ),
        ({"app": {"name": "backend"}}, "backend", "backend"),
    ],
)
def test_app_and_platform(context: dict[str, Any], app: str, platform: str) -> None:
    mapped = envelope(track(context=context))
    assert (mapped["context"]["app"], mapped["context"]["platform"]) == (app, platform)


def test_city_code_or_name_through_the_cities_table_locale_and_version() -> None:
    def ctx(**extra: Any) -> dict[str, Any]:
        message = track(context={"library": {"name": "analytics.js"}, **extra})
        result: dict[str, Any] = envelope(message)["context"]
        return result

    assert ctx(location={"city": "New York"})["city"] == "nyc"
    assert ctx(location={"city": "san francisco"})["city"] == "sfo"
    assert ctx(location={"city": "CHI"})["city"] == "chi"
    unknown = ctx(location={"city": "Lisbon"})
    assert "city" not in unknown
    assert unknown["location_city"] == "Lisbon"
    assert ctx(locale="en-US", app={"version": 412})["locale"] == "en-US"
    assert ctx(app={"version": 412})["app_version"] == "412"
    assert ctx(referrer={"type": "search"})["referrer_kind"] == "search"
    assert "ip" not in ctx(ip="203.0.113.7", userAgent="x")


def test_sdk_ids_get_the_platform_prefixes() -> None:
    anon = "3c5b9a2e-7d41-4f0b-a1d2-0e9f8c7b6a55"
    mapped = envelope(
        track(
            anonymousId=anon,
            userId=42,
            context={
                "library": {"name": "analytics.js"},
                "sessionId": 1700000000123,
            },
        )
    )
    assert (mapped["anon_id"], mapped["user_id"]) == (f"a_{anon}", "u_42")
    assert mapped["session_id"] == "s_1700000000123"
    assert person_id("u_7", "u_") == "u_7"
    assert person_id("joe@example.com", "u_") == "joe@example.com"  # the validator refuses it
    assert person_id("", "a_") is None


def test_the_batch_context_is_under_each_message_s() -> None:
    message = track(context={"locale": "fr-FR"})
    shared = {"library": {"name": "analytics-ios"}, "locale": "en-US"}
    raw = orjson.dumps(message)
    mapped = MAPPING.envelope(
        MESSAGE_DECODER.decode(raw),
        lambda: raw,
        None,
        CONTEXT_DECODER.decode(orjson.dumps(shared)),
        NOW,
    )
    assert (mapped["context"]["app"], mapped["context"]["locale"]) == ("ios", "fr-FR")


def test_messages_sharing_the_batch_s_domain_ids_keep_their_own_event_ids() -> None:
    # The mapping completes a message's decoded ids in place: the batch's must not be.
    shared = CONTEXT_DECODER.decode(
        orjson.dumps({"library": {"name": "analytics-python"}, "rastup": {"ids": {"bk": "1"}}})
    )
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    mapped = []
    for message_id in (first, second):
        raw = orjson.dumps(track(messageId=message_id, context={}))
        mapped.append(MAPPING.envelope(MESSAGE_DECODER.decode(raw), raw.strip, None, shared, NOW))
    assert [m["ids"] for m in mapped] == [
        {"bk": "1", "event_id": first},
        {"bk": "1", "event_id": second},
    ]
    assert shared.rastup == {"ids": {"bk": "1"}}


def test_identify_with_both_ids_and_alias_link_identities() -> None:
    identify = {
        "type": "identify",
        "userId": "u_9",
        "anonymousId": "a_9",
        "traits": {"email": "someone@example.com"},
        "messageId": str(uuid.uuid4()),
        "context": {"library": {"name": "analytics-python"}},
    }
    linked = envelope(identify)
    assert linked["event"] == "identity.linked"
    assert linked["payload"] == {"anon_id": "a_9", "user_id": "u_9"}
    assert (linked["user_id"], linked["anon_id"]) == ("u_9", "a_9")
    assert "someone" not in orjson.dumps(linked).decode()
    alias = {
        "type": "alias",
        "previousId": "a_8",
        "userId": "u_8",
        "context": {"library": {"name": "analytics-python"}},
    }
    assert envelope(alias)["payload"] == {"anon_id": "a_8", "user_id": "u_8"}
    assert envelope({k: v for k, v in alias.items() if k != "type"}, "alias")["payload"] == {
        "anon_id": "a_8",
        "user_id": "u_8",
    }


@pytest.mark.parametrize(
    "message",
    [
        {"type": "page", "name": "Home", "userId": "u_1"},
        {"type": "screen", "name": "Home", "userId": "u_1"},
        {"type": "group", "groupId": "g_1", "userId": "u_1", "traits": {"name": "ACME"}},
        {"type": "launch", "userId": "u_1"},
        {"userId": "u_1"},
        {"type": "identify", "userId": "u_1", "traits": {"email": "someone@example.com"}},
        {"type": "alias", "previousId": "u_0", "userId": "u_1"},
    ],
    ids=["page", "screen", "group", "unknown-type", "no-type", "identify-one-id", "alias-user"],
)
def test_calls_without_a_catalogue_event_are_quarantined_without_traits(
    message: dict[str, Any],
) -> None:
    message = {
        **message,
        "writeKey": "secret-key",
        "context": {"ip": "203.0.113.7", "traits": {"email": "someone@example.com"}},
    }
    item = envelope(message)
    assert isinstance(item, RejectedItem)
    assert item.code is ErrorCode.SEGMENT_MESSAGE_UNMAPPED
    assert item.item["user_id"] == "u_1"
    kept = orjson.loads(item.raw)
    assert "traits" not in kept
    assert "writeKey" not in kept
    assert kept["context"] == {}
    assert "@" not in item.raw.decode()


def test_unknown_event_names_are_quarantined_as_replayable_envelopes() -> None:
    item = envelope(track(event="Order Completed"))
    assert isinstance(item, RejectedItem)
    assert item.code is ErrorCode.EVENT_UNKNOWN
    assert orjson.loads(item.raw)["event"] == "Order Completed"
    assert orjson.loads(item.raw)["payload"] == {"entry": "direct"}


def test_an_app_that_cannot_be_told_or_no_event_name_is_an_invalid_envelope() -> None:
    for message in (track(context={"library": {"name": "my-own-lib"}}), track(event=None)):
        item = envelope(message)
        assert isinstance(item, RejectedItem)
        assert item.code is ErrorCode.EVENT_ENVELOPE_INVALID
    body = orjson.dumps({"batch": [["not", "an", "object"], track(context={"app": "web"})]})
    result = SegmentBody(body, None, NOW, MAPPING)(VALIDATOR, IngestLimits())
    assert not isinstance(result, tuple)
    assert [(v.index, v.code) for v in result.pre.verdicts] == [
        (0, "EVENT_ENVELOPE_INVALID"),
        (1, "EVENT_ENVELOPE_INVALID"),
    ]
    assert "Expected `object" in result.pre.verdicts[1].message


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", ErrorCode.BODY_MALFORMED),
        (b"{not json", ErrorCode.BODY_MALFORMED),
        (b"[]", ErrorCode.BODY_MALFORMED),
        (b'{"batch": {}}', ErrorCode.BODY_MALFORMED),
        (b'{"batch": []}', ErrorCode.BODY_MALFORMED),
        (orjson.dumps({"batch": [{}] * 1001}), ErrorCode.BATCH_TOO_LARGE),
        # Nested past what the decoder reads: refused with a code, not an internal error.
        (
            b'{"batch": [{"properties": ' + b"[" * 5000 + b"]" * 5000 + b"}]}",
            ErrorCode.BODY_MALFORMED,
        ),
    ],
)
def test_bodies_that_are_not_a_batch_are_refused_whole(body: bytes, code: ErrorCode) -> None:
    with pytest.raises(RastupError) as refused:
        read_segment_request(body, None, IngestLimits())
    assert refused.value.code is code


def test_a_message_of_the_wrong_shape_is_quarantined_alone_and_the_rest_keep_the_context() -> None:
    nested: Any = 0
    for _ in range(40):  # deeper than the 32 levels an event may nest
        nested = [nested]
    deep = track(properties={"entry": nested})
    body = orjson.dumps(
        {
            "batch": [track(), track(context="not an object"), deep, track()],
            "context": {"locale": "fr-FR"},
        }
    )
    result = SegmentBody(body, None, NOW, MAPPING)(VALIDATOR, IngestLimits())
    assert not isinstance(result, tuple)
    assert result.pre.indices == [0, 3]
    assert [(v.index, v.code) for v in result.pre.verdicts] == [
        (1, "EVENT_ENVELOPE_INVALID"),
        (2, "EVENT_TOO_DEEP"),
    ]
    assert [orjson.loads(r)["context"]["locale"] for r in result.pre.records] == ["fr-FR"] * 2


def test_a_body_is_judged_message_by_message_in_order() -> None:
    good = track()
    body = orjson.dumps(
        {
            "batch": [good, {"type": "page"}, track(properties={"entry": "nowhere"}), 3],
            "writeKey": "k",
        }
    )
    result = SegmentBody(body, None, NOW, MAPPING)(VALIDATOR, IngestLimits())
    assert not isinstance(result, tuple)
    assert result.write_key == "k"
    pre: Prevalidated = result.pre
    assert pre.indices == [0]
    assert [(v.index, v.code) for v in pre.verdicts] == [
        (1, "SEGMENT_MESSAGE_UNMAPPED"),
        (2, "EVENT_SCHEMA_INVALID"),
        (3, "EVENT_ENVELOPE_INVALID"),
    ]
    assert SegmentBody(b"[1]", None, NOW, MAPPING)(VALIDATOR, IngestLimits())[0] == (
        "BODY_MALFORMED"
    )


def test_cities_come_from_the_dbt_seed() -> None:
    mapping = SegmentMapping({}, load_mapping().cities)
    assert mapping.cities["nyc"] == "nyc"
    assert mapping.cities["los angeles"] == "lax"


def test_each_message_of_a_batch_is_identified_and_kept_by_its_own_text() -> None:
    first, second = track(messageId=None), track(messageId=None, userId="u_2")
    pages = [{"type": "page", "name": f"p{n}", "anonymousId": "a_1"} for n in range(2)]
    batch = [first, pages[0], second, pages[1]]
    body = orjson.dumps({"batch": batch})
    result = SegmentBody(body, None, NOW, MAPPING)(VALIDATOR, IngestLimits())
    assert not isinstance(result, tuple)
    texts = [orjson.dumps(m) for m in batch]
    expected = [str(uuid.uuid5(SEGMENT_NAMESPACE, "content:" + t.decode())) for t in texts]
    assert result.pre.event_ids == [expected[0], expected[2]]
    assert [(v.index, v.event_id) for v in result.pre.verdicts] == [
        (1, expected[1]),
        (3, expected[3]),
    ]


def test_a_request_s_work_carries_the_mapping_once_per_process_not_once_per_request() -> None:
    """Every request's SegmentBody is pickled to a validation worker: the mapping travels
    as its tables' text, decoded into a mapping the first time a process sees it and the
    same object after, instead of both tables and the mapping rebuilt per request."""
    import pickle

    body = orjson.dumps({"batch": [track()]})
    first = pickle.loads(pickle.dumps(SegmentBody(body, None, NOW, MAPPING)))
    second = pickle.loads(pickle.dumps(SegmentBody(body, None, NOW, MAPPING)))
    assert first.mapping is second.mapping
    assert first.mapping == MAPPING
    assert first.mapping.compiled is MAPPING.compiled
    assert first(VALIDATOR, IngestLimits()).pre.blob == (
        SegmentBody(body, None, NOW, MAPPING)(VALIDATOR, IngestLimits()).pre.blob
    )
    # Other tables are other mappings, each built once.
    python = SegmentMapping(MAPPING.versions, {"nyc": "nyc"}, compiled=False)
    restored = pickle.loads(pickle.dumps(python))
    assert restored == python
    assert restored is not first.mapping
    assert restored.compiled is False
    assert pickle.loads(pickle.dumps(python)) is restored

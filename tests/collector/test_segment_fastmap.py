"""The Segment mapping's C extension (``segment/_fastmap.c``) against the Python mapping,
the reference: the same envelopes (key order included) and the same rejections, through
the public :meth:`SegmentMapping.envelope`, and the extension maps the common case itself."""

from __future__ import annotations

import itertools
import sys
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rastup_data.collector.segment import COMPILED, SegmentMapping, load_mapping
from rastup_data.collector.segment import mapping as segment_mapping
from rastup_data.collector.segment._fastmap import track as compiled_track
from rastup_data.collector.segment.mapping import APPS, LIBRARY_APPS, track_message
from rastup_data.collector.segment.wire import CONTEXT_DECODER, MESSAGE_DECODER
from rastup_data.ingest.acceptance import RejectedItem

from .conftest import registry_examples
from .segment_messages import MESSAGE_ID, track

NOW = "2026-11-29T10:00:00.000000Z"
FAST = load_mapping()
REFERENCE = SegmentMapping(FAST.versions, FAST.cities, compiled=False)


def _shown(result: dict[str, Any] | RejectedItem) -> Any:
    """What must be equal: the envelope as bytes (so key order counts), or the rejection."""
    if type(result) is RejectedItem:
        return ("rejected", orjson.dumps(result.item), result.raw, result.code, result.message)
    return orjson.dumps(result)


def _both(
    message: dict[str, Any], shared: dict[str, Any] | None = None, call: str | None = None
) -> tuple[Any, Any]:
    """The compiled and the Python mapping of one message, each from its own decoding (the
    mapping completes a message's ids in place)."""
    raw = orjson.dumps(message)
    results = []
    for mapping in (FAST, REFERENCE):
        context = CONTEXT_DECODER.decode(orjson.dumps(shared)) if shared is not None else None
        item = mapping.envelope(MESSAGE_DECODER.decode(raw), lambda: raw, call, context, NOW)
        results.append(_shown(item))
    return results[0], results[1]


def _args(message: Any, call: str | None = None, shared: Any = None) -> tuple[Any, ...]:
    return (message, call, shared, NOW, FAST.versions, FAST.cities, APPS, LIBRARY_APPS)


def _direct(message: dict[str, Any], call: str | None = None) -> dict[str, Any] | None:
    """The C function alone on a message (None: it leaves the message to Python)."""
    return compiled_track(*_args(MESSAGE_DECODER.decode(orjson.dumps(message)), call))


def test_the_compiled_mapping_is_built_in_this_checkout() -> None:
    # `make setup` builds it; a checkout without it must fail here, not skip.
    assert COMPILED
    assert FAST.compiled
    assert Path(segment_mapping.__file__).with_name("_fastmap.c").is_file()
    assert compiled_track.__module__ == "rastup_data.collector.segment._fastmap"


@pytest.mark.parametrize("example", registry_examples(), ids=lambda e: e["event"])
@pytest.mark.parametrize("library", ["analytics-python", "rudder-sdk-python", "analytics.js"])
def test_every_catalogue_example_is_mapped_in_c_as_in_python(
    example: dict[str, Any], library: str
) -> None:
    message = track_message(example, library)
    fast, reference = _both(message)
    assert fast == reference
    direct = _direct(message)
    assert direct is not None  # the common case does not fall back
    assert orjson.dumps(direct) == reference
    # The SDKs send no context.rastup: the same without the domain ids.
    bare = {**message, "context": {k: v for k, v in message["context"].items() if k != "rastup"}}
    assert _direct(bare) is not None
    assert _both(bare)[0] == _both(bare)[1]


CONTEXT_VARIATIONS = [
    {"library": {"name": "analytics.js"}, "location": {"city": "nyc"}},
    {"library": {"name": "analytics.js"}, "location": {"city": "New York"}},
    {"library": {"name": "analytics.js"}, "location": {"city": "  san francisco "}},
    {"library": {"name": "analytics.js"}, "location": {"city": "CHI"}},
    {"library": {"name": "analytics.js"}, "location": {"city": "Lisbon"}},
    {"library": {"name": "analytics.js"}, "location": {"city": ""}},
    {"library": {"name": "analytics.js"}, "location": {"city": 7}},
    {"library": {"name": "analytics.js"}, "location": {}},
    {"library": {"name": "analytics.js"}, "locale": "en-US"},
    {"library": {"name": "analytics.js"}, "locale": 5, "referrer": {"type": "search"}},
    {"library": {"name": "analytics.js"}, "referrer": {}},
    {"app": {"name": "ios", "version": "4.1.2"}, "os": {"name": "iOS"}},
    {"app": {"name": "ios", "version": 412}},
    {"app": {"name": "ios", "version": 4.5}},
    {"app": {"name": "Web"}, "library": {"name": "analytics-python"}},
    {"app": {"name": "RastUp"}, "library": {"name": "analytics-swift"}},
    {"app": {"name": "RastUp"}, "library": {"name": "nothing-known"}},
    {"app": {"name": 3}, "library": {"name": "analytics.js"}},
    {"app": {"name": "web"}, "library": {"name": 3}},
    {"app": {"name": "web"}, "os": {"name": ""}, "library": {"name": ""}},
    {"app": {"name": "web"}, "os": {"name": 9}},
    {"library": {"name": "Analytics.JS"}},
    {"library": {"name": "analytics.js"}, "os": {"name": "Mac OS"}},
    {"library": {}},
    {},
    {"library": {"name": "analytics.js"}, "sessionId": 1700000000123},
    {"library": {"name": "analytics.js"}, "sessionId": "s_9"},
    {"library": {"name": "analytics.js"}, "sessionId": "abc-1"},
    {"library": {"name": "analytics.js"}, "sessionId": 1.5},
    {"library": {"name": "analytics.js"}, "sessionId": ""},
    {"library": {"name": "analytics.js"}, "rastup": {"v": 3, "session_id": "s_1"}},
    {"library": {"name": "analytics.js"}, "rastup": {"session_id": None}, "sessionId": 5},
    {"library": {"name": "analytics.js"}, "rastup": {"ids": {"order_id": "o_1"}}},
    {"library": {"name": "analytics.js"}, "rastup": {"ids": {"event_id": "x", "a": 1}}},
    {"library": {"name": "analytics.js"}, "rastup": {"ids": [1]}},
    {"library": {"name": "analytics.js"}, "rastup": {"v": None}},
    {"library": {"name": "analytics.js"}, "rastup": ["not", "a", "dict"]},
    {"library": {"name": "analytics.js"}, "rastup": "text"},
]


@pytest.mark.parametrize("context", CONTEXT_VARIATIONS, ids=lambda c: orjson.dumps(c).decode())
def test_context_variations_map_alike(context: dict[str, Any]) -> None:
    fast, reference = _both(track(context=context))
    assert fast == reference


MESSAGE_VARIATIONS = [
    {"userId": "u_7"},
    {"userId": "3c5b9a2e-7d41-4f0b-a1d2-0e9f8c7b6a55"},
    {"userId": 42},
    {"userId": -42},
    {"userId": "joe@example.com"},
    {"userId": "ü_1"},
    {"userId": ""},
    {"userId": 1.5},
    {"userId": True},
    {"userId": ["u_1"]},
    {"anonymousId": "3c5b9a2e"},
    {"anonymousId": None},
    {"anonymousId": {"id": 1}},
    {"messageId": MESSAGE_ID.upper()},
    {"messageId": "ajs-next-1700000000000-2b8f4f0d"},
    {"messageId": 12345},
    {"messageId": None},
    {"messageId": MESSAGE_ID.replace("-", "x")},
    {"messageId": MESSAGE_ID[:35] + "g"},
    {"timestamp": None, "originalTimestamp": "2026-11-20T14:03:00Z"},
    {"timestamp": "", "originalTimestamp": None},
    {"timestamp": 0},
    {"timestamp": 1700000000},
    {"properties": None},
    {"properties": []},
    {"properties": "text"},
    {"event": "no.such.event"},
    {"event": 5},
    {"event": None},
    {"type": "identify", "userId": "u_1", "anonymousId": "anon-1"},
    {"type": "identify", "userId": "u_1"},
    {"type": "alias", "userId": 7, "previousId": "3c5b9a2e"},
    {"type": "page"},
]


@pytest.mark.parametrize("fields", MESSAGE_VARIATIONS, ids=lambda f: orjson.dumps(f).decode())
@pytest.mark.parametrize("call", [None, "track", "identify", "alias", ""])
def test_message_variations_map_alike(fields: dict[str, Any], call: str | None) -> None:
    fast, reference = _both(track(**fields), call=call)
    assert fast == reference


@pytest.mark.parametrize(
    "shared",
    [
        {"library": {"name": "analytics-ios"}, "locale": "en-US"},
        {"rastup": {"ids": {"bk": "1"}, "session_id": "s_2"}},
        {"app": {"name": "android", "version": "2"}},
    ],
)
def test_the_batch_s_shared_context_maps_alike(shared: dict[str, Any]) -> None:
    for context in ({"locale": "fr-FR"}, {}, {"library": {"name": "analytics.js"}}):
        fast, reference = _both(track(context=context), shared=shared)
        assert fast == reference


def test_the_c_function_leaves_what_it_does_not_handle_to_python() -> None:
    assert _direct(track(messageId="ajs-1")) is None  # a name-based id needs the text
    assert _direct(track(context={"library": {"name": "Analytics.JS"}})) is None
    assert _direct(track(context={"app": {"name": "RastUp"}})) is None  # quarantined
    assert _direct(track(context={"library": {"name": "analytics.js"}, "rastup": [1]})) is None
    assert _direct(track(userId=1.5)) is None
    assert _direct(track(context={"app": {"name": "web", "version": 3}})) is None
    assert _direct(track(event="no.such.event")) is None
    assert _direct(track(type="identify", userId="u_1")) is None
    assert _direct(track(type="identify"), call="track") is not None  # the path decides
    assert _direct(track(), call="identify") is None
    decoded = MESSAGE_DECODER.decode(orjson.dumps(track()))
    assert compiled_track(*_args(decoded, None, CONTEXT_DECODER.decode(b"{}"))) is None
    # ... and does not touch the message's ids when it does.
    context = {"library": {"name": "analytics.js"}, "rastup": {"ids": {"a": "1"}}}
    message = MESSAGE_DECODER.decode(orjson.dumps(track(messageId=5, context=context)))
    assert compiled_track(*_args(message)) is None
    assert message.context is not None
    assert message.context.rastup == {"ids": {"a": "1"}}


def test_library_apps_keys_are_lower_case() -> None:
    # The C function looks a library up as spelled; Python lower-cases it first.
    assert all(key == key.lower() for key in LIBRARY_APPS)


def test_the_compiled_mapping_is_not_needed_to_map() -> None:
    assert not REFERENCE.compiled
    raw = orjson.dumps(track())
    mapped = REFERENCE.envelope(MESSAGE_DECODER.decode(raw), lambda: raw, None, None, NOW)
    assert type(mapped) is dict
    assert mapped["ids"] == {"event_id": MESSAGE_ID}


_names = st.sampled_from([*FAST.versions, "identity.linked", "nope.event"])
_text = st.text(max_size=12)
_ids = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**12),
    st.sampled_from(["u_1", "a_2", "s_3", "", "x y", "3c5b9a2e-7d41", "ü"]),
    _text,
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(-5, 5), max_size=2),
)
_message_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    _ids,
)
_names_of = st.one_of(
    st.none(),
    st.sampled_from([*APPS, "Web", "IOS", "RastUp", *LIBRARY_APPS, "Analytics.JS", ""]),
    st.integers(0, 3),
)
_leaf = st.one_of(st.none(), _text, st.integers(0, 500), st.floats(allow_nan=False))


def _named(**fields: Any) -> Any:
    return st.one_of(st.none(), st.fixed_dictionaries({}, optional=fields))


_rastup = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "v": st.one_of(st.none(), st.integers(1, 3), _text),
            "session_id": _ids,
            "ids": st.one_of(st.dictionaries(_text, _text, max_size=2), _ids),
        },
    ),
    _ids,
)
_contexts = st.fixed_dictionaries(
    {},
    optional={
        "app": _named(name=_names_of, version=_leaf),
        "library": _named(name=_names_of),
        "os": _named(name=_names_of),
        "location": _named(
            city=st.one_of(st.sampled_from(["nyc", "New York", " CHI ", "Lisbon", ""]), _leaf)
        ),
        "locale": _leaf,
        "referrer": _named(type=_leaf),
        "sessionId": _ids,
        "rastup": _rastup,
    },
)
_messages = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "track", "track", "identify", "alias", "page"])},
    optional={
        "event": st.one_of(_names, _leaf),
        "properties": st.one_of(st.none(), st.dictionaries(_text, _leaf, max_size=3), _leaf),
        "userId": _ids,
        "anonymousId": _ids,
        "previousId": _ids,
        "timestamp": st.one_of(st.just("2026-11-20T14:03:07Z"), _leaf),
        "originalTimestamp": _leaf,
        "messageId": _message_ids,
        "context": st.one_of(st.none(), _contexts),
    },
)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(
    message=_messages,
    shared=st.one_of(st.none(), st.none(), _contexts),
    call=st.sampled_from([None, None, "track", "identify"]),
)
def test_random_messages_map_alike(message: dict[str, Any], shared: Any, call: Any) -> None:
    fast, reference = _both(message, shared=shared, call=call)
    assert fast == reference


def test_the_event_id_is_the_message_s_uuid_in_lower_case() -> None:
    upper = str(uuid.uuid4()).upper()
    direct = _direct(track(messageId=upper))
    assert direct is not None
    assert direct["ids"] == {"event_id": upper.lower()}


def _leaves(value: Any) -> list[Any]:
    """A decoded message's structs and values, nested ones included (not None)."""
    fields = getattr(value, "__struct_fields__", None)
    if fields is not None:
        children = [getattr(value, name) for name in fields]
    elif type(value) is dict:
        children = [*value.keys(), *value.values()]
    elif type(value) is list:
        children = list(value)
    else:
        children = []
    found = [value]
    for child in children:
        if child is not None:
            found.extend(_leaves(child))
    return found


@pytest.mark.parametrize(
    "message",
    [
        track_message(registry_examples()[0]),
        track(
            userId=42,
            messageId=MESSAGE_ID.upper(),
            context={
                "sessionId": 1700000000123,
                "location": {"city": " New York "},
                "library": {"name": "analytics.js"},
                "locale": "en",
                "app": {"version": "1"},
                "referrer": {"type": "search"},
            },
        ),
        track(context={"library": {"name": "analytics.js"}, "location": {"city": "Lisbon"}}),
        track(messageId="ajs-1"),
        track(userId=1.5, context={"app": {"name": "RastUp"}, "rastup": {"v": 2, "ids": {}}}),
    ],
)
def test_the_c_function_keeps_no_reference(message: dict[str, Any]) -> None:
    # A release build has no sys.gettotalrefcount: every object the function reads must
    # have as many references after 1,000 calls as before (a leak adds one a call), and
    # what it makes must be freed (a leaked temporary string shows as traced memory).
    decoded = MESSAGE_DECODER.decode(orjson.dumps(message))
    args = _args(decoded)
    compiled_track(*args)  # the first call completes the message's ids
    watched = [*_leaves(decoded), *args[3:], *FAST.cities.values(), *FAST.versions]
    # Small ints are shared with everything else the interpreter does.
    watched = [v for v in watched if not (type(v) is int and -5 <= v <= 256)]
    before = [sys.getrefcount(value) for value in watched]
    for _ in itertools.repeat(None, 1000):
        compiled_track(*args)
    assert [sys.getrefcount(value) for value in watched] == before
    tracemalloc.start()
    try:
        for _ in itertools.repeat(None, 1000):
            compiled_track(*args)
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 4096


@pytest.mark.parametrize("at", range(36))
def test_a_message_id_off_the_uuid_form_anywhere_is_left_to_python(at: int) -> None:
    for wrong in ("g", "-", "é") if MESSAGE_ID[at] != "-" else ("0", "g"):
        message_id = MESSAGE_ID[:at] + wrong + MESSAGE_ID[at + 1 :]
        assert _direct(track(messageId=message_id)) is None, message_id
        fast, reference = _both(track(messageId=message_id))
        assert fast == reference

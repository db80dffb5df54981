"""Segment messages as catalogue envelopes: the mapping table of docs/segment-api.md.

A ``track`` call becomes the catalogue event it names; ``identify`` (with both ids) and
``alias`` become ``identity.linked``. A message that maps to nothing (``page``, ``screen``,
``group``, an unknown type or event name) becomes a :class:`RejectedItem` with its code,
which the collector quarantines. Messages arrive decoded into the structs of
:mod:`rastup_data.collector.segment.wire`, with their raw bytes for quarantine. Pure and
picklable: built once from the registry's current versions and the cities table, then used
in whichever process validates the request.

The common case of :meth:`SegmentMapping.envelope` (a track call naming a catalogue event,
as the SDKs send it: ids with or without their prefix, a UUID messageId, an app or library
the tables know, no batch context) runs in the C extension ``_fastmap`` when it is built
(:data:`COMPILED`); it answers None for anything else, and this module's Python, the
reference, maps the message. Both give the same envelopes
(tests/collector/test_segment_fastmap.py).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from rastup_data.collector.segment.wire import SegmentApp, SegmentContext, SegmentMessage
from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import RejectedItem


def _compiled() -> Callable[..., dict[str, Any] | None] | None:
    """The C extension's mapping of a track call, or None when it is not built."""
    try:
        from rastup_data.collector.segment._fastmap import track
    except ImportError:  # not built: the Python mapping alone
        return None
    return track


_compiled_track = _compiled()

__all__ = [
    "APPS",
    "COMPILED",
    "LIBRARY_APPS",
    "SEGMENT_NAMESPACE",
    "MessageText",
    "SegmentMapping",
    "event_id_for",
    "person_id",
    "quarantined",
    "track_message",
]

#: Namespace of the name-based event ids made from messageIds that are not UUIDs.
SEGMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "segment.rastup.com")

#: The envelope's ``context.app`` values.
APPS = frozenset({"web", "ios", "android", "backend"})

#: ``context.app`` by ``context.library.name`` (lower case), when ``context.app.name`` is
#: not one of :data:`APPS` (mobile SDKs send the application's display name there).
LIBRARY_APPS: Mapping[str, str] = {
    # Browsers.
    "analytics.js": "web",
    "analytics-next": "web",
    "rudderlabs javascript sdk": "web",
    # iOS.
    "analytics-ios": "ios",
    "analytics-swift": "ios",
    "rudder-ios-library": "ios",
    # Android.
    "analytics-android": "android",
    "analytics-kotlin": "android",
    "com.rudderstack.android.sdk.core": "android",
    # Server libraries (RudderStack's Python SDK also calls itself analytics-python).
    "analytics-python": "backend",
    "rudder-sdk-python": "backend",
    "analytics-node": "backend",
    "@segment/analytics-node": "backend",
    "analytics-ruby": "backend",
    "analytics-go": "backend",
    "analytics-java": "backend",
    "analytics-php": "backend",
    "analytics.net": "backend",
    "analytics-csharp": "backend",
}

#: Whether the C extension is built and maps the common case (see the module's docstring).
COMPILED = _compiled_track is not None

_IS_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
).fullmatch
_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+")
#: What quarantine does not keep of an unmapped message: personal data and the write key.
_NOT_KEPT = ("traits", "writeKey")
_CONTEXT_NOT_KEPT = ("traits", "ip")


def event_id_for(message_id: Any, text: MessageText) -> str:
    """``ids.event_id`` of a message: its messageId as a canonical lower-case UUID, or a
    name-based UUID (v5) of any other messageId, so a resent message gets the same id. A
    message without one gets a name-based UUID of its text (``text()``, read only then)."""
    if type(message_id) is str and len(message_id) == 36 and _IS_UUID(message_id):
        return message_id.lower()
    if type(message_id) is int:
        message_id = str(message_id)
    if type(message_id) is str and message_id:
        return str(uuid.uuid5(SEGMENT_NAMESPACE, message_id))
    content = text().decode("utf-8", "replace")
    return str(uuid.uuid5(SEGMENT_NAMESPACE, "content:" + content))


def person_id(value: Any, prefix: str) -> Any:
    """A Segment id as the envelope's id: ``u_``/``a_``/``s_`` ids as they are, other ids
    made of letters, digits, ``_`` and ``-`` (an SDK's UUID) with the prefix put in front;
    anything else unchanged, for the validator to judge."""
    if type(value) is str and value.startswith(prefix):
        return value
    if value is None or value == "":
        return None
    if type(value) is int:
        value = str(value)
    if type(value) is str and _ID_CHARS.fullmatch(value):
        return prefix + value
    return value


#: A message's text as sent, read on demand (only quarantine and content ids need it).
MessageText = Callable[[], bytes]

_NO_CONTEXT = SegmentContext()
_NO_APP = SegmentApp()


@dataclass(frozen=True, slots=True)
class SegmentMapping:
    """The mapping's tables: the current version of every catalogue event, and city codes
    by lower-case code or name. ``compiled``: map the common case with the C extension
    (the default when it is built); False maps every message in Python."""

    versions: Mapping[str, int]
    cities: Mapping[str, str]
    compiled: bool = field(default=COMPILED, kw_only=True)
    #: The tables as one JSON text: what a pickle of the mapping carries (see __reduce__).
    _tables: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.compiled and _compiled_track is None:
            raise RuntimeError("the Segment mapping's C extension is not built (make setup)")
        tables = orjson.dumps([dict(self.versions), dict(self.cities)])
        object.__setattr__(self, "_tables", tables)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with every request's work to a validation worker: as the tables' JSON
        text, which a worker decodes into a mapping once and reuses for the same text,
        instead of rebuilding both tables and the mapping for every request."""
        return (_restored, (self._tables, self.compiled))

    def envelope(
        self,
        message: SegmentMessage,
        text: MessageText,
        call: str | None,
        shared: SegmentContext | None,
        now: str,
    ) -> dict[str, Any] | RejectedItem:
        """The envelope of one message (without ``received_at``) or a :class:`RejectedItem`.

        ``text()`` is the message as sent (kept by quarantine, called only when needed and
        only before this returns: the caller moves one such callable from message to message);
        ``call`` the type a single-message path implies (``/v1/track``); ``shared`` the
        batch's own context, under each message's; ``now`` the time of receipt, the
        occurred_at of a message with neither timestamp nor originalTimestamp."""
        if self.compiled and _compiled_track is not None:  # most calls: see the docstring
            mapped = _compiled_track(
                message, call, shared, now, self.versions, self.cities, APPS, LIBRARY_APPS
            )
            if mapped is not None:
                return mapped
        kind = call or message.type
        given = message.context or _NO_CONTEXT
        if shared is not None:
            given = _merged(given, shared)
        if kind == "track":
            name = message.event
            if type(name) is str and name in self.versions:  # a catalogue event: most calls
                return self._envelope(message, text, given, name, now)
            return self._track(message, text, given, now)
        if kind == "identify":
            return self._link(message, text, given, now, message.anonymousId)
        if kind == "alias":
            return self._alias(message, text, given, now)
        shown = repr(kind)[:40] if kind is not None else "no type"
        return _unmapped(message, text(), f"a {shown} call has no catalogue event")

    def _track(
        self, message: SegmentMessage, text: MessageText, given: SegmentContext, now: str
    ) -> dict[str, Any] | RejectedItem:
        """A track call whose event the catalogue does not name (or that names none)."""
        name = message.event
        if type(name) is not str or not name:
            why = "a track call needs its event name in `event`"
            return quarantined(message, text(), ErrorCode.EVENT_ENVELOPE_INVALID, why)
        envelope = self._envelope(message, text, given, name, now)
        if type(envelope) is dict:
            return RejectedItem(
                envelope,
                orjson.dumps(envelope),
                ErrorCode.EVENT_UNKNOWN,
                f"no catalogue event is named {name[:100]!r}; a track call's event is a "
                "catalogue name such as search.click (docs/segment-api.md)",
            )
        return envelope

    def _alias(
        self, message: SegmentMessage, text: MessageText, given: SegmentContext, now: str
    ) -> dict[str, Any] | RejectedItem:
        previous = message.previousId
        if type(previous) is str and previous.startswith("u_"):
            why = "an alias of a user id (previousId u_…) links no anonymous id"
            return _unmapped(message, text(), why)
        return self._link(message, text, given, now, previous)

    def _link(
        self,
        message: SegmentMessage,
        text: MessageText,
        given: SegmentContext,
        now: str,
        anon: Any,
    ) -> dict[str, Any] | RejectedItem:
        user, anon_id = person_id(message.userId, "u_"), person_id(anon, "a_")
        if user is None or anon_id is None:
            why = "an identify or alias call needs both ids to link an anonymous id"
            return _unmapped(message, text(), why)
        envelope = self._envelope(message, text, given, "identity.linked", now)
        if type(envelope) is not dict:
            return envelope
        envelope["anon_id"] = anon_id
        envelope["payload"] = {"anon_id": anon_id, "user_id": user}
        return envelope

    def _envelope(
        self, message: SegmentMessage, text: MessageText, given: SegmentContext, name: str, now: str
    ) -> dict[str, Any] | RejectedItem:
        """The envelope of event ``name`` with the message's properties as its payload,
        or the message quarantined when its app cannot be told. One function on purpose:
        this runs for every message of every batch, so the common case (ids with their
        prefix, a messageId that is a UUID) makes no call it can avoid."""
        context = self._context(given)
        if type(context) is str:
            return quarantined(message, text(), ErrorCode.EVENT_ENVELOPE_INVALID, context)
        version = self.versions.get(name, 1)
        if given.rastup is None and given.sessionId is None:  # what the SDKs send
            session = ids = None
        else:
            version, session, ids = _extras(given, version)
        message_id = message.messageId
        if type(message_id) is str and len(message_id) == 36 and _IS_UUID(message_id):
            event_id = message_id.lower()
        else:
            event_id = event_id_for(message_id, text)
        if ids is None:
            ids = {"event_id": event_id}
        else:  # the message's own decoded dict (see _merged): completed, not copied
            ids["event_id"] = event_id
        user, anon, properties = message.userId, message.anonymousId, message.properties
        # Ids that already carry their prefix, the common case, skip the call.
        if type(user) is not str or user[:2] != "u_":
            user = person_id(user, "u_")
        if type(anon) is not str or anon[:2] != "a_":
            anon = person_id(anon, "a_")
        return {
            "event": name,
            "v": version,
            "occurred_at": message.timestamp or message.originalTimestamp or now,
            "user_id": user,
            "anon_id": anon,
            "session_id": session,
            "context": context,
            "ids": ids,
            "payload": {} if properties is None else properties,
        }

    def _context(self, given: SegmentContext) -> dict[str, Any] | str:
        """The envelope's context, or why the app cannot be told."""
        app_info = given.app or _NO_APP
        library = given.library.name if given.library is not None else None
        name = app_info.name
        app = name if type(name) is str and name in APPS else _app_of(name, library)
        if app is None:
            return (
                f"cannot tell the app: context.app.name {str(name)[:40]!r} is not one of "
                f"{', '.join(sorted(APPS))} and the library {str(library)[:40]!r} is not "
                "known; set context.app.name to one of them"
            )
        platform = given.os.name if given.os is not None else None
        context: dict[str, Any] = {"app": app, "platform": platform or library or app}
        location = given.location
        if location is not None and type(location.city) is str and location.city:
            city = location.city
            code = self.cities.get(city) or self.cities.get(city.strip().lower())
            if code is not None:
                context["city"] = code
            else:
                context["location_city"] = city
        if given.locale is not None or app_info.version is not None or given.referrer:
            _describe(context, given, app_info)
        return context


#: The mappings this process has unpickled, by their tables' text and ``compiled``.
_RESTORED: dict[tuple[bytes, bool], SegmentMapping] = {}
_RESTORED_AT_MOST = 8


def _restored(tables: bytes, compiled: bool) -> SegmentMapping:  # noqa: FBT001 (pickle's call)
    """The mapping a pickle names (:meth:`SegmentMapping.__reduce__`): built on the first
    request that brings these tables to this process, then the same object."""
    mapping = _RESTORED.get((tables, compiled))
    if mapping is None:
        versions, cities = orjson.loads(tables)
        mapping = SegmentMapping(versions, cities, compiled=compiled)
        if len(_RESTORED) >= _RESTORED_AT_MOST:
            _RESTORED.clear()
        _RESTORED[(tables, compiled)] = mapping
    return mapping


def _merged(given: SegmentContext, shared: SegmentContext) -> SegmentContext:
    """A message's context over the batch's: the message's fields where it has them. The
    batch's ``rastup`` is copied, since the mapping completes each message's ``ids`` in place."""
    fields = {
        name: getattr(given, name) if getattr(given, name) is not None else getattr(shared, name)
        for name in SegmentContext.__struct_fields__
    }
    if given.rastup is None:
        fields["rastup"] = copy.deepcopy(shared.rastup)
    return SegmentContext(**fields)


def _app_of(name: Any, library: Any) -> str | None:
    """The app named in any case, else the library's app, else None."""
    if type(name) is str and name.lower() in APPS:
        return name.lower()
    return LIBRARY_APPS.get(library.lower()) if type(library) is str else None


def _extras(given: SegmentContext, version: Any) -> tuple[Any, Any, Any]:
    """The envelope's ``v``, ``session_id`` and domain ``ids``: what Segment has no place
    for travels in ``context.rastup`` (``v``, ``session_id``, ``ids``); RudderStack sends
    ``context.sessionId``. ``version``: the event's current version."""
    extra, session, ids = given.rastup, given.sessionId, None
    if type(extra) is dict:
        named = extra.get("v")
        if named is not None:
            version = named
        session = extra.get("session_id", session)
        ids = extra.get("ids")
    if session is not None and not (type(session) is str and session[:2] == "s_"):
        session = person_id(session, "s_")
    return version, session, ids if type(ids) is dict else None


def _describe(context: dict[str, Any], given: SegmentContext, app_info: SegmentApp) -> None:
    """The optional context fields: locale, app version and the kind of referrer."""
    if given.locale is not None:
        context["locale"] = given.locale
    version = app_info.version
    if version is not None:
        context["app_version"] = version if type(version) is str else str(version)
    if given.referrer is not None and given.referrer.type is not None:
        context["referrer_kind"] = given.referrer.type


def _unmapped(message: SegmentMessage, raw: bytes, why: str) -> RejectedItem:
    return quarantined(
        message,
        raw,
        ErrorCode.SEGMENT_MESSAGE_UNMAPPED,
        f"{why}; acknowledged and quarantined, do not resend (docs/segment-api.md)",
    )


def quarantined(message: Any, raw: bytes, code: ErrorCode, why: str) -> RejectedItem:
    """A message for quarantine with ``code``: its ids (for the record and for the
    suppression of erased subjects) and its text without traits, IP and write key.
    ``message`` is a :class:`SegmentMessage` or, when it did not decode as one, a dict."""
    get = message.get if type(message) is dict else partial(getattr, message)
    kind = get("type", None)
    item = {
        "event": f"segment.{kind}" if type(kind) is str else "segment",
        "ids": {"event_id": event_id_for(get("messageId", None), lambda: raw)},
        "user_id": person_id(get("userId", None), "u_"),
        "anon_id": person_id(get("anonymousId", None) or get("previousId", None), "a_"),
    }
    return RejectedItem(item, _kept_text(raw), code, why)


def _kept_text(raw: bytes) -> bytes:
    """What quarantine keeps of a message: all of it but traits, IP and write key."""
    try:
        message = orjson.loads(raw)
        if type(message) is not dict:
            return raw
        kept = {k: v for k, v in message.items() if k not in _NOT_KEPT}
        context = kept.get("context")
        if type(context) is dict:
            kept["context"] = {k: v for k, v in context.items() if k not in _CONTEXT_NOT_KEPT}
        return orjson.dumps(kept)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # nested past orjson's limits
        return b'{"unreadable": "nested too deep to keep"}'


def track_message(envelope: Mapping[str, Any], library: str = "analytics-python") -> dict[str, Any]:
    """The ``track`` message an app sends for an envelope, which the mapping turns back into
    that envelope (the catalogue examples do, a test checks it; the benchmark sends these)."""
    ctx = envelope["context"]
    app: dict[str, Any] = {"name": ctx["app"]}
    context: dict[str, Any] = {
        "app": app,
        "os": {"name": ctx["platform"]},
        "library": {"name": library},
        "rastup": {
            "session_id": envelope.get("session_id"),
            "ids": {k: v for k, v in envelope["ids"].items() if k != "event_id"},
        },
    }
    if "app_version" in ctx:
        app["version"] = ctx["app_version"]
    if "city" in ctx:
        context["location"] = {"city": ctx["city"]}
    if "locale" in ctx:
        context["locale"] = ctx["locale"]
    if "referrer_kind" in ctx:
        context["referrer"] = {"type": ctx["referrer_kind"]}
    return {
        "type": "track",
        "event": envelope["event"],
        "properties": envelope["payload"],
        "userId": envelope.get("user_id"),
        "anonymousId": envelope.get("anon_id"),
        "timestamp": envelope["occurred_at"],
        "messageId": envelope["ids"]["event_id"],
        "context": context,
    }

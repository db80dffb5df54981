"""Segment messages as catalogue envelopes: the mapping table of docs/segment-api.md.

A ``track`` call becomes the catalogue event it names; ``identify`` (with both ids) and
``alias`` become ``identity.linked``. A message that maps to nothing (``page``, ``screen``,
``group``, an unknown type or event name) becomes a :class:`RejectedItem` with its code,
which the collector quarantines. Pure and picklable: built once from the registry's current
versions and the cities table, then used in whichever process validates the request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from rastup_data.errors import ErrorCode
from rastup_data.ingest.acceptance import RejectedItem

__all__ = [
    "APPS",
    "LIBRARY_APPS",
    "SEGMENT_NAMESPACE",
    "SegmentMapping",
    "event_id_for",
    "person_id",
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

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+")
#: What quarantine does not keep of an unmapped message: personal data and the write key.
_NOT_KEPT = ("traits", "writeKey")
_CONTEXT_NOT_KEPT = ("traits", "ip")


def event_id_for(message_id: Any, message: Mapping[str, Any]) -> str:
    """``ids.event_id`` of a message: its messageId as a canonical lower-case UUID, or a
    name-based UUID (v5) of any other messageId, so a resent message gets the same id. A
    message without one gets a name-based UUID of its content."""
    if type(message_id) is int:
        message_id = str(message_id)
    if type(message_id) is str and message_id:
        if len(message_id) == 36 and _UUID.fullmatch(message_id):
            return message_id.lower()
        return str(uuid.uuid5(SEGMENT_NAMESPACE, message_id))
    try:
        content = orjson.dumps(message, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:  # nested past orjson's limit: rejected as too deep anyway
        content = repr(sorted(message))
    return str(uuid.uuid5(SEGMENT_NAMESPACE, "content:" + content))


def person_id(value: Any, prefix: str) -> Any:
    """A Segment id as the envelope's id: ``u_``/``a_``/``s_`` ids as they are, other ids
    made of letters, digits, ``_`` and ``-`` (an SDK's UUID) with the prefix put in front;
    anything else unchanged, for the validator to judge."""
    if value is None or value == "":
        return None
    if type(value) is int:
        value = str(value)
    if type(value) is str and not value.startswith(prefix) and _ID_CHARS.fullmatch(value):
        return prefix + value
    return value


def _member(value: Any, key: str) -> Any:
    return value.get(key) if type(value) is dict else None


@dataclass(frozen=True, slots=True)
class SegmentMapping:
    """The mapping's tables: the current version of every catalogue event, and city codes
    by lower-case code or name."""

    versions: Mapping[str, int]
    cities: Mapping[str, str]

    def envelope(
        self, message: Any, *, call: str | None, shared: Mapping[str, Any] | None, now: str
    ) -> Any:
        """The envelope of one message (without ``received_at``), a :class:`RejectedItem`,
        or the message itself when it is not an object (the acceptor rejects it).

        ``call`` is the type a single-message path implies (``/v1/track``); ``shared`` the
        batch's own context, under each message's; ``now`` the time of receipt, the
        occurred_at of a message with neither timestamp nor originalTimestamp."""
        if type(message) is not dict:
            return message
        kind = call or message.get("type")
        given = message.get("context")
        if type(given) is not dict:
            given = {}
        if shared:
            given = {**shared, **given}
        if kind == "track":
            return self._track(message, given, now)
        if kind == "identify":
            return self._link(message, message.get("anonymousId"), given, now)
        if kind == "alias":
            previous = message.get("previousId")
            if type(previous) is str and previous.startswith("u_"):
                why = "an alias of a user id (previousId u_…) links no anonymous id"
                return self._unmapped(message, why)
            return self._link(message, previous, given, now)
        shown = repr(kind)[:40] if kind is not None else "no type"
        return self._unmapped(message, f"a {shown} call has no catalogue event")

    def _track(self, message: dict[str, Any], given: dict[str, Any], now: str) -> Any:
        name = message.get("event")
        if type(name) is not str or not name:
            return self._invalid(message, "a track call needs its event name in `event`")
        context = self._context(given)
        if type(context) is str:
            return self._invalid(message, context)
        version = _member(given.get("rastup"), "v")
        if version is None:
            version = self.versions.get(name, 1)
        properties = message.get("properties")
        envelope = _envelope(message, name, version, now)
        envelope["context"] = context
        envelope["payload"] = {} if properties is None else properties
        _apply_extra(envelope, given)
        if name not in self.versions:
            return RejectedItem(
                envelope,
                orjson.dumps(envelope),
                ErrorCode.EVENT_UNKNOWN,
                f"no catalogue event is named {name[:100]!r}; a track call's event is a "
                "catalogue name such as search.click (docs/segment-api.md)",
            )
        return envelope

    def _link(self, message: dict[str, Any], anon: Any, given: dict[str, Any], now: str) -> Any:
        user, anon_id = person_id(message.get("userId"), "u_"), person_id(anon, "a_")
        if user is None or anon_id is None:
            why = "an identify or alias call needs both ids to link an anonymous id"
            return self._unmapped(message, why)
        context = self._context(given)
        if type(context) is str:
            return self._invalid(message, context)
        name = "identity.linked"
        envelope = _envelope(message, name, self.versions.get(name, 1), now)
        envelope["anon_id"] = anon_id
        envelope["context"] = context
        envelope["payload"] = {"anon_id": anon_id, "user_id": user}
        _apply_extra(envelope, given)
        return envelope

    def _context(self, given: dict[str, Any]) -> dict[str, Any] | str:
        """The envelope's context, or why the app cannot be told."""
        app_info = given.get("app")
        library = _member(given.get("library"), "name")
        name = _member(app_info, "name")
        app = name.lower() if type(name) is str and name.lower() in APPS else None
        if app is None and type(library) is str:
            app = LIBRARY_APPS.get(library.lower())
        if app is None:
            return (
                f"cannot tell the app: context.app.name {str(name)[:40]!r} is not one of "
                f"{', '.join(sorted(APPS))} and the library {str(library)[:40]!r} is not "
                "known; set context.app.name to one of them"
            )
        context: dict[str, Any] = {
            "app": app,
            "platform": _member(given.get("os"), "name") or library or app,
        }
        self._locate(context, _member(given.get("location"), "city"))
        _describe(context, given, app_info)
        return context

    def _locate(self, context: dict[str, Any], city: Any) -> None:
        """``city`` as a code of the cities table (by code or name); any other city is kept
        as ``location_city``."""
        if type(city) is not str or not city:
            return
        code = self.cities.get(city.strip().lower())
        if code is not None:
            context["city"] = code
        else:
            context["location_city"] = city

    def _unmapped(self, message: dict[str, Any], why: str) -> RejectedItem:
        kind = message.get("type")
        label = f"segment.{kind}" if type(kind) is str else "segment"
        return _rejected(
            message,
            label,
            ErrorCode.SEGMENT_MESSAGE_UNMAPPED,
            f"{why}; acknowledged and quarantined, do not resend (docs/segment-api.md)",
        )

    def _invalid(self, message: dict[str, Any], why: str) -> RejectedItem:
        return _rejected(message, "segment.track", ErrorCode.EVENT_ENVELOPE_INVALID, why)


def _envelope(message: dict[str, Any], name: str, version: Any, now: str) -> dict[str, Any]:
    return {
        "event": name,
        "v": version,
        "occurred_at": message.get("timestamp") or message.get("originalTimestamp") or now,
        "user_id": person_id(message.get("userId"), "u_"),
        "anon_id": person_id(message.get("anonymousId"), "a_"),
        "session_id": None,
        "ids": {"event_id": event_id_for(message.get("messageId"), message)},
    }


def _describe(context: dict[str, Any], given: dict[str, Any], app_info: Any) -> None:
    """The optional context fields: locale, app version and the kind of referrer."""
    locale = given.get("locale")
    if locale is not None:
        context["locale"] = locale
    version = _member(app_info, "version")
    if version is not None:
        context["app_version"] = version if type(version) is str else str(version)
    referrer = _member(given.get("referrer"), "type")
    if referrer is not None:
        context["referrer_kind"] = referrer


def _apply_extra(envelope: dict[str, Any], given: dict[str, Any]) -> None:
    """The envelope fields Segment has no place for: ``context.rastup`` (``session_id``,
    domain ``ids``) and RudderStack's ``context.sessionId``."""
    session = given.get("sessionId")
    extra = given.get("rastup")
    if type(extra) is dict:
        session = extra.get("session_id", session)
        ids = extra.get("ids")
        if type(ids) is dict:
            envelope["ids"] = {**ids, "event_id": envelope["ids"]["event_id"]}
    envelope["session_id"] = person_id(session, "s_")


def _rejected(message: dict[str, Any], label: str, code: ErrorCode, why: str) -> RejectedItem:
    item = {
        "event": label,
        "ids": {"event_id": event_id_for(message.get("messageId"), message)},
        "user_id": person_id(message.get("userId"), "u_"),
        "anon_id": person_id(message.get("anonymousId") or message.get("previousId"), "a_"),
    }
    return RejectedItem(item, _kept_text(message), code, why)


def _kept_text(message: dict[str, Any]) -> bytes:
    """What quarantine keeps of an unmapped message: all of it but traits, IP, write key."""
    kept = {k: v for k, v in message.items() if k not in _NOT_KEPT}
    context = kept.get("context")
    if type(context) is dict:
        kept["context"] = {k: v for k, v in context.items() if k not in _CONTEXT_NOT_KEPT}
    try:
        return orjson.dumps(kept)
    except orjson.JSONEncodeError:  # nested past orjson's limit
        return b'{"unreadable": "nested too deep to keep"}'

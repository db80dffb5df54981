"""The PII value guard: finds emails, phone numbers, card numbers and raw IPs in strings.

Two entry points:

- :func:`find_pii` walks any JSON value and checks every string precisely.
- :func:`find_pii_in_valid_event` is the collector's hot path for events that already
  passed envelope validation. It serialises the fields that can carry free text once and
  runs byte-level prefilters that are a strict superset of the precise detectors; only
  when a prefilter fires do the precise detectors run (:func:`scan_pii`).

Digit-based detectors only fire on numbers that stand alone: a match right after a letter,
digit, ``_``, ``-`` or ``.``, or followed by a word character (directly or through ``-`` or
``.``), is part of a bigger token such as a UUID, a timestamp, a version or a prefixed id
(``bk_4111…``) and is ignored. Every phone and card detector needs at least 9 digits.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["PiiFinding", "find_pii", "find_pii_in_valid_event", "scan_pii"]

EMAIL = "email address"
PHONE = "phone number"
CARD = "card number"
IP_ADDRESS = "IP address"

# Not part of a token such as an id, a UUID, a version or a time of day: no word character,
# '.' or '-' (or a digit and ':') right before; not followed by a word character, directly
# or through '-' or '.', nor by ':' and a digit.
_BEFORE = r"(?<![\w.-])(?<![0-9]:)"
_AFTER = r"(?!\w|[.-]\w|:[0-9])"

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    re.ASCII,
)
_CARD_RE = re.compile(_BEFORE + r"[0-9](?:[ -]?[0-9]){12,18}" + _AFTER, re.ASCII)
_PHONE_RES = tuple(
    re.compile(pattern, re.ASCII)
    for pattern in (
        # International with a leading '+': 9 to 15 digits.
        r"(?<![\w+])\+[0-9](?:[ .()-]{0,2}[0-9]){8,14}" + _AFTER,
        # North American, formatted: (415) 555-0123, 415-555-0123, 1 415.555.0123.
        _BEFORE + r"(?:1[ .-]?)?(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}" + _AFTER,
        # North American, bare ten digits with valid area and exchange codes.
        _BEFORE + r"1?[2-9][0-9]{2}[2-9][0-9]{6}" + _AFTER,
        # National formats with a trunk 0: 020 7946 0958, (030) 1234-5678, 06 12 34 56 78.
        _BEFORE + r"(?:0[0-9]{2,4}|\(0[0-9]{2,4}\))[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}" + _AFTER,
        _BEFORE + r"0[1-9](?:[ .-]?[0-9]{2}){4}" + _AFTER,
    )
)
# Where every phone and card match starts: a free-standing digit opening a run of at least
# nine characters of digits and separators (a "+" or "(" before it is not a word character).
_DIGIT_RUN_PATTERN = r"(?<![\w.-])[0-9][0-9 .()+-]{7,}[0-9]"
_DIGIT_RUN = re.compile(_DIGIT_RUN_PATTERN, re.ASCII)
_DIGIT_RUN_BYTES = re.compile(_DIGIT_RUN_PATTERN.encode())
_IPV4_RE = re.compile(r"(?<![\w.-])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?!\w|\.[0-9])", re.ASCII)
# Maximal runs of hex digits, ':' and '.', checked in Python (a backtracking pattern here
# is quadratic on long runs of colons).
_IPV6_TOKEN = re.compile(r"[0-9A-Fa-f:.]+")
_IPV6_MAX_LENGTH = 45  # ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEX_AND_DOTS = b"0123456789ABCDEFabcdef."
_COLON = ord(":")
_MIN_PII_LENGTH = 3  # "::1" is the shortest string any detector accepts.
_EMAIL_GATE, _DIGITS_GATE, _IPV6_GATE, _IPV4_GATE = 1, 2, 4, 8
_ALL_GATES = _EMAIL_GATE | _DIGITS_GATE | _IPV6_GATE | _IPV4_GATE
_SCANNED_FIELDS = ("user_id", "anon_id", "session_id", "context", "ids", "payload")

# Byte tables for the hot-path prefilters.
_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_DIGITS_TO_ZERO_BACKSLASH_TO_AT = bytes.maketrans(b"0123456789\\", b"0000000000@")
_PHONE_SEPARATORS = b" .()-+"


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """What kind of personal data was found, and where (a JSON path, ``$.payload.reason``)."""

    kind: str
    path: str

    def describe(self) -> str:
        return f"{self.kind} at {self.path}"


def find_pii(value: object) -> str | None:
    """Describe the first personal data in ``value`` (any JSON value), or None if there is none.

    The answer reads like ``"email address at $.payload.reason"``; a bare string is at ``$``.
    """
    finding = scan_pii(value)
    return None if finding is None else finding.describe()


def scan_pii(value: object, path: str = "$") -> PiiFinding | None:
    """The first :class:`PiiFinding` in ``value``, searching nested objects and arrays."""
    if isinstance(value, str):
        kind = _string_pii(value)
        return None if kind is None else PiiFinding(kind, path)
    if isinstance(value, dict | Mapping):
        for key, item in value.items():
            found = scan_pii(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = scan_pii(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def find_pii_in_valid_event(event: Mapping[str, Any]) -> PiiFinding | None:
    """Fast PII scan of an event whose envelope is known to be valid.

    ``occurred_at``, ``received_at``, ``ids.event_id``, ``event``, ``v`` and the
    ``u_``/``a_``/``s_`` ids are format- or pattern-checked by the envelope in ways no
    detector can match, so only context, the other ids and the payload are prefiltered:
    one serialisation and a few byte-level checks decide whether the precise detectors
    run at all.
    """
    ids = event["ids"]
    context = event["context"]
    payload = event["payload"]
    if len(ids) > 1:
        ids = dict(ids)
        del ids["event_id"]
        keys = len(ids)
    else:
        ids = None
        keys = 0
    raw = orjson.dumps((context, ids, payload))
    # The same gates as _gates, inlined: this runs for every accepted event.
    marked = raw.translate(_DIGITS_TO_ZERO_BACKSLASH_TO_AT, _PHONE_SEPARATORS)
    if (
        b"@" not in marked
        # Each key of the (flat) objects adds one ':' to the JSON text; any other colon is
        # in a string (or a nested object), and only a run of two may be an IPv6 address.
        and (raw.count(b":") <= keys + len(context) + len(payload) or not _may_hold_ipv6(raw))
        and (b"000000000" not in marked or _DIGIT_RUN_BYTES.search(raw) is None)
        and (raw.count(b".") < 3 or not _dotted_quad(raw))
    ):
        return None
    for name in _SCANNED_FIELDS:
        found = scan_pii(event.get(name), f"$.{name}")
        if found is not None:
            return found
    return None


def _gates(raw: bytes) -> int:
    """Which detector families might fire on one string's UTF-8 bytes (0 means none).

    Each gate is a superset of its precise detector. A backslash opens every gate: in JSON
    text it starts an escape that could hide a word boundary.
    """
    if b"\\" in raw:
        return _ALL_GATES
    gates = 0
    if b"@" in raw:
        gates |= _EMAIL_GATE
    # Phones and cards: at least 9 digits once separators are removed.
    if b"000000000" in raw.translate(_DIGITS_TO_ZERO, _PHONE_SEPARATORS):
        gates |= _DIGITS_GATE
    if b":" in raw:
        gates |= _IPV6_GATE
    if raw.count(b".") >= 3 and _dotted_quad(raw):
        gates |= _IPV4_GATE
    return gates


def _may_hold_ipv6(raw: bytes) -> bool:
    """False only if no string in ``raw`` (JSON text without escapes) holds a token that
    :func:`_has_ipv6` reads: a maximal run of hex digits, ``:`` and ``.`` with two colons
    or more that is not glued to a word character before it.

    Deleting hex digits and dots turns each such run into adjacent colons that keep the
    byte before the run. A key's colon is followed by a quote or a value that is not a
    colon, and a time of day is glued to its ``T``, so neither passes.
    """
    squeezed = raw.translate(None, _HEX_AND_DOTS)
    at = squeezed.find(b"::")
    while at >= 0:
        start = at
        while start and squeezed[start - 1] == _COLON:
            start -= 1
        if not start or squeezed[start - 1] not in _WORD_BYTES:
            return True
        at = squeezed.find(b"::", at + 2)
    return False


def _dotted_quad(raw: bytes) -> bool:
    """True if ``raw`` may hold an IPv4 address: digit runs of up to four read as one "0"."""
    collapsed = raw.translate(_DIGITS_TO_ZERO).replace(b"00", b"0").replace(b"00", b"0")
    return b"0.0.0.0" in collapsed


def _string_pii(text: str) -> str | None:
    if len(text) < _MIN_PII_LENGTH:
        return None
    gates = _gates(text.encode())
    if not gates:
        return None
    if gates & _EMAIL_GATE and _EMAIL_RE.search(text):
        return EMAIL
    if gates & _IPV6_GATE and _has_ipv6(text):
        return IP_ADDRESS
    if gates & _IPV4_GATE and _has_ipv4(text):
        return IP_ADDRESS
    if gates & _DIGITS_GATE and _DIGIT_RUN.search(text):
        if _has_card(text):
            return CARD
        if any(pattern.search(text) for pattern in _PHONE_RES):
            return PHONE
    return None


def _has_ipv4(text: str) -> bool:
    for match in _IPV4_RE.finditer(text):
        if all(int(octet) <= 255 for octet in match.group().split(".")):
            return True
    return False


def _has_ipv6(text: str) -> bool:
    for match in _IPV6_TOKEN.finditer(text):
        start, end = match.span()
        if (start > 0 and text[start - 1] in _WORD_CHARS) or (
            end < len(text) and text[end] in _WORD_CHARS
        ):
            continue  # glued to a word: part of a bigger token
        token = match.group().strip(".")
        if (
            token.count(":") < 2
            or len(token) > _IPV6_MAX_LENGTH
            or not any(char in _HEX_DIGITS for char in token)
        ):
            continue
        try:
            ipaddress.IPv6Address(token)
        except ValueError:
            continue
        return True
    return False


def _has_card(text: str) -> bool:
    for match in _CARD_RE.finditer(text):
        groups = re.split(r"[ -]", match.group())
        # A card may sit inside a longer run of grouped digits: try every window of groups.
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _luhn_valid(digits):
                    return True
    return False


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0

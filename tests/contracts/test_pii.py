"""The PII value guard: what it finds, what it must never flag, and where it says it is."""

from __future__ import annotations

import string
import uuid
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rastup_data.contracts import PiiFinding, find_pii, pii, scan_pii
from rastup_data.contracts.pii import _has_ipv6, _may_hold_ipv6, find_pii_in_valid_event

POSITIVES = [
    ("jane.doe@example.com", "email address"),
    ("write to j+tag@mail.example.co.uk please", "email address"),
    ("+1 415 555 0123", "phone number"),
    ("+14155550123", "phone number"),
    ("+44 20 7946 0958", "phone number"),
    ("+49 (30) 1234-5678", "phone number"),
    ("(415) 555-0123", "phone number"),
    ("call 415-555-0123.", "phone number"),
    ("415.555.0123", "phone number"),
    ("reach me at 4155550123", "phone number"),
    ("020 7946 0958", "phone number"),
    ("(020) 7946 0958", "phone number"),
    ("appelez le 06 12 34 56 78", "phone number"),
    ("1-800-555-0199", "phone number"),
    ("4111 1111 1111 1111", "card number"),
    ("4111-1111-1111-1111", "card number"),
    ("paid with 5555555555554444", "card number"),
    ("amex 378282246310005", "card number"),
    ("4111 1111 1111 1111 and more 12", "card number"),
    ("192.168.1.20", "IP address"),
    ("from 10.0.0.1:8080", "IP address"),
    ("2001:db8::1", "IP address"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IP address"),
    ("[fe80::1ff:fe23:4567:890a]:443", "IP address"),
    ("::1", "IP address"),
    ("::ffff:192.0.2.128", "IP address"),
]

NEGATIVES = [
    "9673ad61-3b83-4627-9dcc-e2c569a2a823",
    "12345678-1234-1234-1234-123456789012",
    "2026-11-20T14:03:07.512Z",
    "2026-11-20T14:03:07.512345+05:30",
    "2026-12-05",
    "14:03:07",
    "bk_01HXD4QW",
    "bk_4111111111111111",
    "u_4155550123",
    "ch_3MxQ81",
    "4.12.0",
    "10.0.19041",
    "en-US",
    "zh-Hant-TW",
    "62000",
    "1234.56",
    "4111111111111112",
    "1732280000",
    "::",
    "booking.leg.confirmed",
    "Shoot moved to next month",
    "room 101, 2 hours",
    "",
]


@pytest.mark.parametrize(("text", "kind"), POSITIVES)
def test_finds_each_kind(text: str, kind: str) -> None:
    assert find_pii(text) == f"{kind} at $"


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_ids_times_amounts_and_versions_alone(text: str) -> None:
    assert find_pii(text) is None


def test_finds_values_in_nested_objects_and_arrays_but_not_keys() -> None:
    value = {"a": [1, "ok", {"b": "ping 203.0.113.9"}], "jane@example.com": 3}
    assert scan_pii(value) == PiiFinding("IP address", "$.a[2].b")
    assert find_pii({"jane@example.com": 3, "n": 4155550123}) is None


def _luhn_complete(body: str) -> str:
    """Append the check digit that makes ``body`` Luhn-valid (reference formula)."""
    digits = [int(c) for c in body]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return body + str((10 - total % 10) % 10)


def _group(number: str, separator: str, size: int) -> str:
    return separator.join(number[i : i + size] for i in range(0, len(number), size))


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(alphabet="0123456789", min_size=12, max_size=18).filter(lambda s: s[0] != "0"),
    separator=st.sampled_from(["", " ", "-"]),
    size=st.sampled_from([4, 5, 6]),
    before=st.sampled_from(["", "card ", "paid with: "]),
)
def test_luhn_valid_card_numbers_are_detected(
    body: str, separator: str, size: int, before: str
) -> None:
    number = _luhn_complete(body)
    assert find_pii(before + _group(number, separator, size)) == "card number at $"


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=13, max_size=19))
def test_luhn_invalid_numbers_are_not_cards(body: str) -> None:
    valid = _luhn_complete(body[:-1])
    invalid = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    assert find_pii(invalid) != "card number at $"


@settings(max_examples=500, deadline=None)
@given(value=st.uuids())
def test_no_false_positive_on_uuids(value: uuid.UUID) -> None:
    assert find_pii(str(value)) is None
    assert find_pii(str(value).upper()) is None


@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
    spec=st.sampled_from(["seconds", "milliseconds", "microseconds"]),
    zulu=st.booleans(),
)
def test_no_false_positive_on_rfc3339_timestamps(
    moment: datetime, offset_minutes: int, spec: str, zulu: bool
) -> None:
    if zulu:
        text = moment.isoformat(timespec=spec).replace("+00:00", "Z")
    else:
        zone = timezone(timedelta(minutes=offset_minutes))
        text = moment.astimezone(zone).isoformat(timespec=spec)
    assert find_pii(text) is None
    assert find_pii(moment.date().isoformat()) is None


@settings(max_examples=500, deadline=None)
@given(
    prefix=st.sampled_from(["bk_", "lg_", "ch_", "u_", "a_", "s_", "po_", "msg_", "ls_t_"]),
    body=st.text(
        alphabet=string.ascii_letters + string.digits + "_-",
        min_size=1,
        max_size=40,
    ),
)
def test_no_false_positive_on_prefixed_ids(prefix: str, body: str) -> None:
    # Also why the hot path may skip the envelope's u_/a_/s_ ids: nothing can match them.
    assert find_pii(prefix + body) is None


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=0, max_value=10**8),
    major=st.integers(min_value=0, max_value=10**6),
    minor=st.integers(min_value=0, max_value=99),
    version=st.tuples(*[st.integers(min_value=0, max_value=99)] * 3),
    locale=st.sampled_from(["en-US", "en-GB", "fr-FR", "pt-BR", "es-419", "zh-Hant-TW", "de"]),
)
def test_no_false_positive_on_amounts_versions_and_locales(
    cents: int, major: int, minor: int, version: tuple[int, int, int], locale: str
) -> None:
    assert find_pii(str(cents)) is None
    assert find_pii(f"{major}.{minor:02d}") is None
    assert find_pii(".".join(str(part) for part in version)) is None
    assert find_pii(locale) is None
    assert find_pii({"amount_cents": cents, "app_version": "4.12.0", "locale": locale}) is None


def test_long_runs_of_separators_are_scanned_without_backtracking_blowups() -> None:
    # Each of these took seconds with backtracking patterns; they must stay cheap and right.
    assert find_pii("1:" * 5000 + "g") is None
    assert find_pii("1:" * 5000 + "g 2001:db8::1") == "IP address at $"
    assert find_pii("1 " * 5000 + "x") is None
    assert find_pii("a@" + "b." * 5000 + "1") is None


# --- the hot path's IPv6 prefilter --------------------------------------------------------


@settings(max_examples=1500, deadline=None)
@given(
    text=st.text(alphabet='0123456789abcdefABCDEFxyzT_:. -"é', max_size=40),
    address=st.sampled_from(
        ["", "::1", "2001:db8::1", "fe80::1ff:fe23:4567:890a", "::ffff:1.2.3.4"]
    ),
    at=st.integers(min_value=0, max_value=40),
)
def test_ipv6_prefilter_passes_every_string_the_detector_flags(
    text: str, address: str, at: int
) -> None:
    value = text[:at] + address + text[at:]
    raw = orjson.dumps({"note": value, "at": "2026-11-21T14:03:07.512Z"})
    if b"\\" in raw:  # escapes open every gate before this one is asked
        return
    if _has_ipv6(value):
        assert _may_hold_ipv6(raw)


def test_times_of_day_in_valid_events_do_not_open_the_precise_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scans: list[object] = []
    monkeypatch.setattr(pii, "scan_pii", lambda value, path="$": scans.append(value))
    event = {
        "ids": {"event_id": "3b6f0c8e-5d2a-5f4b-9c1e-7a8d2e4f6b10", "booking_id": "bk_1"},
        "context": {"app": "backend", "platform": "server"},
        "payload": {"accept_by": "2026-11-21T14:03:07.512Z", "due": "2026-11-22T09:00:00+05:30"},
    }
    assert find_pii_in_valid_event(event) is None
    assert scans == []  # the prefilter decided alone
    event["payload"]["note"] = "from ::1"
    find_pii_in_valid_event(event)
    assert scans  # an address in a string does open it

"""The matching rule purges and verifications share, on values, Arrow arrays and lines."""

from __future__ import annotations

import re

import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from rastup_data.privacy import IdMatcher
from rastup_data.privacy.matching import MIN_WORD_CHARS

LONG, SHORT = "u_kwg97y89", "a_1"


def test_whole_values_quoted_ids_and_long_words_match() -> None:
    matcher = IdMatcher([LONG, SHORT, "7"])
    cases = {
        LONG: True,
        f"see {LONG}, then": True,
        f'{{"user_id":"{LONG}"}}': True,
        f"{LONG}0": False,  # another id
        f"x{LONG}": False,
        f"é{LONG}é": True,  # non-ASCII bytes are not word characters
        SHORT: True,
        '{"anon_id":"a_1"}': True,
        "a_1 is short": False,  # short ids only whole or quoted
        '{"rank":7}': False,
        '{"rank":"7"}': True,
        "7": True,
        "": False,
    }
    for value, expected in cases.items():
        assert matcher.names(value) is expected, value


def test_arrays_slices_dictionaries_and_nulls() -> None:
    matcher = IdMatcher([LONG])
    values = ["x", None, LONG, f"[{LONG}]", "y"]
    array = pa.array(values)
    assert matcher.rows(array).tolist() == [False, False, True, True, False]
    assert matcher.rows(array.slice(2, 2)).tolist() == [True, True]
    assert matcher.rows(array.dictionary_encode()).tolist() == [False, False, True, True, False]
    assert matcher.rows(pa.array(values, pa.large_string())).tolist()[2:4] == [True, True]
    chunked = pa.chunked_array([array.slice(0, 2), array.slice(2)])
    assert matcher.rows(chunked).tolist() == [False, False, True, True, False]


def test_a_match_never_spans_two_values() -> None:
    matcher = IdMatcher(["u_abcdefgh"])
    assert not matcher.rows(pa.array(["u_abcd", "efgh"])).any()


def test_lines_of_text() -> None:
    matcher = IdMatcher([SHORT])
    data = b'{"anon_id":"a_1"}\n{"anon_id":"a_12"}\n{"anon_id":"a_1"}'
    assert list(matcher.lines(data)) == [0, 2]


def test_no_ids_match_nothing() -> None:
    matcher = IdMatcher([])
    assert not matcher
    assert not matcher.names(LONG)
    assert not matcher.rows(pa.array([LONG])).any()


_ID = st.from_regex(r"[ua]_[a-z0-9]{1,12}", fullmatch=True)
_TEXT = st.text(alphabet='ab_ 1:,{}"é', max_size=20)


def _reference(value: str, subject: str) -> bool:
    """The rule, written with Python's re (the reference the automaton must agree with)."""
    if value == subject or orjson.dumps(subject).decode() in value:
        return True
    if len(subject) < MIN_WORD_CHARS:
        return False
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(subject)}(?![A-Za-z0-9_])", value) is not None


@settings(max_examples=300, deadline=None)
@given(_ID, _TEXT, _TEXT, st.booleans())
def test_the_automaton_agrees_with_a_regular_expression(
    subject: str, before: str, after: str, quoted: bool
) -> None:
    middle = orjson.dumps(subject).decode() if quoted else subject
    value = before + middle + after
    assert IdMatcher([subject]).names(value) is _reference(value, subject)
    assert bool(IdMatcher([subject]).rows(pa.array([value]))[0]) is _reference(value, subject)

"""Reading sources and grouping lines into capped batches."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rastup_data.client.batching import iter_batches, open_event_source
from rastup_data.errors import ErrorCode, RastupError


def test_batches_respect_event_cap_and_keep_order() -> None:
    lines = [f'{{"n": {i}}}\n'.encode() for i in range(23)]
    batches = list(iter_batches(lines, max_events=5))
    assert [b.events for b in batches] == [5, 5, 5, 5, 3]
    assert [line for b in batches for line in b.lines] == [line.rstrip(b"\n") for line in lines]
    assert [b.seq for b in batches] == [0, 1, 2, 3, 4]


def test_batches_respect_byte_cap() -> None:
    lines = [b"x" * 99 for _ in range(10)]  # 100 bytes each with the newline
    batches = list(iter_batches(lines, max_events=100, max_bytes=350))
    assert [b.events for b in batches] == [3, 3, 3, 1]
    assert all(b.body_bytes <= 350 for b in batches)


def test_oversized_line_travels_alone() -> None:
    lines = [b"a", b"b" * 1000, b"c"]
    batches = list(iter_batches(lines, max_events=10, max_bytes=100))
    assert [b.lines for b in batches] == [(b"a",), (b"b" * 1000,), (b"c",)]


def test_blank_lines_skipped_and_line_numbers_kept() -> None:
    lines = [b"one\n", b"\n", b"   \r\n", b"{not json\r\n", b"", b"three\n"]
    (batch,) = iter_batches(lines, max_events=10)
    assert batch.lines == (b"one", b"{not json", b"three")
    assert batch.line_numbers == (1, 4, 6)
    assert batch.ndjson() == b"one\n{not json\nthree\n"


def test_bad_batch_size_is_a_config_error() -> None:
    with pytest.raises(RastupError) as info:
        list(iter_batches([b"x"], max_events=0))
    assert info.value.code is ErrorCode.CONFIG_INVALID


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=60),
    st.integers(1, 7),
    st.integers(1, 120),
)
def test_batches_partition_the_non_blank_lines(
    lines: list[bytes], max_events: int, max_bytes: int
) -> None:
    batches = list(
        iter_batches([line + b"\n" for line in lines], max_events=max_events, max_bytes=max_bytes)
    )
    expected = [line.rstrip(b"\r") for line in lines if line.rstrip(b"\r").strip()]
    assert [line for b in batches for line in b.lines] == expected
    for b in batches:
        assert 1 <= b.events <= max_events
        assert b.body_bytes <= max_bytes or b.events == 1


def test_gzip_file_reads_the_same_lines(tmp_path: Path) -> None:
    content = b"".join(f'{{"n": {i}}}\n'.encode() for i in range(1000))
    plain = tmp_path / "events.ndjson"
    plain.write_bytes(content)
    packed = tmp_path / "events.ndjson.gz"
    packed.write_bytes(gzip.compress(content))
    with open_event_source(plain) as a, open_event_source(packed) as b:
        assert list(a.stream) == list(b.stream) == content.splitlines(keepends=True)
        assert a.size == len(content)
        assert a.position() == len(content)
        assert b.position() == packed.stat().st_size


def test_stdin_source(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"a": 1}\n{"b": 2}\n'

    class FakeStdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    with open_event_source("-") as source:
        assert source.size is None
        assert list(source.stream) == [b'{"a": 1}\n', b'{"b": 2}\n']


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RastupError) as info, open_event_source(tmp_path / "nope.ndjson"):
        pass
    assert info.value.code is ErrorCode.CONFIG_INVALID
    assert "nope.ndjson" in info.value.message

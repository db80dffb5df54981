"""`lake.lines`: the one refusal of a line source that breaks while read (`send`, `lake load`)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.lines import numbered_lines


def _broken_gz(path: Path, good_lines: int) -> Path:
    """``good_lines`` lines in a sound first member, then a member that is not deflate."""
    first = gzip.compress(b"".join(b'{"n": %d}\n' % i for i in range(good_lines)))
    path.write_bytes(first + b"\x1f\x8b\x08\x00not deflate at all")
    return path


def test_lines_are_numbered_from_one_and_kept_byte_for_byte() -> None:
    lines = [b"a\n", b"\n", b"c\r\n"]
    assert list(numbered_lines(lines, source="x", hint="h")) == [
        (1, b"a\n"),
        (2, b"\n"),
        (3, b"c\r\n"),
    ]


@pytest.mark.parametrize("good_lines", [0, 4])
def test_a_broken_gz_is_config_invalid_naming_the_source_line_and_the_given_hint(
    tmp_path: Path, good_lines: int
) -> None:
    path = _broken_gz(tmp_path / "events.ndjson.gz", good_lines)
    read: list[int] = []

    def read_all() -> None:
        with gzip.open(path, "rb") as source:
            for number, _line in numbered_lines(source, source=str(path), hint="Do this."):
                read.append(number)

    with pytest.raises(RastupError) as caught:
        read_all()
    assert read == list(range(1, good_lines + 1))
    error = caught.value
    assert error.code is ErrorCode.CONFIG_INVALID
    assert error.message.startswith(f"cannot read {path} at line {good_lines + 1}: ")
    assert error.hint == "Do this."
    assert error.__suppress_context__


def test_a_read_error_is_the_same_refusal() -> None:
    def failing() -> Iterator[bytes]:
        yield b"one\n"
        raise OSError(5, "Input/output error")

    with pytest.raises(RastupError, match=r"cannot read the events at line 2: .*Input/output"):
        list(numbered_lines(failing(), source="the events", hint="h"))

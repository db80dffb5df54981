"""Finding a subject's ids in stored values: the one rule purges and verifications share.

A value *names* an id when

* the whole value is the id (an identifier column), or
* it holds the id as a JSON string, ``"<id>"`` (payloads, contexts, raw quarantined text), or
* the id is at least :data:`MIN_WORD_CHARS` characters long and appears as a whole word: the
  bytes just before and after it are not ASCII letters, digits or ``_``.

Short ids (a careless client's anonymous id ``"7"``) are matched only whole or quoted, so they
cannot take unrelated numbers with them. :class:`IdMatcher` runs one Aho-Corasick automaton
over the data buffers of Arrow string arrays (no per-value Python work), so a thousand
subjects cost about as much as one; :meth:`IdMatcher.names` answers for a single value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import ahocorasick_rs
import numpy as np
import orjson
import pyarrow as pa

__all__ = ["MIN_WORD_CHARS", "IdMatcher", "text_columns"]

#: Ids this long or longer also match as a whole word inside text.
MIN_WORD_CHARS = 8

_WORD = np.zeros(256, dtype=bool)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
    _WORD[_c] = True


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def text_columns(schema: pa.Schema) -> list[str]:
    """The columns of ``schema`` that can hold an id (strings, plain or dictionary-encoded)."""
    found = []
    for f in schema:
        kind = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        if _is_text(kind) or pa.types.is_string_view(kind):
            found.append(f.name)
    return found


class IdMatcher:
    """Which values name any of a set of ids (see the module docstring for the rule)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = tuple(sorted({i for i in ids if i}))
        patterns: list[bytes] = []
        self._quoted: list[bool] = []
        self._long: list[bool] = []
        for subject in self.ids:
            bare = subject.encode("utf-8", "surrogatepass")
            patterns += [bare, orjson.dumps(subject)]
            self._quoted += [False, True]
            self._long += [len(subject) >= MIN_WORD_CHARS] * 2
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                patterns, implementation=ahocorasick_rs.Implementation.DFA
            )
            if patterns
            else None
        )
        self._quoted_np = np.array(self._quoted, dtype=bool)
        self._long_np = np.array(self._long, dtype=bool)

    def __bool__(self) -> bool:
        return self._automaton is not None

    # --- one value ------------------------------------------------------------------------

    def names(self, value: object) -> bool:
        """Whether one value (text, bytes, or anything with a text form) names an id."""
        if value is None or self._automaton is None:
            return False
        data = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
        offsets = np.array([0, len(data)], dtype=np.int64)
        return bool(self._hit_rows(memoryview(data), offsets).size)

    # --- Arrow arrays -----------------------------------------------------------------------

    def rows(self, array: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """A boolean mask: which values of a string array name an id."""
        chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
        parts = [self._chunk_mask(chunk) for chunk in chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)

    def table_rows(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """A boolean mask: which rows have a string column that names an id."""
        mask = np.zeros(table.num_rows, dtype=bool)
        if self._automaton is None:
            return mask
        for name in text_columns(table.schema):
            mask |= self.rows(table.column(name))
        return mask

    def _chunk_mask(self, chunk: pa.Array) -> np.ndarray:
        if pa.types.is_dictionary(chunk.type):
            inner = self._chunk_mask(chunk.dictionary)
            indices = chunk.indices.to_numpy(zero_copy_only=False)
            valid = ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            out = np.zeros(len(chunk), dtype=bool)
            out[valid] = inner[indices[valid].astype(np.int64)]
            return out
        if pa.types.is_string_view(chunk.type):
            chunk = chunk.cast(pa.large_string())
        mask = np.zeros(len(chunk), dtype=bool)
        if self._automaton is None or len(chunk) == 0 or not _is_text(chunk.type):
            return mask
        _, offsets_buf, data = chunk.buffers()
        if data is None:
            return mask
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buf, dtype=width)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        hits = self._hit_rows(memoryview(data).cast("B"), offsets.astype(np.int64))
        mask[hits] = True
        return mask

    def _hit_rows(self, data: memoryview, offsets: np.ndarray) -> np.ndarray:
        """Row numbers (values delimited by ``offsets`` in ``data``) that name an id."""
        assert self._automaton is not None
        start, end = int(offsets[0]), int(offsets[-1])
        found = self._automaton.find_matches_as_indexes(data[start:end], overlapping=True)
        if not found:
            return np.zeros(0, dtype=np.int64)
        matches = np.array(found, dtype=np.int64).reshape(-1, 3)
        pattern, first, last = matches[:, 0], matches[:, 1] + start, matches[:, 2] + start
        row = np.searchsorted(offsets, first, side="right") - 1
        row_start, row_end = offsets[row], offsets[row + 1]
        inside = last <= row_end
        whole = (first == row_start) & (last == row_end)
        buffer = np.frombuffer(data, dtype=np.uint8)
        before = np.where(first > row_start, buffer[np.maximum(first - 1, 0)], 0)
        after = np.where(last < row_end, buffer[np.minimum(last, len(buffer) - 1)], 0)
        word = (
            self._long_np[pattern]
            & ~(_WORD[before] & (first > row_start))
            & ~(_WORD[after] & (last < row_end))
        )
        ok = inside & (self._quoted_np[pattern] | whole | word)
        return np.unique(row[ok])

    # --- plain text -----------------------------------------------------------------------

    def lines(self, data: bytes) -> Iterator[int]:
        """Indexes of the newline-separated lines of ``data`` that name an id."""
        if self._automaton is None or not data:
            return iter(())
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
        offsets = np.concatenate(([0], ends, [len(data)] if not data.endswith(b"\n") else []))
        return iter(int(r) for r in self._hit_rows(memoryview(data), offsets.astype(np.int64)))

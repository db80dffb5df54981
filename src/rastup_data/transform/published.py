"""The reader side of the publish protocol: open what CURRENT names, read-only."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.transform.warehouse import PointerDir, warehouse_dirs

__all__ = [
    "NRT_CATALOG",
    "WAREHOUSE_CATALOG",
    "PublishedFiles",
    "open_published",
    "published_files",
]

WAREHOUSE_CATALOG = "warehouse"
NRT_CATALOG = "nrt"
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PublishedFiles:
    """Where DuckDB attaches what CURRENT names now (paths or URLs; None before the first):
    the build and the NRT views. Each named file is immutable."""

    warehouse: str | None
    nrt: str | None


def published_files(layout: LakeLayout) -> PublishedFiles:
    """What a reader opening the lake now would attach (each file is immutable)."""
    dirs = warehouse_dirs(layout)
    return PublishedFiles(warehouse=dirs.builds.current(), nrt=dirs.nrt.current())


def open_published(layout: LakeLayout, *, with_nrt: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the published build attached read-only.

    ``silver.*`` and ``gold.*`` resolve to the published build; the NRT views, when a
    snapshot exists, are ``nrt.<view>``. Raises QUERY_INVALID when nothing is published.
    """
    dirs = warehouse_dirs(layout)
    conn = duckdb.connect(":memory:")
    try:
        layout.lake.register_duckdb(conn)  # Bronze sources read s3:// on a lake on S3
        _attach_current(conn, dirs.builds, WAREHOUSE_CATALOG, required=True, layout=layout)
        conn.execute(f"USE {WAREHOUSE_CATALOG}")
        if with_nrt:
            _attach_current(conn, dirs.nrt, NRT_CATALOG, required=False, layout=layout)
    except BaseException:
        conn.close()
        raise
    return conn


def _attach_current(
    conn: duckdb.DuckDBPyConnection,
    pointer: PointerDir,
    alias: str,
    *,
    required: bool,
    layout: LakeLayout,
) -> None:
    # A garbage collector may remove the file between reading CURRENT and attaching it;
    # CURRENT then already names a newer file, so read it again.
    for _ in range(_ATTEMPTS):
        key = pointer.current_key()
        if key is None:
            break
        try:
            conn.execute(f"ATTACH '{_quote(pointer.attachable(key))}' AS {alias} (READ_ONLY)")
            return
        except (duckdb.IOException, FileNotFoundError):
            if pointer.store.exists(key):
                raise
    if required:
        raise RastupError(
            ErrorCode.QUERY_INVALID,
            f"nothing is published yet in the lake {layout.root}. "
            "To fix this, run `rastup-data build` first (or pass the right --lake).",
        )


def _quote(text: str) -> str:
    return text.replace("'", "''")

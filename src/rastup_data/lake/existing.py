"""Refuse a lake that is not there before a command reads it or writes beside it.

A misspelled ``--lake`` must not create a folder, run a long job and fail at its end (or
print an empty table and exit 0): the command says at once which path it looked at.
"""

from __future__ import annotations

import os
from pathlib import Path

from rastup_data.config import resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.files import has_files
from rastup_data.lake.layout import BRONZE_EVENTS, LakeLayout
from rastup_data.storage import S3Storage, StorageUnavailable

__all__ = ["check_store", "existing_lake", "require_bronze"]

_POINT = "Pass the right --lake DIR or set RASTUP_LAKE (default: ./lake in the current folder)."


def existing_lake(lake: str | os.PathLike[str] | None, work_dir: Path | None = None) -> LakeLayout:
    """The layout of the lake (--lake, else $RASTUP_LAKE, else ./lake); LAKE_NOT_FOUND when
    its folder does not exist. Creates nothing."""
    root = resolve_lake(lake)
    if isinstance(root, str):
        return _existing_remote(LakeLayout(root, work_dir))
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise RastupError(ErrorCode.LAKE_NOT_FOUND, f"no lake at {root}: the path {what}. {_POINT}")
    return LakeLayout(root, work_dir)


def _existing_remote(layout: LakeLayout) -> LakeLayout:
    """A lake on S3 exists when its bucket answers (a prefix needs no creating)."""
    check_store(layout)
    return layout


def check_store(layout: LakeLayout) -> None:
    """STORAGE_UNAVAILABLE unless the lake's object store answers (a no-op for a folder)."""
    store = layout.lake
    if isinstance(store, S3Storage):
        try:
            store.check()
        except StorageUnavailable as exc:
            raise RastupError(
                ErrorCode.STORAGE_UNAVAILABLE,
                f"{exc}. Check RASTUP_S3_ENDPOINT, the AWS credentials and the bucket name.",
            ) from exc


def require_bronze(layout: LakeLayout) -> None:
    """LAKE_NOT_FOUND unless Bronze holds at least one file of events."""
    if not has_files(layout.lake, BRONZE_EVENTS):
        where = layout.lake.uri(BRONZE_EVENTS)
        state = "is empty" if layout.is_remote or Path(where).is_dir() else "is missing"
        raise RastupError(
            ErrorCode.LAKE_NOT_FOUND,
            f"Bronze at {where} {state}: there are no events to build from. {_POINT} "
            "Land events first: `rastup-data serve` and `rastup-data send FILE`, or "
            "`rastup-data lake load FILE`.",
        )

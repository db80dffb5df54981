"""The erasure certificate: what a verification scanned and found, with a checksum.

It names the request and the subject only as ``sha256(salt || user id)`` with the request's
salt (whoever knows the id can check it; the id cannot be read back), says how many ids were
looked for, and for each store the files and bytes decoded and the hits. ``checksum`` is the
sha256 of the canonical JSON (sorted keys, no spaces) of every other field, so an edited
certificate no longer checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from rastup_data.privacy.matching import MIN_WORD_CHARS
from rastup_data.privacy.requests import DsarRequest
from rastup_data.privacy.verify.base import StoreScan

__all__ = [
    "CERTIFICATE_VERSION",
    "Certificate",
    "ScanRun",
    "certificate_checksum",
    "make_certificate",
]

CERTIFICATE_VERSION = 1
_RULE = (
    "a value names an id when it is the id, holds it as a JSON string, or (ids of at least "
    f"{MIN_WORD_CHARS} characters) holds it as a whole word; Parquet and DuckDB files are "
    "decoded by DuckDB and every text, JSON and nested column is scanned"
)


@dataclass(frozen=True, slots=True)
class Certificate:
    body: dict[str, Any]

    @property
    def verified(self) -> bool:
        return bool(self.body["verified"])

    @property
    def total_hits(self) -> int:
        return int(self.body["total_hits"])

    def to_json(self) -> bytes:
        return orjson.dumps(self.body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def certificate_checksum(body: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of every field but ``checksum``."""
    rest = {k: v for k, v in body.items() if k != "checksum"}
    return hashlib.sha256(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class ScanRun:
    """One verification run: how many ids it checked, when, how long, and by whom."""

    users: int
    anons: int
    started_at: str
    finished_at: str
    seconds: float
    verified_by: str


def make_certificate(request: DsarRequest, scans: Sequence[StoreScan], run: ScanRun) -> Certificate:
    total = sum(s.hits for s in scans)
    body: dict[str, Any] = {
        "certificate_version": CERTIFICATE_VERSION,
        "request_id": request.request_id,
        "subject_hash": request.subject_hash,
        "subject_salt": request.subject_salt,
        "subject_hash_algorithm": "sha256(salt bytes || user id UTF-8)",
        "ids_checked": {"users": run.users, "anonymous_ids": run.anons},
        "matching_rule": _RULE,
        "stores": [s.to_json() for s in scans],
        "files_scanned": sum(s.files for s in scans),
        "bytes_scanned": sum(s.bytes for s in scans),
        "total_hits": total,
        "verified": total == 0,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "seconds": round(run.seconds, 3),
        "verified_by": run.verified_by,
    }
    body["checksum"] = certificate_checksum(body)
    return Certificate(body)

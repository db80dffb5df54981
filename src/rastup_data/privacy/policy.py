"""The privacy settings: DSAR deadlines, the lake's Parquet stores that hold subject data,
and the retention of each store. Read from ``governance/privacy.yaml`` (shipped in the wheel
as ``rastup_data/_governance/privacy.yaml``) or ``RASTUP_PRIVACY_POLICY``; validated strictly,
errors are ``CONFIG_INVALID`` naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS

__all__ = [
    "BRONZE_STORES",
    "PrivacyPolicy",
    "Retention",
    "default_privacy_path",
    "load_privacy_policy",
]

#: The Parquet stores every lake has (name -> folder key); the policy adds its own.
BRONZE_STORES: dict[str, str] = {"bronze": BRONZE_EVENTS, "quarantine": BRONZE_BAD}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RETENTION_KEYS = (
    "bronze_days",
    "quarantine_days",
    "spool_days",
    "warehouse_keep",
    "warehouse_days",
    "extracts_days",
    "audit_days",
)


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each store keeps data (days), and how many warehouse builds stay."""

    bronze_days: int = 730
    quarantine_days: int = 14
    spool_days: int = 2
    warehouse_keep: int = 3
    warehouse_days: int = 30
    extracts_days: int = 90
    audit_days: int = 400


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """DSAR deadlines, the Parquet stores holding people's rows, and retention."""

    deadline_days: int = 30
    extension_days: int = 60
    extra_parquet_stores: dict[str, str] = field(default_factory=dict)
    retention: Retention = field(default_factory=Retention)

    @property
    def parquet_stores(self) -> dict[str, str]:
        """Every Parquet store (name -> lake folder key): Bronze, quarantine, then the policy's."""
        return {**BRONZE_STORES, **self.extra_parquet_stores}


def default_privacy_path() -> Path:
    """The shipped settings: packaged in a wheel (``rastup_data/_governance``) or the repo's."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "_governance" / "privacy.yaml"
    return packaged if packaged.is_file() else here.parents[3] / "governance" / "privacy.yaml"


def load_privacy_policy(path: str | Path | None = None) -> PrivacyPolicy:
    """Read and validate the privacy settings (default: :func:`default_privacy_path`)."""
    file = Path(path) if path is not None else default_privacy_path()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _invalid(file, "", f"cannot read it: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise _invalid(file, "", f"not valid YAML: {' '.join(str(exc).split())}") from exc
    return parse_privacy_policy(data, source=file)


def parse_privacy_policy(data: Any, *, source: Path | str = "<privacy>") -> PrivacyPolicy:
    """Validate a parsed settings document."""
    top = _mapping(data, source, "", {"version", "requests", "parquet_stores", "retention"})
    if top.get("version") != 1:
        raise _invalid(source, "version", f"unsupported version {top.get('version')!r}; use 1")
    requests = _mapping(
        top.get("requests", {}), source, "requests", {"deadline_days", "extension_days"}
    )
    stores = _mapping(top.get("parquet_stores", {}), source, "parquet_stores", None)
    for name, folder in stores.items():
        _check_store(source, name, folder)
    retention = _mapping(top.get("retention", {}), source, "retention", set(_RETENTION_KEYS))
    return PrivacyPolicy(
        deadline_days=_days(source, "requests.deadline_days", requests.get("deadline_days", 30)),
        extension_days=_days(source, "requests.extension_days", requests.get("extension_days", 60)),
        extra_parquet_stores={str(k): str(v).strip("/") for k, v in stores.items()},
        retention=Retention(
            **{k: _days(source, f"retention.{k}", v) for k, v in retention.items()}
        ),
    )


def _check_store(source: Path | str, name: Any, folder: Any) -> None:
    where = f"parquet_stores.{name}"
    if not isinstance(name, str) or not _NAME.match(name) or name in BRONZE_STORES:
        raise _invalid(
            source, where, "store names are lower-case words other than bronze/quarantine"
        )
    if not isinstance(folder, str) or not folder.strip("/") or ".." in folder.split("/"):
        raise _invalid(source, where, "expected a folder key inside the lake, e.g. extracts")


def _mapping(value: Any, source: Path | str, path: str, known: set[str] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(source, path or "(top)", f"expected a mapping, got {type(value).__name__}")
    for key in value:
        if known is not None and key not in known:
            raise _invalid(
                source,
                f"{path}.{key}" if path else str(key),
                f"unknown key (expected one of {', '.join(sorted(known))})",
            )
    return dict(value)


def _days(source: Path | str, path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(source, path, f"expected a whole number ≥ 0, got {value!r}")
    return int(value)


def _invalid(source: Path | str, path: str, message: str) -> RastupError:
    where = f"{source}: {path}: " if path else f"{source}: "
    return RastupError(ErrorCode.CONFIG_INVALID, where + message + ".")

"""Verification: an ordered tuple of scanners, one per store (see ``base.py``)."""

from __future__ import annotations

from rastup_data.privacy.policy import PrivacyPolicy
from rastup_data.privacy.verify.base import StoreScan, StoreScanner, VerifyScope
from rastup_data.privacy.verify.parquet import ParquetScanner
from rastup_data.privacy.verify.state import StateScanner
from rastup_data.privacy.verify.text_files import ManifestScanner, SpoolScanner
from rastup_data.privacy.verify.warehouse import WarehouseScanner

__all__ = ["StoreScan", "StoreScanner", "VerifyScope", "scanners"]


def scanners(policy: PrivacyPolicy) -> tuple[StoreScanner, ...]:
    """Every store a verification scans, in the purge's order (plus the manifest)."""
    return (
        SpoolScanner(),
        *(ParquetScanner(name, prefix) for name, prefix in policy.parquet_stores.items()),
        WarehouseScanner(),
        StateScanner(),
        ManifestScanner(),
    )

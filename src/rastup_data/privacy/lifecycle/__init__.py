"""Retention: an ordered tuple of steps, one per store (see ``base.py`` for the contract)."""

from __future__ import annotations

from rastup_data.lake.layout import BRONZE_BAD, BRONZE_EVENTS
from rastup_data.privacy.lifecycle.audit import AuditRetention
from rastup_data.privacy.lifecycle.base import LifecycleOutcome, LifecycleRun, LifecycleStep
from rastup_data.privacy.lifecycle.parquet import ParquetRetention
from rastup_data.privacy.lifecycle.spool import SpoolRetention
from rastup_data.privacy.lifecycle.warehouse import WarehouseRetention
from rastup_data.privacy.policy import PrivacyPolicy

__all__ = ["LifecycleOutcome", "LifecycleRun", "LifecycleStep", "lifecycle_steps"]


def lifecycle_steps(policy: PrivacyPolicy) -> tuple[LifecycleStep, ...]:
    """Every store's retention, from the settings: Bronze, quarantine, the other Parquet
    stores (as extracts), the spool, the warehouse, the audit log."""
    keep = policy.retention
    return (
        ParquetRetention("bronze", BRONZE_EVENTS, keep.bronze_days),
        ParquetRetention("quarantine", BRONZE_BAD, keep.quarantine_days),
        *(
            ParquetRetention(name, prefix, keep.extracts_days)
            for name, prefix in policy.extra_parquet_stores.items()
        ),
        SpoolRetention(keep.spool_days),
        WarehouseRetention(keep.warehouse_keep, keep.warehouse_days),
        AuditRetention(keep.audit_days),
    )

"""The purge: an ordered tuple of steps, one per store (see ``base.py`` for the contract)."""

from __future__ import annotations

from rastup_data.privacy.policy import PrivacyPolicy
from rastup_data.privacy.purge.audit import AuditStep
from rastup_data.privacy.purge.base import PurgeRun, PurgeStep, StoreOutcome
from rastup_data.privacy.purge.parquet import ParquetStep
from rastup_data.privacy.purge.spool import SpoolStep
from rastup_data.privacy.purge.state_tables import StateStep
from rastup_data.privacy.purge.warehouse import WarehouseStep

__all__ = ["PurgeRun", "PurgeStep", "StoreOutcome", "purge_steps"]


def purge_steps(policy: PrivacyPolicy) -> tuple[PurgeStep, ...]:
    """The steps in order: the spool first (what is about to land), then every Parquet store
    of the lake, the warehouse files built from them, the state database, the audit log."""
    return (
        SpoolStep(),
        *(ParquetStep(name, prefix) for name, prefix in policy.parquet_stores.items()),
        WarehouseStep(),
        StateStep(),
        AuditStep(),
    )

"""The runners of the built-in check kinds, one module per kind."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rastup_data.quality.checks.custom_sql import CustomSqlCheck
from rastup_data.quality.checks.distribution import DistributionCheck
from rastup_data.quality.checks.freshness import FreshnessCheck
from rastup_data.quality.checks.not_null import NotNullCheck
from rastup_data.quality.checks.reconciliation import ReconciliationCheck
from rastup_data.quality.checks.uniqueness import UniquenessCheck
from rastup_data.quality.checks.volume import VolumeCheck
from rastup_data.quality.model import CheckKind, RunnableCheck

__all__ = ["RUNNERS"]

#: Check kind -> the runner that validates and runs specs of that kind.
RUNNERS: Mapping[CheckKind, RunnableCheck] = MappingProxyType(
    {
        runner.kind: runner
        for runner in (
            VolumeCheck(),
            FreshnessCheck(),
            DistributionCheck(),
            ReconciliationCheck(),
            UniquenessCheck(),
            NotNullCheck(),
            CustomSqlCheck(),
        )
    }
)

"""Budgets: the five billed resources of an environment, measured against its profile."""

from rastup_data.budgets.meters import METERS as METERS
from rastup_data.budgets.status import BudgetReport as BudgetReport
from rastup_data.budgets.status import ResourceUsage as ResourceUsage
from rastup_data.budgets.status import measure_budgets as measure_budgets

__all__ = ["METERS", "BudgetReport", "ResourceUsage", "measure_budgets"]

"""Environments: one profile per environment (dev, test, stage, prod) with its thresholds."""

from rastup_data.environments.document import DocumentChecker as DocumentChecker
from rastup_data.environments.profile import SLO_NAMES as SLO_NAMES
from rastup_data.environments.profile import Alarms as Alarms
from rastup_data.environments.profile import Budgets as Budgets
from rastup_data.environments.profile import EnvironmentProfile as EnvironmentProfile
from rastup_data.environments.profile import Resource as Resource
from rastup_data.environments.profile import ScheduleEntry as ScheduleEntry
from rastup_data.environments.profile import Slo as Slo
from rastup_data.environments.profile import default_profiles_dir as default_profiles_dir
from rastup_data.environments.profile import load_profile as load_profile
from rastup_data.environments.profile import parse_profile as parse_profile
from rastup_data.environments.profile import profile_names as profile_names

__all__ = [
    "SLO_NAMES",
    "Alarms",
    "Budgets",
    "DocumentChecker",
    "EnvironmentProfile",
    "Resource",
    "ScheduleEntry",
    "Slo",
    "default_profiles_dir",
    "load_profile",
    "parse_profile",
    "profile_names",
]

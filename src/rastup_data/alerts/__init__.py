"""Alerts: the rules of operations/alerts.yaml, SLO burn rates, the in-process evaluator,
its sinks, and the Prometheus export."""

from rastup_data.alerts.evaluator import AlertEvaluator as AlertEvaluator
from rastup_data.alerts.export import render_prometheus as render_prometheus
from rastup_data.alerts.history import ActiveAlert as ActiveAlert
from rastup_data.alerts.history import AlertHistory as AlertHistory
from rastup_data.alerts.history import Notification as Notification
from rastup_data.alerts.history import history_since as history_since
from rastup_data.alerts.model import AlertSeverity as AlertSeverity
from rastup_data.alerts.model import Rule as Rule
from rastup_data.alerts.rules import RuleSet as RuleSet
from rastup_data.alerts.rules import load_rules as load_rules
from rastup_data.alerts.sinks import default_sinks as default_sinks

__all__ = [
    "ActiveAlert",
    "AlertEvaluator",
    "AlertHistory",
    "AlertSeverity",
    "Notification",
    "Rule",
    "RuleSet",
    "default_sinks",
    "history_since",
    "load_rules",
    "render_prometheus",
]

"""Governance: the one query gate every read goes through (see ``docs/governance.md``)."""

from rastup_data.governance.audit import AuditLog as AuditLog
from rastup_data.governance.audit import AuditRecord as AuditRecord
from rastup_data.governance.cost import CostEstimate as CostEstimate
from rastup_data.governance.exclusions import ErasedSubjects as ErasedSubjects
from rastup_data.governance.exclusions import ExclusionSource as ExclusionSource
from rastup_data.governance.gate import Gate as Gate
from rastup_data.governance.gate import GatedResult as GatedResult
from rastup_data.governance.gate import QueryPath as QueryPath
from rastup_data.governance.gate import QueryPlan as QueryPlan
from rastup_data.governance.masking import mask_value as mask_value
from rastup_data.governance.policy import Policy as Policy
from rastup_data.governance.policy import load_policy as load_policy
from rastup_data.governance.principals import Principal as Principal
from rastup_data.governance.principals import local_principal as local_principal
from rastup_data.governance.reader import GatedConnection as GatedConnection

__all__ = [
    "AuditLog",
    "AuditRecord",
    "CostEstimate",
    "ErasedSubjects",
    "ExclusionSource",
    "Gate",
    "GatedConnection",
    "GatedResult",
    "Policy",
    "Principal",
    "QueryPath",
    "QueryPlan",
    "load_policy",
    "local_principal",
    "mask_value",
]

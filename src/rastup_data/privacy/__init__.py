"""Privacy: DSAR erasure with proof, access export, legal holds, suppression, retention.

See ``README.md`` in this folder and ``docs/privacy.md``.
"""

from rastup_data.privacy.context import Actor as Actor
from rastup_data.privacy.context import PrivacyContext as PrivacyContext
from rastup_data.privacy.context import open_privacy as open_privacy
from rastup_data.privacy.erasure import Filed as Filed
from rastup_data.privacy.erasure import file_erasure as file_erasure
from rastup_data.privacy.erasure import file_erasures as file_erasures
from rastup_data.privacy.export import ExportResult as ExportResult
from rastup_data.privacy.export import export_subject as export_subject
from rastup_data.privacy.holds import HoldStore as HoldStore
from rastup_data.privacy.holds import LegalHold as LegalHold
from rastup_data.privacy.ids import SubjectIds as SubjectIds
from rastup_data.privacy.matching import IdMatcher as IdMatcher
from rastup_data.privacy.policy import PrivacyPolicy as PrivacyPolicy
from rastup_data.privacy.policy import load_privacy_policy as load_privacy_policy
from rastup_data.privacy.purging import PurgeOptions as PurgeOptions
from rastup_data.privacy.purging import PurgeReport as PurgeReport
from rastup_data.privacy.purging import run_purge as run_purge
from rastup_data.privacy.requests import DsarRequest as DsarRequest
from rastup_data.privacy.requests import RequestKind as RequestKind
from rastup_data.privacy.requests import RequestState as RequestState
from rastup_data.privacy.requests import RequestStore as RequestStore
from rastup_data.privacy.verification import VerifyFailed as VerifyFailed
from rastup_data.privacy.verification import verify_request as verify_request
from rastup_data.privacy.verify.certificate import Certificate as Certificate

__all__ = [
    "Actor",
    "Certificate",
    "DsarRequest",
    "ExportResult",
    "Filed",
    "HoldStore",
    "IdMatcher",
    "LegalHold",
    "PrivacyContext",
    "PrivacyPolicy",
    "PurgeOptions",
    "PurgeReport",
    "RequestKind",
    "RequestState",
    "RequestStore",
    "SubjectIds",
    "VerifyFailed",
    "export_subject",
    "file_erasure",
    "file_erasures",
    "load_privacy_policy",
    "open_privacy",
    "run_purge",
    "verify_request",
]

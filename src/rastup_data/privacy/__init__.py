"""Privacy: DSAR erasure with proof, access export, legal holds, suppression, retention.

See ``README.md`` in this folder and ``docs/privacy.md``.

The names below load their module on first use: every collector worker imports
``privacy.suppression``, and it should not load the purge, export and audit machinery
(pyarrow, the query gate) that only an admin's request needs.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Each public name and the submodule that defines it.
_HOMES: dict[str, str] = {
    "Actor": "context",
    "PrivacyContext": "context",
    "open_privacy": "context",
    "Filed": "erasure",
    "file_erasure": "erasure",
    "file_erasures": "erasure",
    "ExportResult": "export",
    "export_subject": "export",
    "HoldStore": "holds",
    "LegalHold": "holds",
    "SubjectIds": "ids",
    "IdMatcher": "matching",
    "PrivacyPolicy": "policy",
    "load_privacy_policy": "policy",
    "PurgeOptions": "purging",
    "PurgeReport": "purging",
    "run_purge": "purging",
    "DsarRequest": "requests",
    "RequestKind": "requests",
    "RequestState": "requests",
    "RequestStore": "requests",
    "VerifyFailed": "verification",
    "verify_request": "verification",
    "Certificate": "verify.certificate",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value

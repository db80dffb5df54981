"""``dsar verify``: prove an erasure by scanning every store for the subject's ids.

A request reaches ``verified`` only when every scanner reports 0 hits; in the same
transaction its certificate is stored and its raw ids are cleared (the keyed hashes keep
suppressing later events). With hits, the certificate is stored all the same, the history
says where, and ``DSAR_VERIFY_FAILED`` is raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.context import PrivacyContext, now_iso
from rastup_data.privacy.erasure import refresh_subjects
from rastup_data.privacy.requests import RequestKind, RequestState, RequestStore
from rastup_data.privacy.trail import record_action
from rastup_data.privacy.verify import StoreScan, StoreScanner, VerifyScope, scanners
from rastup_data.privacy.verify.certificate import Certificate, ScanRun, make_certificate

__all__ = ["VerifyFailed", "verify_request"]


class VerifyFailed(RastupError):
    """The scan found the subject; ``certificate`` says where."""

    def __init__(self, certificate: Certificate) -> None:
        stores = [s["store"] for s in certificate.body["stores"] if s["hits"]]
        super().__init__(
            ErrorCode.DSAR_VERIFY_FAILED,
            f"request {certificate.body['request_id']}: {certificate.total_hits} hit(s) in "
            f"{', '.join(stores)}. To fix this, run `rastup-data dsar purge`, then verify again.",
        )
        self.certificate = certificate


def verify_request(
    ctx: PrivacyContext, request_id: str, progress: Callable[[str], None] | None = None
) -> Certificate:
    """Scan every store for the request's subject; verified only with 0 hits. ``progress``
    hears of each store as its scan starts and ends."""
    store = RequestStore(ctx.state)
    request = store.get(request_id)
    _check_verifiable(store, request_id)
    if request.state is RequestState.VERIFIED:
        return _stored(store, request_id)
    refresh_subjects(ctx, [request])
    ids = store.subject_ids(request_id)
    scope = VerifyScope(ctx, request_id, ids)
    started, began = now_iso(), time.perf_counter()
    scans = [_scan(scanner, scope, progress) for scanner in scanners(ctx.policy)]
    run = ScanRun(
        users=len(ids.users),
        anons=len(ids.anons),
        started_at=started,
        finished_at=now_iso(),
        seconds=time.perf_counter() - began,
        verified_by=ctx.actor.name,
    )
    certificate = make_certificate(request, scans, run)
    text = certificate.to_json().decode()
    with ctx.state.transaction():
        store.save_certificate(request_id, text)
        if certificate.verified:
            store.clear_raw_ids(request_id)
            store.move(request_id, RequestState.VERIFIED, "0 hits in every store")
        else:
            store.note(request_id, "verify_failed", f"{certificate.total_hits} hit(s)")
    record_action(
        ctx,
        f"dsar verify {request_id} hits={certificate.total_hits}",
        status="ok" if certificate.verified else "failed",
        code=None if certificate.verified else ErrorCode.DSAR_VERIFY_FAILED,
    )
    if not certificate.verified:
        raise VerifyFailed(certificate)
    return certificate


def _scan(
    scanner: StoreScanner, scope: VerifyScope, progress: Callable[[str], None] | None
) -> StoreScan:
    if progress is not None:
        progress(f"{scanner.name}: scanning")
    scan = scanner.scan(scope)
    if progress is not None:
        progress(f"{scanner.name}: {scan.files} file(s), {scan.bytes:,} bytes, {scan.hits} hit(s)")
    return scan


def _check_verifiable(store: RequestStore, request_id: str) -> None:
    request = store.get(request_id)
    if request.kind is not RequestKind.ERASE:
        raise RastupError(
            ErrorCode.DSAR_INVALID, f"request {request_id} is an access request: nothing to verify."
        )
    if request.state is RequestState.BLOCKED:
        raise RastupError(
            ErrorCode.DSAR_CONFLICT,
            f"request {request_id} is blocked by legal hold {request.blocked_case}: its data is "
            "kept while the hold lasts. Verify after the release and the next purge.",
        )


def _stored(store: RequestStore, request_id: str) -> Certificate:
    text = store.certificate(request_id)
    if text is None:
        raise RastupError(ErrorCode.DSAR_INVALID, f"request {request_id} has no certificate.")
    return Certificate(orjson.loads(text))

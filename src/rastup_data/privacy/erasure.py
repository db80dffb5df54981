"""Filing an erasure: the request, its tombstones, and the read-time exclusion at once.

Filing writes the request (``received``) and the user's tombstone in one transaction; from
that commit on, every read through the query gate excludes the user and the collector
suppresses their new events. Then the linked anonymous ids are resolved and tombstoned too,
and the request moves to ``excluded``. A crash in between leaves it ``received``; the next
``dsar purge`` (or filing again) finishes the resolution.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.context import PrivacyContext, now_iso
from rastup_data.privacy.ids import check_request_id, check_subject_id
from rastup_data.privacy.keys import new_salt, salted_hash
from rastup_data.privacy.requests import DsarRequest, RequestKind, RequestState, RequestStore
from rastup_data.privacy.subjects import resolve_links
from rastup_data.privacy.trail import record_action

__all__ = ["Filed", "file_erasure", "new_request", "refresh_subjects"]


@dataclass(frozen=True, slots=True)
class Filed:
    """The outcome of filing: the request, whether it is new, and the ids it covers."""

    request: DsarRequest
    created: bool
    anon_ids: int


def new_request(
    ctx: PrivacyContext,
    subject: str,
    kind: RequestKind,
    *,
    request_id: str | None,
    reason: str | None,
) -> DsarRequest:
    """A request record for ``subject`` (not stored yet)."""
    now = datetime.now(UTC)
    salt = new_salt()
    return DsarRequest(
        request_id=request_id or f"dsar_{secrets.token_hex(6)}",
        kind=kind,
        state=RequestState.RECEIVED,
        subject_key=ctx.subject_key(subject),
        subject_salt=salt,
        subject_hash=salted_hash(salt, subject),
        reason=(reason or "").strip() or None,
        filed_by=ctx.actor.name,
        received_at=now_iso(now),
        excluded_at=None,
        purged_at=None,
        verified_at=None,
        blocked_at=None,
        blocked_case=None,
        deadline_at=now_iso(now + timedelta(days=ctx.policy.deadline_days)),
        extended_at=None,
        extension_reason=None,
        updated_at=now_iso(now),
    )


def file_erasure(
    ctx: PrivacyContext,
    subject: str,
    *,
    request_id: str | None = None,
    reason: str | None = None,
) -> Filed:
    """File (or find) the erasure of ``subject``; reads exclude them when this returns."""
    subject = check_subject_id(subject)
    if request_id is not None:
        check_request_id(request_id)
    store = RequestStore(ctx.state)
    existing = store.of_subject(ctx.subject_key(subject), RequestKind.ERASE)
    if existing:
        return _existing(ctx, store, existing[-1], request_id)
    if request_id is not None and store.find(request_id) is not None:
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"request id {request_id} is taken by another request. To fix this, pick another "
            "--request-id or leave it out.",
        )
    request = new_request(ctx, subject, RequestKind.ERASE, request_id=request_id, reason=reason)
    with ctx.state.transaction():
        store.create(request, f"filed by {ctx.actor.name}")
        store.add_tombstones(request.request_id, {request.subject_key: ("user", subject, "filing")})
    record_action(ctx, f"dsar erase {request.request_id}")
    anons = refresh_subjects(ctx, [request])
    request = store.move(
        request.request_id,
        RequestState.EXCLUDED,
        f"reads exclude the user and {anons} linked anonymous id(s)",
    )
    return Filed(request, created=True, anon_ids=anons)


def _existing(
    ctx: PrivacyContext, store: RequestStore, request: DsarRequest, request_id: str | None
) -> Filed:
    if request_id is not None and request_id != request.request_id:
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"this subject already has erasure request {request.request_id} "
            f"({request.state.value}); one request per subject.",
        )
    if request.state is RequestState.RECEIVED:  # a filing that stopped half-way
        refresh_subjects(ctx, [request])
        request = store.move(request.request_id, RequestState.EXCLUDED, "linked ids resolved")
    return Filed(request, created=False, anon_ids=len(store.subject_ids(request.request_id).anons))


def refresh_subjects(ctx: PrivacyContext, requests: list[DsarRequest]) -> int:
    """Resolve the linked anonymous ids of each request's user again and tombstone new ones;
    returns how many anonymous ids the requests cover now."""
    store = RequestStore(ctx.state)
    users: dict[str, str] = {}
    for request in requests:
        for user in store.subject_ids(request.request_id).users:
            users[user] = request.request_id
    links = resolve_links(ctx.layout, ctx.state, users)
    total = 0
    for user, anons in links.items():
        rid = users[user]
        store.add_tombstones(
            rid, {ctx.subject_key(a): ("anon", a, source) for a, source in anons.items()}
        )
        total += len(store.subject_ids(rid).anons)
    return total

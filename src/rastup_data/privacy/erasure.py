"""Filing an erasure: the request, its tombstones, and the read-time exclusion at once.

Filing writes the request (``received``) and the user's tombstone in one transaction; from
that commit on, every read through the query gate excludes the user and the collector
suppresses their new events. Then the linked anonymous ids are resolved and tombstoned too,
and the request moves to ``excluded``. A crash in between leaves it ``received``; the next
``dsar purge`` (or filing again) finishes the resolution.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.privacy.context import PrivacyContext, now_iso
from rastup_data.privacy.ids import check_request_id, check_subject_id
from rastup_data.privacy.keys import new_salt, salted_hash
from rastup_data.privacy.requests import DsarRequest, RequestKind, RequestState, RequestStore
from rastup_data.privacy.subjects import resolve_links
from rastup_data.privacy.trail import record_action

__all__ = ["Filed", "file_erasure", "file_erasures", "new_request", "refresh_subjects"]


@dataclass(frozen=True, slots=True)
class Filed:
    """The outcome of filing: the request, whether it is new, and the ids it covers."""

    request: DsarRequest
    created: bool
    anon_ids: int
    #: The user id (empty once the request is verified and its raw ids are cleared).
    subject: str = ""


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
    store = RequestStore(ctx.state)
    existing = store.of_subject(ctx.subject_key(subject), RequestKind.ERASE)
    if request_id is not None:
        check_request_id(request_id)
        _check_request_id_free(store, request_id, existing)
    if existing:
        return file_erasures(ctx, [subject])[0]
    request = new_request(ctx, subject, RequestKind.ERASE, request_id=request_id, reason=reason)
    return _file_new(ctx, [(request, subject)])[0]


def file_erasures(
    ctx: PrivacyContext, subjects: Sequence[str], *, reason: str | None = None
) -> list[Filed]:
    """File (or find) the erasure of each subject, resolving every link in one pass over the
    stores (a thousand subjects cost about what one does)."""
    store = RequestStore(ctx.state)
    found: dict[str, Filed] = {}
    unfinished: list[DsarRequest] = []
    fresh: list[tuple[DsarRequest, str]] = []
    for subject in dict.fromkeys(check_subject_id(s) for s in subjects):
        existing = store.of_subject(ctx.subject_key(subject), RequestKind.ERASE)
        if not existing:
            fresh.append(
                (
                    new_request(ctx, subject, RequestKind.ERASE, request_id=None, reason=reason),
                    subject,
                )
            )
        elif existing[-1].state is RequestState.RECEIVED:  # a filing that stopped half-way
            unfinished.append(existing[-1])
        else:
            found[subject] = _filed(store, existing[-1], created=False)
    for filed in _file_new(ctx, fresh, unfinished):
        found[filed.subject] = filed
    return [found[check_subject_id(s)] for s in subjects]


def _check_request_id_free(
    store: RequestStore, request_id: str, existing: list[DsarRequest]
) -> None:
    if existing and existing[-1].request_id != request_id:
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"this subject already has erasure request {existing[-1].request_id} "
            f"({existing[-1].state.value}); one request per subject.",
        )
    if not existing and store.find(request_id) is not None:
        raise RastupError(
            ErrorCode.DSAR_INVALID,
            f"request id {request_id} is taken by another request. To fix this, pick another "
            "--request-id or leave it out.",
        )


def _file_new(
    ctx: PrivacyContext,
    fresh: list[tuple[DsarRequest, str]],
    unfinished: Sequence[DsarRequest] = (),
) -> list[Filed]:
    """Store new requests with their user's tombstone, then resolve the links of these and of
    ``unfinished`` ones and move them all to ``excluded``."""
    store = RequestStore(ctx.state)
    with ctx.state.transaction():
        for request, subject in fresh:
            store.create(request, f"filed by {ctx.actor.name}")
            store.add_tombstones(
                request.request_id, {request.subject_key: ("user", subject, "filing")}
            )
    if fresh:
        record_action(ctx, f"dsar erase {' '.join(r.request_id for r, _ in fresh)}")
    requests = [r for r, _ in fresh] + list(unfinished)
    new_ids = {r.request_id for r, _ in fresh}
    anons = refresh_subjects(ctx, requests)
    filed: list[Filed] = []
    for request in requests:
        count = anons.get(request.request_id, 0)
        moved = store.move(
            request.request_id,
            RequestState.EXCLUDED,
            f"reads exclude the user and {count} linked anonymous id(s)",
        )
        filed.append(_filed(store, moved, created=request.request_id in new_ids))
    return filed


def _filed(store: RequestStore, request: DsarRequest, *, created: bool) -> Filed:
    ids = store.subject_ids(request.request_id)
    subject = next(iter(ids.users), "")
    return Filed(request, created=created, anon_ids=len(ids.anons), subject=subject)


def refresh_subjects(ctx: PrivacyContext, requests: Sequence[DsarRequest]) -> dict[str, int]:
    """Resolve the linked anonymous ids of each request's user again and tombstone new ones;
    returns how many anonymous ids each request covers now (by request id)."""
    store = RequestStore(ctx.state)
    users: dict[str, str] = {}
    for request in requests:
        for user in store.subject_ids(request.request_id).users:
            users[user] = request.request_id
    links = resolve_links(ctx.layout, ctx.state, users)
    counts: dict[str, int] = {}
    with ctx.state.transaction():
        for user, anons in links.items():
            rid = users[user]
            store.add_tombstones(
                rid, {ctx.subject_key(a): ("anon", a, source) for a, source in anons.items()}
            )
            counts[rid] = len(store.subject_ids(rid).anons)
    return counts

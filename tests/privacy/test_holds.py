"""Legal holds: a purge refuses the held subject (DSAR_CONFLICT), purges the others; after the
release the next purge proceeds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from privacy_fixture import Subjects
from test_erasure_end_to_end import _bronze_rows, _gated_count

from rastup_data.cli import cli
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance import AuditLog
from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy import (
    HoldStore,
    PrivacyContext,
    RequestState,
    RequestStore,
    file_erasure,
    run_purge,
    verify_request,
)


def _hold(ctx: PrivacyContext, user: str, case: str, until: date | None = None) -> None:
    HoldStore(ctx.state).add(
        case,
        subject_id=user,
        subject_key=ctx.subject_key(user),
        reason="litigation",
        until=until,
        placed_by="counsel",
    )


def test_a_held_subject_is_refused_and_the_others_are_purged(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    _hold(ctx, subjects.other, "CASE-1")
    free = file_erasure(ctx, subjects.user).request.request_id
    held = file_erasure(ctx, subjects.other).request.request_id
    report = run_purge(ctx)
    assert report.purged == (free,)
    assert report.blocked == ((held, "CASE-1"),)
    assert report.to_json()["code"] == "DSAR_CONFLICT"
    store = RequestStore(ctx.state)
    blocked = store.get(held)
    assert blocked.state is RequestState.BLOCKED
    assert blocked.blocked_case == "CASE-1"
    assert blocked.blocked_at is not None
    assert [h.event for h in store.history(held)][-1] == "conflict"
    refused = [r for r in AuditLog(ctx.state).records() if r.code == "DSAR_CONFLICT"]
    assert len(refused) == 1
    assert held in refused[0].sql
    assert subjects.other not in refused[0].sql
    # The held subject's data is kept, and reads keep excluding it.
    assert _bronze_rows(lake, {subjects.other}) > 0
    assert _bronze_rows(lake, {subjects.user}) == 0
    sql = "SELECT count(*) FROM bronze.events WHERE user_id = ?"
    assert _gated_count(lake, sql, [subjects.other]) == 0
    with pytest.raises(RastupError) as refused_verify:
        verify_request(ctx, held)
    assert refused_verify.value.code is ErrorCode.DSAR_CONFLICT


def test_after_the_release_the_next_purge_proceeds(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    _hold(ctx, subjects.other, "CASE-2")
    held = file_erasure(ctx, subjects.other).request.request_id
    assert run_purge(ctx).blocked == ((held, "CASE-2"),)
    released = HoldStore(ctx.state).release("CASE-2", released_by="counsel")
    assert [h.user_id for h in released] == [None]
    report = run_purge(ctx)
    assert report.purged == (held,)
    assert not report.blocked
    assert _bronze_rows(lake, {subjects.other}) == 0
    assert verify_request(ctx, held).verified
    assert RequestStore(ctx.state).get(held).state is RequestState.VERIFIED


def test_a_lapsed_hold_no_longer_blocks(subjects: Subjects, ctx: PrivacyContext) -> None:
    _hold(ctx, subjects.other, "CASE-3", until=datetime.now(UTC).date())
    ctx.state.execute(
        "UPDATE legal_holds SET until_date = ? WHERE case_id = 'CASE-3'",
        ((datetime.now(UTC).date() - timedelta(days=1)).isoformat(),),
    )
    request = file_erasure(ctx, subjects.other).request.request_id
    assert run_purge(ctx).purged == (request,)
    assert HoldStore(ctx.state).holds(active_only=True) == []


def test_holds_refuse_bad_input(ctx: PrivacyContext, subjects: Subjects) -> None:
    _hold(ctx, subjects.user, "CASE-4")
    with pytest.raises(RastupError, match="already holds"):
        _hold(ctx, subjects.user, "CASE-4")
    with pytest.raises(RastupError, match="holds nothing"):
        HoldStore(ctx.state).release("NO-SUCH-CASE", released_by="x")
    with pytest.raises(RastupError, match="in the past"):
        _hold(ctx, subjects.other, "CASE-5", until=date(2020, 1, 1))
    with pytest.raises(RastupError) as bad:
        _hold(ctx, subjects.other, "bad case!")
    assert bad.value.code is ErrorCode.DSAR_INVALID


def test_the_cli_exits_2_when_a_hold_blocks_everything(
    lake: LakeLayout, subjects: Subjects
) -> None:
    runner = CliRunner()
    where = ["--lake", str(lake.root)]
    added = runner.invoke(
        cli,
        [
            "hold",
            "add",
            "--subject",
            subjects.user,
            "--case",
            "C-9",
            "--reason",
            "court order",
            *where,
        ],
    )
    assert added.exit_code == 0, added.output
    erased = runner.invoke(cli, ["dsar", "erase", "--subject", subjects.user, *where])
    assert erased.exit_code == 0, erased.output
    request = erased.output.strip().splitlines()[-1]
    purged = runner.invoke(cli, ["dsar", "purge", *where])
    assert purged.exit_code == 2
    assert "DSAR_CONFLICT" in purged.output
    assert "C-9" in purged.output
    listed = runner.invoke(cli, ["hold", "list", "--format", "json", *where])
    assert '"C-9"' in listed.output
    assert runner.invoke(cli, ["hold", "release", "C-9", *where]).exit_code == 0
    again = runner.invoke(cli, ["dsar", "purge", "--format", "json", *where])
    assert again.exit_code == 0, again.output
    assert request in again.output
    status = runner.invoke(cli, ["dsar", "status", request, "--format", "json", *where])
    assert '"state": "purged"' in status.output


def test_many_erasures_are_filed_in_one_pass(subjects: Subjects, ctx: PrivacyContext) -> None:
    from rastup_data.privacy import file_erasures

    first = file_erasure(ctx, subjects.user)
    filed = file_erasures(ctx, [subjects.user, subjects.other, subjects.user])
    assert filed[0].request.request_id == first.request.request_id
    assert filed[2].request.request_id == first.request.request_id
    assert [f.created for f in filed] == [False, True, False]
    assert filed[1].subject == subjects.other
    assert filed[1].anon_ids >= len(subjects.other_anons)
    assert filed[1].request.state is RequestState.EXCLUDED
    with pytest.raises(RastupError, match="already has erasure request"):
        file_erasure(ctx, subjects.other, request_id="another-id")

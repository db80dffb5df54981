"""The query gate reads a purged build at once, not the file the purge replaced."""

from __future__ import annotations

from privacy_fixture import Subjects

from rastup_data.governance import Gate, QueryPath, local_principal
from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy import PrivacyContext, file_erasure, run_purge

SQL = "SELECT count(*) FROM silver.events_deduped"


def test_a_cached_session_does_not_outlive_the_file_a_purge_replaced(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    admin = local_principal()
    with Gate.open(lake.root) as gate:
        before = gate.run(admin, SQL, path=QueryPath.REPORT).rows[0][0]
        file_erasure(ctx, subjects.user)
        excluded = gate.run(admin, SQL, path=QueryPath.REPORT).rows[0][0]
        assert excluded < before  # read-time exclusion, at once
        report = run_purge(ctx)
        assert next(s for s in report.stores if s.store == "warehouse").files_rewritten >= 1
        # Raw ids are still held (not verified yet): the exclusion list is unchanged, so only
        # the file's identity tells the gate to attach the purged build.
        after = gate.run(admin, SQL, path=QueryPath.REPORT).rows[0][0]
        assert after == excluded
        assert len(gate.sessions.cached()) == 1
        session = gate.sessions.cached()[0]
        rows = session.conn.execute("SELECT count(*) FROM __wh.silver.events_deduped").fetchone()
        assert rows == (excluded,), "the session attached the purged file"

"""The NRT state (node-local) keeps the identity links its refreshes folded in: a purge deletes
it, and the refresh after the purge rebuilds it from the purged Bronze, naming nobody erased."""

from __future__ import annotations

import duckdb
from privacy_fixture import Subjects

from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy import PrivacyContext, file_erasure, run_purge, verify_request
from rastup_data.transform import NrtMode, refresh_nrt
from rastup_data.transform.nrt import nrt_state_path
from rastup_data.transform.warehouse import warehouse_dirs

_LINKS_NAMING = (
    "SELECT count(*) FILTER (WHERE linked_user_id = ? OR linked_anon_id IN ({anons}) "
    "OR envelope_anon_id IN ({anons})), count(*) FROM internal.nrt_identity_links"
)


def _links(state: str, subjects: Subjects) -> tuple[int, int]:
    anons = sorted(subjects.anons)
    sql = _LINKS_NAMING.format(anons=", ".join("?" * len(anons)))
    with duckdb.connect(state, read_only=True) as conn:
        row = conn.execute(sql, [subjects.user, *anons, *anons]).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_purge_discards_the_nrt_state_and_its_rebuild_names_nobody_erased(
    lake: LakeLayout, subjects: Subjects, ctx: PrivacyContext
) -> None:
    state = nrt_state_path(warehouse_dirs(lake))
    naming, links = _links(str(state), subjects)
    assert naming > 0
    assert links > naming

    filed = file_erasure(ctx, subjects.user, reason="customer request")
    run_purge(ctx)
    assert not state.exists()

    rebuilt = refresh_nrt(lake)
    assert rebuilt.mode is NrtMode.FULL
    naming, links = _links(str(state), subjects)
    assert naming == 0
    assert links > 0
    certificate = verify_request(ctx, filed.request.request_id)
    assert certificate.verified
    assert certificate.total_hits == 0

"""Property: for random SELECTs over granted relations, the gated answer equals the ungated
answer filtered to the principal's cities and masked as the policy says."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gate_fixture import ADMIN, ANALYST, FINANCE, NYC_ANALYST, VIEWER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rastup_data.governance import Gate, Principal, QueryPath, mask_value
from rastup_data.governance.masking import masking_key
from rastup_data.governance.policy import TagAction
from rastup_data.transform import open_published

RELATIONS = {
    "silver.fact_bookings": "city",
    "silver.fact_booking_legs": "city",
    "silver.fact_search_impressions": "city",
    "gold.kpi_marketplace_daily": "city",
}
PRINCIPALS = (ADMIN, ANALYST, FINANCE, NYC_ANALYST, VIEWER)
DAYS = ("2026-01-04", "2026-01-05", "2026-01-06", "2026-01-07")


@st.composite
def queries(draw: st.DrawFn) -> tuple[Principal, str, str | None]:
    """A principal, a relation and an optional lower bound on dt."""
    principal = draw(st.sampled_from(PRINCIPALS))
    relation = draw(st.sampled_from(sorted(RELATIONS)))
    day = draw(st.one_of(st.none(), st.sampled_from(DAYS)))
    return principal, relation, day


def _policy_columns(gate: Gate, principal: Principal, relation: str) -> dict[str, TagAction]:
    session = gate._session(principal)
    view = session.views.get(relation)
    return {} if view is None else {c.name: c.action for c in view.visible}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries(), data=st.data())
def test_gated_equals_ungated_filtered_and_masked(
    gate: Gate, query: tuple[Principal, str, str | None], data: st.DataObject
) -> None:
    principal, relation, day = query
    visible = _policy_columns(gate, principal, relation)
    if not visible:
        return  # not granted: the access tests cover refusals
    columns = data.draw(
        st.lists(st.sampled_from(sorted(visible)), min_size=1, max_size=4, unique=True)
    )
    where = f" WHERE dt >= DATE '{day}'" if day else ""
    select = ", ".join(columns)
    gated = gate.run(principal, f"SELECT {select} FROM {relation}{where}", path=QueryPath.REPORT)

    city = RELATIONS[relation]
    key = masking_key(gate.state)
    with open_published(gate.layout) as raw:
        rows = raw.execute(f"SELECT {select}, {city} FROM {relation}{where}").fetchall()
    expected: list[tuple[Any, ...]] = []
    for row in rows:
        if principal.scoped and row[-1] not in principal.cities:
            continue
        expected.append(
            tuple(
                mask_value(key, value) if visible[name] is TagAction.MASKED else value
                for name, value in zip(columns, row[:-1], strict=True)
            )
        )
    assert Counter(gated.rows) == Counter(expected)

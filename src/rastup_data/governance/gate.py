"""The query gate: every read of the platform goes through :meth:`Gate.run`.

parse → check (read-only, functions, relations) → lineage (columns, predicates) → guards
(partition filter, per-query cap, daily budget) → run on a locked secure session, its
answer held to the role's byte budget (value guards, metered fetch, session memory limit)
→ audit.
Refusals raise :class:`~rastup_data.errors.RastupError` with a stable code after the
attempt is audited.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from rastup_data.config import Settings, resolve_lake
from rastup_data.environments import EnvironmentProfile, load_profile
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.audit import AuditLog, AuditRecord
from rastup_data.governance.budget import CostGuard, human_bytes
from rastup_data.governance.checker import CheckedQuery, check_query, parse_query
from rastup_data.governance.cost import CostEstimate, CostModel
from rastup_data.governance.exclusions import ExclusionSource, StateTombstones
from rastup_data.governance.lineage import Lineage, trace_reads
from rastup_data.governance.masking import masking_key
from rastup_data.governance.memo import AnswerKey, Plan, volatile
from rastup_data.governance.parameters import check_parameter_count, parameter_count
from rastup_data.governance.pinning import DashboardPin
from rastup_data.governance.policy import Policy, RoleLimits, load_policy
from rastup_data.governance.principals import Principal, TokenStore
from rastup_data.governance.reader import GatedConnection
from rastup_data.governance.relations import SourceKind
from rastup_data.governance.running import QueryListing, RunningQueries, RunningQuery
from rastup_data.governance.session import SecureSession
from rastup_data.governance.sessions import SessionCache
from rastup_data.governance.sizing import MARK, bound_values
from rastup_data.governance.watchdog import QueryInterrupt, Watchdog
from rastup_data.lake.layout import LakeLayout
from rastup_data.ops.metrics import PlatformMetrics
from rastup_data.serving.formats import json_value
from rastup_data.serving.query import QueryResult, TableInfo, run_arrow_query, run_query
from rastup_data.state import StateDB, open_state

__all__ = ["Gate", "GatedResult", "QueryPath", "QueryPlan"]

log = logging.getLogger(__name__)

#: A query is listed as running (and can be killed) once it has run this long.
LIST_AFTER_S = 1.0

#: A query stopped past one of its role's byte limits is refused (a guard), not failed.
_BUDGET_REFUSALS = frozenset({ErrorCode.QUERY_ANSWER_TOO_LARGE, ErrorCode.QUERY_SPILL_TOO_LARGE})


class QueryPath(str, Enum):
    """Where a query came from (recorded in the audit; partition filters name paths)."""

    CLI = "cli"
    HTTP = "http"
    DASHBOARD = "dashboard"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A checked query before it runs: what it reads and what it would cost."""

    sql: str
    relations: tuple[str, ...]
    columns: tuple[str, ...]
    estimate: CostEstimate
    query_cap: int
    exact: bool
    #: DuckDB's physical plan of the query on the principal's secure views.
    engine_plan: str = ""


@dataclass(frozen=True, slots=True)
class GatedResult:
    """The answer of a gated query with its cost and audit id."""

    query_id: str
    result: QueryResult
    scanned_bytes: int
    billed_bytes: int
    relations: tuple[str, ...]
    duration_ms: float
    table: pa.Table | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.result.columns

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]:
        return self.result.rows

    @property
    def row_count(self) -> int:
        return self.table.num_rows if self.table is not None else len(self.result.rows)

    def to_json(self) -> dict[str, Any]:
        """The answer as the HTTP query API sends it (values made JSON-safe)."""
        return {
            "columns": list(self.columns),
            "rows": [[json_value(v) for v in row] for row in self.rows],
            "row_count": self.row_count,
            "truncated": self.result.truncated,
            "scanned_bytes": self.scanned_bytes,
            "billed_bytes": self.billed_bytes,
            "query_id": self.query_id,
        }


@dataclass(slots=True)
class _Attempt:
    """What is known about a query so far, for its audit record."""

    principal: Principal
    path: QueryPath
    sql: str
    query_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    relations: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    scanned: int = 0
    billed: int = 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    session: SecureSession
    plan: Plan

    @property
    def checked(self) -> CheckedQuery:
        return self.plan.checked

    @property
    def lineage(self) -> Lineage:
        return self.plan.lineage

    @property
    def estimate(self) -> CostEstimate:
        return self.plan.estimate


class Gate:
    """Access control, row-level security, masking, cost guards and audit for every read."""

    def __init__(
        self,
        layout: LakeLayout,
        *,
        state: StateDB,
        policy: Policy | None = None,
        env: str | EnvironmentProfile = "dev",
        exclusions: ExclusionSource | None = None,
        metrics: PlatformMetrics | None = None,
    ) -> None:
        """``env`` is an environment name (its shipped profile is read) or a profile."""
        self.layout = layout
        self.state = state
        self.policy = policy or load_policy()
        self.profile = env if isinstance(env, EnvironmentProfile) else load_profile(env)
        self.env = self.profile.name
        self.tokens = TokenStore(state)
        self.audit = AuditLog(state)
        self.exclusions: ExclusionSource = exclusions or StateTombstones(state)
        self.metrics = metrics
        self.guard = CostGuard(self.profile, self.audit)
        self.cost = CostModel(self.policy.cost)
        self._mask_key = masking_key(state)
        self.sessions = SessionCache(layout, policy=self.policy, mask_key=self._mask_key)
        self.running = RunningQueries(state)
        self.pin = DashboardPin(state)
        self._watchdog = Watchdog(kill_requests=self.running.kill_requested)

    @classmethod
    def open(
        cls,
        lake: str | Path | None = None,
        *,
        settings: Settings | None = None,
        metrics: PlatformMetrics | None = None,
        exclusions: ExclusionSource | None = None,
    ) -> Gate:
        """A gate over a lake with the settings of the environment (policy, state, env);
        ``exclusions`` replaces the default erasure source (the state database)."""
        settings = settings or Settings.from_env(lake=lake)
        root = resolve_lake(lake) if lake is not None else settings.lake
        policy = load_policy(settings.policy_path)
        profile = load_profile(settings=settings)
        state = open_state(settings.state_url, lake=root)
        try:
            return cls(
                LakeLayout(root),
                state=state,
                policy=policy,
                env=profile,
                exclusions=exclusions,
                metrics=metrics,
            )
        except BaseException:
            state.close()
            raise

    def close(self) -> None:
        self.sessions.close()
        self._watchdog.stop()
        self.state.close()

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the public operations ---------------------------------------------------------

    def authenticate(self, token: str | None) -> Principal:
        """The principal of a token; AUTH_TOKEN_INVALID (audited) otherwise."""
        try:
            principal = self.tokens.authenticate(token)
        except RastupError as exc:
            self._count(exc.code)
            raise
        self.policy.role(principal.role)
        return principal

    def run(
        self,
        principal: Principal,
        sql: str,
        *,
        path: QueryPath,
        params: Sequence[Any] = (),
        as_arrow: bool = False,
    ) -> GatedResult:
        """Check, guard, run and audit one query as ``principal``.

        A dashboard query the session answered before on the same pinned snapshots is
        answered from its memo (:mod:`~rastup_data.governance.memo`): still checked, guarded
        and audited, with nothing scanned."""
        attempt = _Attempt(principal, path, sql)
        try:
            prepared = self._prepare(attempt)
            check_parameter_count(prepared.plan.parameters, params)
            key = _answer_key(prepared, attempt, params, as_arrow=as_arrow, policy=self.policy)
            remembered = None if key is None else prepared.session.memo.answers.get(key)
            if remembered is not None:
                attempt.scanned = attempt.billed = 0
            self._guard(prepared, attempt)
        except RastupError as exc:
            self._record(attempt, status="refused", code=exc.code, rows=0)
            raise
        if remembered is not None:
            result, table = remembered, None
        else:
            try:
                result, table = self._execute(prepared, attempt, params, as_arrow=as_arrow)
            except RastupError as exc:
                # Past the byte budget is a guard's refusal, like the cost guards'.
                refused = exc.code in _BUDGET_REFUSALS
                self._record(
                    attempt, status="refused" if refused else "failed", code=exc.code, rows=0
                )
                raise
            if key is not None:
                prepared.session.memo.keep_answer(key, result)
        rows = table.num_rows if table is not None else len(result.rows)
        self._record(attempt, status="ok", code=None, rows=rows)
        return GatedResult(
            query_id=attempt.query_id,
            result=result,
            scanned_bytes=attempt.scanned,
            billed_bytes=attempt.billed,
            relations=attempt.relations,
            duration_ms=(time.perf_counter() - attempt.started) * 1000,
            table=table,
        )

    def explain(
        self, principal: Principal, sql: str, *, path: QueryPath, params: Sequence[Any] = ()
    ) -> QueryPlan:
        """The plan and cost estimate of ``sql`` without running it (a dry run, audited);
        ``params`` are checked as :meth:`run` checks them and bound in the engine plan."""
        attempt = _Attempt(principal, path, sql)
        try:
            prepared = self._prepare(attempt)
            check_parameter_count(prepared.plan.parameters, params)
            self._guard(prepared, attempt)
        except RastupError as exc:
            self._record(attempt, status="refused", code=exc.code, rows=0)
            raise
        self._record(attempt, status="explained", code=None, rows=0, billed=False)
        return QueryPlan(
            sql=prepared.checked.sql,
            relations=attempt.relations,
            columns=attempt.columns,
            estimate=prepared.estimate,
            query_cap=self.guard.query_cap,
            exact=prepared.lineage.exact,
            # The plan spells out the masking expression, key included: admins only.
            engine_plan=_engine_plan(prepared, params) if principal.role == "admin" else "",
        )

    def record_unauthenticated(self, sql: str, *, path: QueryPath, code: ErrorCode) -> None:
        """Audit an attempt refused before any principal was known (a bad token)."""
        attempt = _Attempt(Principal("(unauthenticated)", "none"), path, sql)
        self._record(attempt, status="refused", code=code, rows=0)

    def tables(self, principal: Principal) -> list[TableInfo]:
        """The relations ``principal`` can read (the filtered catalogue)."""
        session = self._session(principal)
        return [
            TableInfo(name=name, kind=view.schema, rows=None, description=_access(view.masked))
            for name, view in session.views.items()
        ]

    def connect(self, principal: Principal, *, path: QueryPath) -> GatedConnection:
        """A read-only DB-API-like connection whose queries run through this gate."""
        return GatedConnection(self, principal, path)

    def require_admin(self, principal: Principal, what: str) -> None:
        if principal.role != "admin":
            raise RastupError(
                ErrorCode.ACCESS_DENIED,
                f"{what} is for admins; {principal.name} has role {principal.role}.",
            )

    # --- the steps ---------------------------------------------------------------------

    def _prepare(self, attempt: _Attempt) -> _Prepared:
        self.policy.role(attempt.principal.role)
        session = self._session(attempt.principal)
        plan = session.memo.plans.get(attempt.sql)
        if plan is None:
            plan = self._plan(session, attempt.sql)
            session.memo.plans.put(attempt.sql, plan)
        attempt.relations = plan.checked.relations
        attempt.columns = plan.lineage.columns
        attempt.scanned = plan.estimate.scanned_bytes
        attempt.billed = plan.estimate.billed_bytes
        return _Prepared(session, plan)

    def _plan(self, session: SecureSession, sql: str) -> Plan:
        """Parse, check, trace and estimate ``sql`` on ``session`` (once per text)."""
        checked = check_query(parse_query(sql), session.views, session.refused)
        limits = self.policy.role(session.spec.principal_role).limits
        checked = bound_values(checked, limits.max_answer_bytes)
        lineage = trace_reads(checked, session.views, session.schema)
        files = {SourceKind.WAREHOUSE: session.spec.warehouse, SourceKind.NRT: session.spec.nrt}
        estimate = self.cost.estimate(lineage, session.views, files)
        return Plan(
            checked,
            lineage,
            estimate,
            stable=not volatile(checked.tree),
            parameters=parameter_count(checked.tree),
        )

    def _guard(self, prepared: _Prepared, attempt: _Attempt) -> None:
        if attempt.path is QueryPath.DASHBOARD:
            self.pin.check(attempt.relations)
        if attempt.path.value in self.policy.partition_paths:
            for read in prepared.lineage.reads:
                column = prepared.session.views[read.relation].partition_column
                if column is not None and not any(p.column == column for p in read.predicates):
                    raise RastupError(
                        ErrorCode.PARTITION_FILTER_REQUIRED,
                        f"{read.relation} is large: restrict {column} with a constant where it "
                        f"is read, e.g. WHERE {column} BETWEEN DATE '2026-01-01' AND DATE "
                        "'2026-01-07'.",
                    )
        status = self.guard.check(attempt.scanned)
        after = status.scanned_bytes + attempt.scanned
        threshold = status.budget_bytes * status.alarm_ratio
        if status.scanned_bytes < threshold <= after:
            log.warning("%s: scanned bytes today passed the budget alarm", self.env)
            self._count(ErrorCode.SCANNED_BYTES_BUDGET_WARNING)
        if self.metrics is not None:
            self.metrics.scanned_today.set(after)
            self.metrics.scanned_budget_ratio.set(after / status.budget_bytes)

    def _execute(
        self, prepared: _Prepared, attempt: _Attempt, params: Sequence[Any], *, as_arrow: bool
    ) -> tuple[QueryResult, pa.Table | None]:
        limits = self.policy.role(attempt.principal.role).limits
        cursor = prepared.session.cursor()
        stop = QueryInterrupt(cursor)
        timer = self._watchdog.arm(
            limits.max_seconds, stop.timeout, key=attempt.query_id, on_kill=stop.kill
        )
        listing = QueryListing(self.running, self._running_query(attempt))
        listed = self._watchdog.arm(LIST_AFTER_S, listing.register)
        try:
            sql = prepared.checked.sql
            # Reports (the platform's own readers) are neither cut nor held to the budget.
            report = attempt.path is QueryPath.REPORT
            max_bytes = None if report else limits.max_answer_bytes
            if as_arrow:
                table = run_arrow_query(cursor, sql, params, max_bytes=max_bytes)
                return QueryResult(tuple(table.column_names), (), ()), table
            max_rows = None if report else limits.max_rows
            return run_query(cursor, sql, params, max_rows=max_rows, max_bytes=max_bytes), None
        except RastupError as exc:
            raise self._stopped(exc, stop, attempt, limits) from exc
        finally:
            self._watchdog.disarm(timer)
            self._watchdog.disarm(listed)  # after this, register() ran or never will
            listing.finish()
            cursor.close()

    def _stopped(
        self, exc: RastupError, stop: QueryInterrupt, attempt: _Attempt, limits: RoleLimits
    ) -> RastupError:
        """Why a query that raised stopped, as its caller is told."""
        role = attempt.principal.role
        if stop.reason == "killed":
            return RastupError(
                ErrorCode.QUERY_KILLED,
                f"an operator stopped query {attempt.query_id} "
                "(`rastup-data queries kill`). Ask them before running it again.",
            )
        if stop.reason == "timeout":
            return RastupError(
                ErrorCode.QUERY_LIMIT_EXCEEDED,
                f"the query ran longer than {limits.max_seconds:.0f}s, the limit of role "
                f"{role}, and was stopped. To fix this, narrow it.",
            )
        if exc.code is ErrorCode.QUERY_ANSWER_TOO_LARGE or MARK in exc.message:
            return RastupError(
                ErrorCode.QUERY_ANSWER_TOO_LARGE,
                f"the answer is too large: the query was stopped past "
                f"{human_bytes(limits.max_answer_bytes)}, the byte budget of one answer of "
                f"role {role}, or past the memory of its session. To fix this, narrow the "
                "query (dates, columns) or aggregate it.",
            )
        if exc.code is ErrorCode.QUERY_SPILL_TOO_LARGE:
            return RastupError(
                ErrorCode.QUERY_SPILL_TOO_LARGE,
                f"the query was stopped past {human_bytes(limits.max_temp_bytes)} of temporary "
                f"disk space, the spill limit of role {role}. To fix this, narrow the query "
                "(dates, columns) or aggregate it before sorting or joining.",
            )
        # Engine errors may quote the secure views' expressions: never the masking key.
        message = exc.message.replace(self._mask_key, "<masking key>")
        return RastupError(ErrorCode.QUERY_INVALID, message)

    def _running_query(self, attempt: _Attempt) -> RunningQuery:
        started = datetime.now(UTC) - timedelta(seconds=time.perf_counter() - attempt.started)
        return RunningQuery(
            query_id=attempt.query_id,
            env=self.env,
            principal=attempt.principal.name,
            role=attempt.principal.role,
            path=attempt.path.value,
            sql=attempt.sql,
            started_at=started.isoformat(),
            runner=self.running.runner,
            scanned_bytes=attempt.scanned,
        )

    def _session(self, principal: Principal) -> SecureSession:
        return self.sessions.get(principal, self.exclusions.erased_subjects())

    def _record(
        self,
        attempt: _Attempt,
        *,
        status: str,
        code: ErrorCode | None,
        rows: int,
        billed: bool = True,
    ) -> None:
        charged = status == "ok" and billed
        record = AuditRecord(
            query_id=attempt.query_id,
            at=datetime.now(UTC).isoformat(),
            env=self.env,
            principal=attempt.principal.name,
            role=attempt.principal.role,
            path=attempt.path.value,
            sql=attempt.sql,
            relations=attempt.relations,
            columns=attempt.columns,
            rows=rows,
            scanned_bytes=attempt.scanned if charged else 0,
            billed_bytes=attempt.billed if charged else 0,
            duration_ms=(time.perf_counter() - attempt.started) * 1000,
            status=status,
            code=None if code is None else code.value,
        )
        self.audit.append(record)
        if code is not None:
            self._count(code)
        if self.metrics is not None and record.scanned_bytes:
            self.metrics.scanned_bytes.labels(record.path).inc(record.scanned_bytes)

    def _count(self, code: ErrorCode) -> None:
        if self.metrics is not None:
            self.metrics.count_error(code)


def _answer_key(
    prepared: _Prepared,
    attempt: _Attempt,
    params: Sequence[Any],
    *,
    as_arrow: bool,
    policy: Policy,
) -> AnswerKey | None:
    """The memo key of a dashboard query's answer, or None when it must run every time:
    another path, Arrow out, a read of anything but a pinned snapshot, a volatile call."""
    if attempt.path is not QueryPath.DASHBOARD or as_arrow:
        return None
    checked, pinned = prepared.checked, prepared.session.pinned
    if checked.reads_catalog or not checked.relations:
        return None
    if any(r not in pinned for r in checked.relations) or not prepared.plan.stable:
        return None
    try:
        key = tuple(params)
        hash(key)
    except TypeError:
        return None
    max_rows = policy.role(attempt.principal.role).limits.max_rows
    return checked.sql, key, max_rows


def _engine_plan(prepared: _Prepared, params: Sequence[Any]) -> str:
    """DuckDB's EXPLAIN of the checked SQL (planning only: nothing is read)."""
    cursor = prepared.session.cursor()
    try:
        rows = cursor.execute("EXPLAIN " + prepared.checked.sql, list(params)).fetchall()
    except duckdb.Error as exc:
        return f"(no plan: {' '.join(str(exc).split())})"
    finally:
        cursor.close()
    return "\n".join(str(row[-1]) for row in rows)


def _access(masked: frozenset[str]) -> str:
    return f"masked: {', '.join(sorted(masked))}" if masked else ""

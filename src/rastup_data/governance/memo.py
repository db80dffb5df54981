"""What a secure session remembers between queries: the plan of each SQL text it checked and
the answers of repeated queries on snapshot-pinned data.

Dashboards issue the same SQL over and over (one text per tile, the dates as parameters), so
parsing, checking, tracing the lineage and estimating the cost once per text and session
saves most of a tile's gate time. Everything a plan or an answer depends on is in the
session's :class:`~rastup_data.governance.session.SessionSpec` (the role, the city scope,
the attached build and NRT files, the extract snapshots, the erased subjects): a session
serves exactly one such scope, and a change of any of them opens a new session with an
empty memo. A cached answer is therefore only ever seen by principals whose queries would
run on the same secure views, and a refresh that switches an extract's pointer invalidates
it by construction.

Answers are kept only for queries that read nothing but pinned snapshots (immutable once
published) and call no volatile function (``now()``, ``random()``…): the same text and
parameters give the same rows. The gate still checks, guards and audits every query; an
answer from the memo scans nothing and is audited with 0 bytes. Only small answers are kept
(``MAX_ANSWER_ROWS`` rows, ``MAX_ANSWER_BYTES`` bytes: dashboard tiles), far below the answer
byte budget of any role.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlglot import exp

from rastup_data.governance.checker import CheckedQuery
from rastup_data.governance.cost import CostEstimate
from rastup_data.governance.lineage import Lineage
from rastup_data.serving.query import QueryResult

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_ANSWER_ROWS",
    "MAX_SESSION_ROWS",
    "AnswerKey",
    "BoundedCache",
    "Plan",
    "SessionMemo",
    "volatile",
]

_K = TypeVar("_K")
_V = TypeVar("_V")

#: Functions whose value changes between two runs of the same text.
_VOLATILE = frozenset(
    {
        "current_date",
        "current_time",
        "current_timestamp",
        "gen_random_uuid",
        "get_current_time",
        "get_current_timestamp",
        "localtime",
        "localtimestamp",
        "nextval",
        "now",
        "rand",
        "random",
        "setseed",
        "today",
        "transaction_timestamp",
        "uuid",
    }
)
#: Answers with more rows than this are not kept (a memo holds tiles, not extracts: a
#: year of days with its prior period is 732 rows).
MAX_ANSWER_ROWS = 2_000
#: Answers of more bytes than this are not kept either (measured as the gate fetched them;
#: far below any role's answer byte budget, so the memo never holds an answer near it, and
#: a session's 256 answers hold at most 256 MiB).
MAX_ANSWER_BYTES = 1024 * 1024
#: The rows one session's answers may hold in all (older answers are forgotten first).
MAX_SESSION_ROWS = 50_000

#: (SQL that runs, parameters, row limit): what identifies an answer within one session.
AnswerKey = tuple[str, tuple[Any, ...], int | None]


@dataclass(frozen=True, slots=True)
class Plan:
    """What the gate derives from one SQL text in one session before running it."""

    checked: CheckedQuery
    lineage: Lineage
    estimate: CostEstimate
    #: No volatile call: the same parameters on the same data give the same rows.
    stable: bool
    #: The parameter values the query takes (its highest ``$n``).
    parameters: int = 0


class BoundedCache(Generic[_K, _V]):
    """A thread-safe map that forgets its least recently used entries past ``size`` entries
    or past ``max_weight`` in total (each entry weighs ``weigh(value)``, 1 by default)."""

    def __init__(
        self,
        size: int,
        *,
        max_weight: int | None = None,
        weigh: Callable[[_V], int] | None = None,
    ) -> None:
        self.size = size
        self.max_weight = max_weight
        self._weigh = weigh or (lambda _: 1)
        self._items: OrderedDict[_K, tuple[_V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: _K, value: _V, *, replacing: Callable[[_K], bool] | None = None) -> None:
        """Keep ``value`` under ``key``; in the same step forget the entries whose key
        ``replacing`` accepts (the ones the new entry supersedes)."""
        weight = self._weigh(value)
        with self._lock:
            for gone in [k for k in self._items if replacing is not None and replacing(k)]:
                self._weight -= self._items.pop(gone)[1]
            old = self._items.pop(key, None)
            self._weight += weight - (old[1] if old is not None else 0)
            self._items[key] = (value, weight)
            while self._items and self._over():
                self._weight -= self._items.popitem(last=False)[1][1]

    def values(self) -> list[_V]:
        """The values kept now, least recently used first."""
        with self._lock:
            return [value for value, _ in self._items.values()]

    def clear(self) -> list[_V]:
        """Forget every entry; returns the values forgotten."""
        with self._lock:
            gone = [value for value, _ in self._items.values()]
            self._items.clear()
            self._weight = 0
            return gone

    def _over(self) -> bool:
        heavy = self.max_weight is not None and self._weight > self.max_weight
        return len(self._items) > self.size or heavy

    @property
    def weight(self) -> int:
        return self._weight

    def __len__(self) -> int:
        return len(self._items)


class SessionMemo:
    """The plans and answers of one secure session (see the module docstring)."""

    def __init__(self, *, plans: int = 512, answers: int = 256) -> None:
        self.plans: BoundedCache[str, Plan] = BoundedCache(plans)
        self.answers: BoundedCache[AnswerKey, QueryResult] = BoundedCache(
            answers, max_weight=MAX_SESSION_ROWS, weigh=lambda r: len(r.rows) + 1
        )

    def keep_answer(self, key: AnswerKey, result: QueryResult) -> None:
        if len(result.rows) <= MAX_ANSWER_ROWS and result.nbytes <= MAX_ANSWER_BYTES:
            self.answers.put(key, result)


def volatile(tree: exp.Expr) -> bool:
    """Whether the query calls a function whose value changes from one run to the next."""
    for node in tree.find_all(exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        if name.lower() in _VOLATILE:
            return True
    return False

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
answer from the memo scans nothing and is audited with 0 bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlglot import exp

from rastup_data.governance.checker import CheckedQuery
from rastup_data.governance.cost import CostEstimate
from rastup_data.governance.lineage import Lineage
from rastup_data.serving.query import QueryResult

__all__ = ["AnswerKey", "BoundedCache", "Plan", "SessionMemo", "volatile"]

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
#: Answers with more rows than this are not kept (a memo holds tiles, not extracts).
MAX_ANSWER_ROWS = 5_000

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


class BoundedCache(Generic[_K, _V]):
    """A thread-safe map that forgets its least recently used entry past ``size``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class SessionMemo:
    """The plans and answers of one secure session (see the module docstring)."""

    def __init__(self, *, plans: int = 512, answers: int = 256) -> None:
        self.plans: BoundedCache[str, Plan] = BoundedCache(plans)
        self.answers: BoundedCache[AnswerKey, QueryResult] = BoundedCache(answers)

    def keep_answer(self, key: AnswerKey, result: QueryResult) -> None:
        if len(result.rows) <= MAX_ANSWER_ROWS:
            self.answers.put(key, result)


def volatile(tree: exp.Expr) -> bool:
    """Whether the query calls a function whose value changes from one run to the next."""
    for node in tree.find_all(exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        if name.lower() in _VOLATILE:
            return True
    return False

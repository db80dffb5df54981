"""The session memo's bounded cache and the volatile-call test (units; the memo on a real
gate and serve is in tests/bi/test_tile_memo.py)."""

from __future__ import annotations

import sqlglot

from rastup_data.governance.memo import BoundedCache, volatile


def test_the_least_recently_used_entry_goes_first_past_the_size() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_entries_are_forgotten_past_the_total_weight() -> None:
    cache: BoundedCache[str, list[int]] = BoundedCache(100, max_weight=10, weigh=len)
    cache.put("six", [0] * 6)
    cache.put("four", [0] * 4)
    assert cache.weight == 10
    cache.put("three", [0] * 3)  # 13 > 10: the oldest goes
    assert cache.get("six") is None
    assert cache.weight == 7
    cache.put("four", [0] * 1)  # replacing an entry replaces its weight
    assert cache.weight == 4
    cache.put("huge", [0] * 11)  # heavier than the whole budget: kept by nobody
    assert len(cache) == 0
    assert cache.weight == 0


def test_a_new_entry_forgets_those_it_supersedes_and_clear_returns_what_it_forgot() -> None:
    cache: BoundedCache[tuple[str, int], list[int]] = BoundedCache(10, weigh=len)
    cache.put(("nyc", 1), [0, 0])
    cache.put(("sf", 1), [0])
    cache.put(("nyc", 2), [0, 0, 0], replacing=lambda key: key[0] == "nyc")
    assert cache.get(("nyc", 1)) is None
    assert cache.values() == [[0], [0, 0, 0]]  # least recently used first
    assert cache.weight == 4
    assert cache.clear() == [[0], [0, 0, 0]]
    assert (len(cache), cache.weight) == (0, 0)


def test_calls_whose_value_changes_between_runs_are_volatile() -> None:
    def tree(sql: str) -> sqlglot.exp.Expr:
        return sqlglot.parse_one(sql, read="duckdb")

    for sql in (
        "SELECT now()",
        "SELECT epoch(now()) - epoch(x) FROM t",
        "SELECT random()",
        "SELECT current_date",
        "SELECT gen_random_uuid()",
    ):
        assert volatile(tree(sql)), sql
    assert not volatile(tree("SELECT dt, sum(x) FROM t WHERE dt BETWEEN ? AND ? GROUP BY dt"))

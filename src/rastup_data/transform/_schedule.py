"""Critical path first: the order in which dbt starts the nodes that are ready to run.

dbt queues the nodes that become ready together by their place in the graph (fewest
ancestors), ties broken by name, and hands each to its thread pool at once (the pool starts
them first in, first out). A build is a wide fan-out: once ``events_deduped`` is written, the
facts and dimensions are ready at once, and by name a large one could start after most of the
small ones, so the Gold models that read it waited for it while the other thread had nothing
left to do. Started first, it runs while the small ones share the other thread. The order
applies among nodes that become ready together; one that becomes ready later starts after
those already handed over (starting it sooner made no build faster: benchmarks/RESULTS.md).

Each node's score here is the length of its critical path: its own weight plus the weight of
the heaviest chain of nodes that depend on it (a longest path in the DAG, computed once per
invocation in reverse topological order). A node's weight is the seconds it took in the
history the runner passes (the previous invocation with the same target folder,
``run_results.json``, else the machine's last one of the same kind); without one it is the
``schedule_weight`` its config's ``meta`` declares, else a millisecond, so that a machine's
first build orders by declared weights and then by depth and name, as dbt does. Ties fall
back to dbt's own score. Only the order of ready nodes changes: dependencies, threads and
results do not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["critical_path_first", "critical_paths", "previous_seconds"]

#: The weight of a node with neither history nor a declared weight.
DEFAULT_WEIGHT = 0.001


def previous_seconds(target_dir: Path) -> dict[str, float]:
    """Seconds per node of the last invocation that wrote ``run_results.json`` in ``target_dir``;
    empty when there is none or it cannot be read."""
    try:
        results = json.loads((target_dir / "run_results.json").read_text())["results"]
        return {
            str(r["unique_id"]): float(r["execution_time"])
            for r in results
            if isinstance(r.get("execution_time"), int | float)
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def critical_paths(
    successors: Mapping[str, list[str]], weights: Mapping[str, float]
) -> dict[str, float]:
    """For each node, its weight plus the heaviest chain of weights below it.

    ``successors`` maps every node to the nodes that depend on it (a DAG).
    """
    order: list[str] = []
    seen: set[str] = set()
    for root in successors:
        if root in seen:
            continue
        # Iterative depth-first post-order: a node comes after everything below it.
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(successors.get(root, ())))]
        seen.add(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                order.append(node)
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(successors.get(child, ()))))
    paths: dict[str, float] = {}
    for node in order:
        below = max((paths[c] for c in successors.get(node, ())), default=0.0)
        paths[node] = weights.get(node, DEFAULT_WEIGHT) + below
    return paths


def _weights(manifest: Any, nodes: list[str], history: Mapping[str, float]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for node in nodes:
        if node in history:
            weights[node] = history[node]
            continue
        declared = _declared_weight(manifest, node)
        if declared is not None:
            weights[node] = declared
    return weights


def _declared_weight(manifest: Any, node: str) -> float | None:
    entry = getattr(manifest, "nodes", {}).get(node)
    meta = getattr(getattr(entry, "config", None), "meta", None) or {}
    value = meta.get("schedule_weight")
    return float(value) if isinstance(value, int | float) and value >= 0 else None


@contextmanager
def critical_path_first(history: Mapping[str, float]) -> Iterator[None]:
    """Within the block, dbt invocations of this process start ready nodes by critical path.

    Hold the lock that serialises dbt invocations (dbt's state is process-wide).
    """
    from dbt.graph.queue import GraphQueue

    original = GraphQueue._get_scores

    def scores(queue: Any, graph: Any) -> dict[str, Any]:
        base = original(queue, graph)
        nodes = list(graph.nodes())
        successors = {n: list(graph.successors(n)) for n in nodes}
        paths = critical_paths(successors, _weights(queue.manifest, nodes, history))
        # Longest path first (negated: the queue pops the lowest score), then dbt's depth.
        return {n: (-round(paths[n], 6), base[n]) for n in nodes}

    GraphQueue._get_scores = scores  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        GraphQueue._get_scores = original  # type: ignore[method-assign]

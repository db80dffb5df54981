"""Small pieces of PromQL shared by the rule families."""

from __future__ import annotations

__all__ = ["aggregation", "duration"]


def duration(seconds: float) -> str:
    """Seconds as a PromQL duration: ``3d``, ``6h``, ``30m``, ``5m``, ``90s``."""
    whole = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def aggregation(op: str, by: tuple[str, ...], inner: str) -> str:
    """``sum by (a, b) (inner)``, or ``sum(inner)`` without labels."""
    if by:
        return f"{op} by ({', '.join(by)}) ({inner})"
    return f"{op}({inner})"

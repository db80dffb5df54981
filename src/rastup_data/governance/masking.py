"""Masked values: a stable keyed hash, so joins and distinct counts still work.

``mask(v) = 'm_' || left(sha256(key || CAST(v AS VARCHAR)), 24)`` — the same value gives the
same mask in every relation and every query of one state database (the key is generated
once and kept there), and the raw value cannot be read back without the key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rastup_data.state import StateDB, stored_key

__all__ = ["MASK_FUNCTION", "mask_macro_sql", "mask_value", "masking_key"]

#: The macro the secure views call; users cannot reference the ``__gate`` schema.
MASK_FUNCTION = "__gate.mask"
_HEX_CHARS = 24
_KEY_NAME = "mask_key"


def mask_value(key: str, value: Any) -> str | None:
    """The mask of one value, computed in Python (the reference for tests)."""
    if value is None:
        return None
    digest = hashlib.sha256((key + str(value)).encode()).hexdigest()
    return "m_" + digest[:_HEX_CHARS]


def mask_macro_sql(key: str) -> str:
    """The DuckDB macro the secure views use to mask a column."""
    if not key.isalnum():
        raise ValueError("the masking key must be alphanumeric")
    return (
        f"CREATE MACRO {MASK_FUNCTION}(v) AS CASE WHEN v IS NULL THEN NULL "
        f"ELSE 'm_' || left(sha256('{key}' || CAST(v AS VARCHAR)), {_HEX_CHARS}) END"
    )


def masking_key(db: StateDB) -> str:
    """The state database's masking key, created on first use."""
    return stored_key(db, _KEY_NAME)

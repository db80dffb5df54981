"""Stable error codes: the one place every user-facing outcome code is defined.

Each code has a meaning, the HTTP status it maps to when it answers a request, a
severity for metrics and alerts, and the runbook that says what to do. The same table
is rendered in ``docs/error-codes.md`` (a test keeps the two in step).

``catalogue.py`` holds the table that describes each code (``info.py``: its entries),
``codes.py`` the codes themselves, ``exception.py`` the exception, ``reference.py`` the page
rendered from the table (``python -m rastup_data.errors``).

Exception tree::

    RastupError            (base for every error the platform raises on purpose)
    └── carries an ErrorCode and a message that says what to do
"""

from __future__ import annotations

from rastup_data.errors.codes import ERROR_CODES, ErrorCode
from rastup_data.errors.exception import RastupError
from rastup_data.errors.info import ErrorInfo, Severity
from rastup_data.errors.reference import render_error_codes_markdown

__all__ = [
    "ERROR_CODES",
    "ErrorCode",
    "ErrorInfo",
    "RastupError",
    "Severity",
    "render_error_codes_markdown",
]

"""``python -m rastup_data.errors > docs/error-codes.md``: print the error-code reference."""

from __future__ import annotations

from rastup_data.errors.reference import render_error_codes_markdown

print(render_error_codes_markdown(), end="")

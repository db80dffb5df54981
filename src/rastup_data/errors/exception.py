"""The base of every error the platform raises on purpose."""

from __future__ import annotations

from rastup_data.errors.codes import ErrorCode

__all__ = ["RastupError"]


class RastupError(Exception):
    """Base of every error the platform raises on purpose; carries a stable code.

    ``hint`` is what to do about this very error, when the code's general advice
    (``code.info.action``) would not fit it; see :attr:`hint_text`.
    """

    def __init__(self, code: ErrorCode, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"

    @property
    def hint_text(self) -> str | None:
        """The hint line a command prints: this error's own, else none when the message
        already says how to fix it, else the code's advice."""
        if self.hint is not None:
            return self.hint
        if "to fix this" in self.message.lower():
            return None
        return self.code.info.action

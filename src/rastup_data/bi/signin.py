"""Sign-in for the dashboards: a token in a cookie session, or an ``Authorization: Bearer``.

The session cookie holds the query-gate token itself (``HttpOnly``, ``SameSite=Strict``):
every request authenticates it again, so an expired or revoked token ends the session at
once and the page goes back to the sign-in form.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

__all__ = [
    "COOKIE",
    "cookie_header",
    "expired_cookie_header",
    "presented_token",
    "safe_next",
    "sign_in_form",
]

COOKIE = "rastup_session"
_MAX_FORM = 4096


def presented_token(authorization: str | None, cookies: dict[str, str]) -> str | None:
    """The bearer token of the header, else the session cookie's."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return cookies.get(COOKIE) or None


def sign_in_form(body: bytes) -> tuple[str | None, str]:
    """The token and the ``next`` page of a posted sign-in form (urlencoded)."""
    fields = parse_qs(body[:_MAX_FORM].decode("utf-8", "replace"))
    token = (fields.get("token") or [""])[0].strip() or None
    return token, safe_next((fields.get("next") or [""])[0])


def safe_next(target: str) -> str:
    """A page of the dashboards to go to after sign-in (never another site)."""
    if target.startswith("/dashboards/") and "//" not in target and "\\" not in target:
        return target
    return "/dashboards/"


def cookie_header(token: str, *, secure: bool = False) -> str:
    flags = "; Secure" if secure else ""
    return f"{COOKIE}={quote(token)}; Path=/; HttpOnly; SameSite=Strict{flags}"


def expired_cookie_header() -> str:
    return f"{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

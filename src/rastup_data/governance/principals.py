"""Principals and their access tokens; city scopes in ``analyst_city_scope``.

A token is ``rgt_<id>_<secret>``: the id finds the row, only a salted SHA-256 of the
secret is stored, and it is shown once when created. Expired or revoked tokens are refused
with ``AUTH_TOKEN_INVALID``. A principal with rows in ``analyst_city_scope`` is city-scoped,
whatever token it presents.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.cities import known_cities
from rastup_data.state import StateDB

__all__ = ["Principal", "TokenInfo", "TokenStore", "local_principal"]

_TOKEN = re.compile(r"^rgt_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{20,})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
_CITY = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
#: The longest a token may live (a token that should never expire takes no --ttl-days).
MAX_TTL_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class Principal:
    """Who runs a query: a name, a role of the policy, and the cities it is scoped to."""

    name: str
    role: str
    cities: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def scoped(self) -> bool:
        return bool(self.cities)


def local_principal() -> Principal:
    """The local CLI without a token: an ``admin`` named after the OS user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "local"
    return Principal(name=f"local:{user}", role="admin")


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token, without its secret."""

    token_id: str
    principal: str
    role: str
    cities: tuple[str, ...]
    created_at: str
    created_by: str
    expires_at: str | None
    revoked_at: str | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= now:
            return "expired"
        return "active"


def _invalid(reason: str) -> RastupError:
    return RastupError(
        ErrorCode.AUTH_TOKEN_INVALID,
        f"{reason}. To fix this, present a current token from `rastup-data auth token create`.",
    )


class TokenStore:
    """Tokens and city scopes in the state database."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def create(
        self,
        principal: str,
        role: str,
        *,
        known_roles: Collection[str],
        cities: Iterable[str] = (),
        ttl_days: int | None = None,
        created_by: str,
    ) -> tuple[str, TokenInfo]:
        """A new token for ``principal`` (the secret is returned once); ``cities`` scope it."""
        scope = sorted(set(cities))
        _check_new_token(principal, role, known_roles, scope, ttl_days)
        now = datetime.now(UTC)
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        expires = (now + timedelta(days=ttl_days)).isoformat() if ttl_days else None
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO auth_tokens (token_id, principal, role, salt, secret_hash, "
                "created_at, created_by, expires_at, revoked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    token_id,
                    principal,
                    role,
                    salt,
                    _hash(salt, secret),
                    now.isoformat(),
                    created_by,
                    expires,
                ),
            )
            for city in scope:
                if (
                    self.db.fetchone(
                        "SELECT 1 FROM analyst_city_scope WHERE principal = ? AND city = ?",
                        (principal, city),
                    )
                    is None
                ):
                    self.db.execute(
                        "INSERT INTO analyst_city_scope (principal, city, granted_at, granted_by) "
                        "VALUES (?, ?, ?, ?)",
                        (principal, city, now.isoformat(), created_by),
                    )
        return f"rgt_{token_id}_{secret}", self.get(token_id)

    def get(self, token_id: str) -> TokenInfo:
        row = self.db.fetchone(
            "SELECT token_id, principal, role, created_at, created_by, expires_at, revoked_at "
            "FROM auth_tokens WHERE token_id = ?",
            (token_id,),
        )
        if row is None:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"no token with id {token_id!r}. To fix this, pick an id from "
                "`rastup-data auth token list`.",
            )
        return self._info(row)

    def list(self) -> list[TokenInfo]:
        rows = self.db.fetchall(
            "SELECT token_id, principal, role, created_at, created_by, expires_at, revoked_at "
            "FROM auth_tokens ORDER BY created_at, token_id"
        )
        return [self._info(row) for row in rows]

    def revoke(self, token_id: str) -> TokenInfo:
        info = self.get(token_id)
        if info.revoked_at is None:
            self.db.execute(
                "UPDATE auth_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), token_id),
            )
        return self.get(token_id)

    def cities_of(self, principal: str) -> frozenset[str]:
        rows = self.db.fetchall(
            "SELECT city FROM analyst_city_scope WHERE principal = ?", (principal,)
        )
        return frozenset(str(r[0]) for r in rows)

    def authenticate(self, token: str | None) -> Principal:
        """The principal of a presented token; AUTH_TOKEN_INVALID for anything else."""
        if not token:
            raise _invalid("no token was presented")
        match = _TOKEN.match(token.strip())
        if match is None:
            raise _invalid("the token is malformed")
        row = self.db.fetchone(
            "SELECT principal, role, salt, secret_hash, expires_at, revoked_at "
            "FROM auth_tokens WHERE token_id = ?",
            (match["id"],),
        )
        if row is None or not hmac.compare_digest(_hash(str(row[2]), match["secret"]), str(row[3])):
            raise _invalid("the token is not known")
        if row[5] is not None:
            raise _invalid("the token was revoked")
        if row[4] is not None and datetime.fromisoformat(str(row[4])) <= datetime.now(UTC):
            raise _invalid("the token has expired")
        name = str(row[0])
        return Principal(
            name=name, role=str(row[1]), cities=self.cities_of(name), token_id=match["id"]
        )

    def _info(self, row: tuple[object, ...]) -> TokenInfo:
        principal = str(row[1])
        return TokenInfo(
            token_id=str(row[0]),
            principal=principal,
            role=str(row[2]),
            cities=tuple(sorted(self.cities_of(principal))),
            created_at=str(row[3]),
            created_by=str(row[4]),
            expires_at=None if row[5] is None else str(row[5]),
            revoked_at=None if row[6] is None else str(row[6]),
        )


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def _check_cities(cities: list[str]) -> None:
    """Each a city code of the city seed (``cities.known_cities``)."""
    known = known_cities()
    for city in cities:
        if not _CITY.match(city):
            raise RastupError(
                ErrorCode.CONFIG_INVALID, f"--city {city!r} is not a city code such as nyc."
            )
        if city not in known:
            raise RastupError(
                ErrorCode.CONFIG_INVALID,
                f"unknown city {city!r}. To fix this, use one of {', '.join(sorted(known))}.",
            )


def _check_new_token(
    principal: str,
    role: str,
    known_roles: Collection[str],
    cities: list[str],
    ttl_days: int | None,
) -> None:
    if not _NAME.match(principal):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"principal {principal!r} is not a valid name: use letters, digits and . _ @ - "
            "(at most 128).",
        )
    if role not in known_roles:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"unknown role {role!r}. To fix this, use one of {', '.join(sorted(known_roles))}.",
        )
    _check_cities(cities)
    if cities and role == "admin":
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            "an admin cannot be city-scoped. To fix this, drop --city or pick another role.",
        )
    if ttl_days is not None and not 0 < ttl_days <= MAX_TTL_DAYS:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"--ttl-days must be between 1 and {MAX_TTL_DAYS:,} (100 years), got {ttl_days:,}.",
        )

"""Tokens: shown once, stored as a salted hash, refused when wrong, expired or revoked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.governance.principals import TokenStore
from rastup_data.state import open_state

ROLES = ("admin", "analyst", "viewer")


@pytest.fixture
def store(state_url: str) -> Iterator[TokenStore]:
    with open_state(state_url) as db:
        yield TokenStore(db)


def test_a_new_token_authenticates_its_principal_with_its_cities(store: TokenStore) -> None:
    secret, info = store.create(
        "carol", "analyst", known_roles=ROLES, cities=["nyc", "lax"], created_by="admin"
    )
    principal = store.authenticate(secret)
    assert (principal.name, principal.role, principal.cities) == (
        "carol",
        "analyst",
        frozenset({"nyc", "lax"}),
    )
    assert principal.token_id == info.token_id
    assert info.cities == ("lax", "nyc")


def test_only_a_salted_hash_of_the_secret_is_stored(store: TokenStore) -> None:
    secret, _ = store.create("bob", "viewer", known_roles=ROLES, created_by="admin")
    body = secret.split("_", 2)[2]
    rows = store.db.fetchall("SELECT * FROM auth_tokens")
    assert not any(body in str(value) for row in rows for value in row)
    other, _ = store.create("bob", "viewer", known_roles=ROLES, created_by="admin")
    hashes = [r[0] for r in store.db.fetchall("SELECT secret_hash FROM auth_tokens")]
    salts = [r[0] for r in store.db.fetchall("SELECT salt FROM auth_tokens")]
    assert len(set(hashes)) == 2
    assert len(set(salts)) == 2
    assert other != secret


@pytest.mark.parametrize(
    "presented",
    [None, "", "Bearer x", "rgt_000000000000_" + "A" * 43, "rgt_zz_short"],
)
def test_missing_malformed_and_unknown_tokens_are_refused(
    store: TokenStore, presented: str | None
) -> None:
    with pytest.raises(RastupError) as error:
        store.authenticate(presented)
    assert error.value.code is ErrorCode.AUTH_TOKEN_INVALID


def test_a_wrong_secret_for_a_real_id_is_refused(store: TokenStore) -> None:
    secret, _ = store.create("bob", "viewer", known_roles=ROLES, created_by="admin")
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    with pytest.raises(RastupError, match="not known"):
        store.authenticate(forged)


def test_revoked_and_expired_tokens_are_refused(store: TokenStore) -> None:
    secret, info = store.create("bob", "viewer", known_roles=ROLES, created_by="admin")
    store.revoke(info.token_id)
    with pytest.raises(RastupError, match="revoked"):
        store.authenticate(secret)
    late, late_info = store.create(
        "dan", "viewer", known_roles=ROLES, ttl_days=1, created_by="admin"
    )
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    store.db.execute(
        "UPDATE auth_tokens SET expires_at = ? WHERE token_id = ?", (past, late_info.token_id)
    )
    with pytest.raises(RastupError, match="expired"):
        store.authenticate(late)
    statuses = {i.token_id: i.status(datetime.now(UTC)) for i in store.list()}
    assert statuses == {info.token_id: "revoked", late_info.token_id: "expired"}


@pytest.mark.parametrize(
    ("principal", "role", "cities", "ttl", "fragment"),
    [
        ("bob", "wizard", (), None, "unknown role"),
        ("b o b", "viewer", (), None, "not a valid name"),
        ("bob", "admin", ("nyc",), None, "cannot be city-scoped"),
        ("bob", "viewer", ("New York",), None, "city code"),
        ("bob", "viewer", ("nyc", "zzz"), None, "unknown city 'zzz'"),
        ("bob", "viewer", (), 0, "ttl"),
    ],
)
def test_bad_token_requests_are_refused(
    store: TokenStore,
    principal: str,
    role: str,
    cities: tuple[str, ...],
    ttl: int | None,
    fragment: str,
) -> None:
    with pytest.raises(RastupError) as error:
        store.create(
            principal, role, known_roles=ROLES, cities=cities, ttl_days=ttl, created_by="a"
        )
    assert error.value.code is ErrorCode.CONFIG_INVALID
    assert fragment in error.value.message

"""What every privacy operation works with: the lake, the state database, the settings, the
privacy key and who is acting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rastup_data.config import Settings, resolve_lake
from rastup_data.errors import ErrorCode, RastupError
from rastup_data.lake.layout import LakeLayout
from rastup_data.privacy.keys import privacy_key, subject_key
from rastup_data.privacy.policy import PrivacyPolicy, load_privacy_policy
from rastup_data.state import StateDB, open_state
from rastup_data.state.database import state_url_for_layout

__all__ = ["Actor", "PrivacyContext", "authenticate_actor", "now_iso", "open_privacy"]


def now_iso(moment: datetime | None = None) -> str:
    """UTC time as ISO 8601 with microseconds (how the state database stores time)."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a principal name and role (recorded in the request history and the audit)."""

    name: str
    role: str = "admin"


@dataclass(frozen=True, slots=True)
class PrivacyContext:
    """One lake, its state database, the privacy settings and key, and the actor."""

    layout: LakeLayout
    state: StateDB
    policy: PrivacyPolicy
    key: bytes
    actor: Actor
    env: str = "dev"

    def subject_key(self, subject_id: str) -> str:
        return subject_key(self.key, subject_id)

    @classmethod
    def over(
        cls,
        layout: LakeLayout,
        state: StateDB,
        *,
        actor: Actor,
        policy: PrivacyPolicy | None = None,
        env: str = "dev",
    ) -> PrivacyContext:
        return cls(layout, state, policy or load_privacy_policy(), privacy_key(state), actor, env)


def authenticate_actor(state: StateDB, token: str | None) -> Actor:
    """The admin presenting ``token`` (a gate token), or the local OS user without one;
    ACCESS_DENIED for any other role, AUTH_TOKEN_INVALID for a bad token."""
    # Imported here: the collector's suppression imports this module, and an ingest-only
    # worker should not load the query gate (pyarrow, numpy) it never uses.
    from rastup_data.governance.principals import TokenStore, local_principal

    principal = local_principal() if token is None else TokenStore(state).authenticate(token)
    if principal.role != "admin":
        raise RastupError(
            ErrorCode.ACCESS_DENIED,
            f"DSARs and legal holds are for admins; {principal.name} has role {principal.role}.",
        )
    return Actor(principal.name, principal.role)


@contextmanager
def open_privacy(
    lake: str | Path | None,
    *,
    actor: Actor | None = None,
    token: str | None = None,
    work_dir: Path | None = None,
    settings: Settings | None = None,
) -> Iterator[PrivacyContext]:
    """A context over a lake (and this node's work folder) with the environment's settings;
    the actor is ``actor``, else the admin of ``token`` (or $RASTUP_TOKEN), else the local
    user. Closes the state database on exit."""
    settings = settings or Settings.from_env(lake=lake)
    root = resolve_lake(lake) if lake is not None else settings.lake
    layout = LakeLayout(root, work_dir)
    policy = load_privacy_policy(settings.privacy_path)
    state = open_state(settings.state_url or state_url_for_layout(layout))
    try:
        who = actor or authenticate_actor(state, token if token is not None else settings.token)
        yield PrivacyContext.over(layout, state, actor=who, policy=policy, env=settings.env)
    finally:
        state.close()

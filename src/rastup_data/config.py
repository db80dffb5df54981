"""Settings: the single place that reads environment variables.

Every variable is listed in ``docs/environment-variables.md``; a test keeps the two in
step. Command-line options override these values; :class:`FiniteFloatRange` is the type of
their number options (click's ``FloatRange`` lets ``nan`` through every bound and ``inf``
through any range without a maximum, which then failed inside a command).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

__all__ = [
    "ENV_VARS",
    "MAX_SQL_CHARS",
    "NODE_FOLDER",
    "REMOTE_LAKE_WORK_FOLDER",
    "FiniteFloatRange",
    "LakeRoot",
    "S3Settings",
    "Settings",
    "is_remote_lake",
    "parse_webhook_secrets",
    "resolve_cache_dir",
    "resolve_install_cache_dir",
    "resolve_lake",
    "resolve_work_dir",
    "select_env",
]

#: The default work folder's name inside the lake root (``<lake>/_node``).
NODE_FOLDER = "_node"

#: The longest SQL text the query gate reads (``governance.checker`` enforces it; the
#: collector's ``POST /v1/query`` documents it and sizes its body limit by it).
MAX_SQL_CHARS = 100_000

#: Every environment variable the platform reads, with its meaning and default.
ENV_VARS: dict[str, str] = {
    "RASTUP_LAKE": "Lake root: a folder, or s3://BUCKET/PREFIX for a lake on the S3 API "
    "(default: ./lake in the current directory).",
    "RASTUP_S3_ENDPOINT": "Endpoint URL of the S3 API for an s3:// lake, e.g. "
    "http://127.0.0.1:9000 for MinIO (default: AWS S3 itself).",
    "AWS_ACCESS_KEY_ID": "Access key for an s3:// lake (default: none, anonymous).",
    "AWS_SECRET_ACCESS_KEY": "Secret key for an s3:// lake.",
    "AWS_SESSION_TOKEN": "Session token for an s3:// lake with temporary credentials.",
    "AWS_REGION": "Region of an s3:// lake's bucket (default: AWS_DEFAULT_REGION, else us-east-1).",
    "AWS_DEFAULT_REGION": "Region used when AWS_REGION is not set.",
    "RASTUP_ENV": "Environment: selects the profile (thresholds, caps, budgets, schedule) and "
    "labels metrics and alerts: dev, test, stage or prod (default: dev; `rastup-data --env`).",
    "RASTUP_PROFILE": "An environment profile file to use instead of the shipped "
    "operations/environments/<env>.yaml.",
    "RASTUP_ALERT_RULES": "Alert rules file (default: the shipped operations/alerts.yaml).",
    "RASTUP_ALERT_WEBHOOK_URL": "URL the alert webhook sink posts firing and resolved alerts to "
    "(default: none; the log and the state database always get them).",
    "RASTUP_ALERT_WEBHOOK_SECRET": "Secret the alert webhook signs its bodies with "
    "(HMAC-SHA256, `X-Rastup-Signature`); required with RASTUP_ALERT_WEBHOOK_URL.",
    "RASTUP_INGEST_KEYS": "Comma-separated API keys accepted by the collector.",
    "RASTUP_WORK_DIR": "Node-local work folder: spool, state database, staging builds, dbt "
    "targets (default: <lake>/_node; ./rastup-work when the lake is on S3).",
    "RASTUP_CACHE_DIR": "This user's cache of derived files every lake on the machine shares "
    "(the dbt project's parse) (default: $XDG_CACHE_HOME/rastup-data, else "
    "~/.cache/rastup-data). Safe to delete.",
    "RASTUP_INSTALL_CACHE_DIR": "The environment's cache of derived files, made at install "
    "(`rastup-data build --parse-only --into-environment`, which `make setup` runs): a user "
    "cache without a dbt parse of its own starts from a copy of it (default: "
    "<python prefix>/share/rastup-data; set empty for none).",
    "RASTUP_STATE_URL": "State database URL (default: sqlite:///<work>/state/state.db).",
    "RASTUP_URL": "Collector base URL used by `send` and the SDK (default: http://127.0.0.1:8080).",
    "RASTUP_KEY": "API key used by `send` and the SDK.",
    "RASTUP_TOKEN": "Query-gate token used by `query`, `audit`, `cost` and `experiments`.",
    "RASTUP_EXPERIMENTS_DIR": "Folder of experiment definitions (default: ./experiments when "
    "present, else the examples shipped with the package).",
    "RASTUP_METRICS_CATALOG": "Metrics catalogue file (default: metrics/catalog.yaml beside "
    "the experiments folder).",
    "RASTUP_DASHBOARDS": "Folder of the dashboard definitions (*.yaml) and the BI refresh "
    "schedule (refresh.yaml) (default: the shipped dashboards/).",
    "RASTUP_POLICY": "Governance policy file (default: the shipped governance/policy.yaml).",
    "RASTUP_PRIVACY_POLICY": "Privacy settings file: DSAR deadlines, stores, retention "
    "(default: the shipped governance/privacy.yaml).",
    "RASTUP_WEBHOOK_SECRETS": "Provider webhook signing secrets, `provider=secret` pairs "
    "separated by commas (`payments=whsec_…,idv=whsec_…,email=whsec_…`); a provider may "
    "appear more than once while its secret rotates.",
}


#: Where a lake lives: a local folder, or an ``s3://bucket/prefix`` URL (a ``str``).
LakeRoot = Path | str

#: The default work folder of a machine whose lake is not a local folder.
REMOTE_LAKE_WORK_FOLDER = "rastup-work"


def is_remote_lake(lake: object) -> bool:
    """True for a lake on the S3 API (``s3://…``)."""
    return isinstance(lake, str) and lake[:5].lower() == "s3://"


def resolve_lake(
    lake: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> LakeRoot:
    """The lake root: the argument, else $RASTUP_LAKE, else ./lake. An ``s3://`` URL stays a
    string (without a trailing slash); anything else is an absolute local path."""
    env = os.environ if environ is None else environ
    value = lake if lake is not None else env.get("RASTUP_LAKE") or "lake"
    if is_remote_lake(value):
        return "s3://" + str(value)[5:].strip("/")
    return Path(value).expanduser().absolute()


def resolve_work_dir(
    lake: LakeRoot,
    work_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The node-local work folder: the argument, else $RASTUP_WORK_DIR, else <lake>/_node
    (``./rastup-work`` when the lake is on the S3 API)."""
    env = os.environ if environ is None else environ
    value = work_dir if work_dir is not None else env.get("RASTUP_WORK_DIR")
    if value:
        return Path(value).expanduser().absolute()
    if isinstance(lake, str):
        return Path(REMOTE_LAKE_WORK_FOLDER).absolute()
    return lake / NODE_FOLDER


def resolve_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """This user's cache folder: $RASTUP_CACHE_DIR, else $XDG_CACHE_HOME/rastup-data, else
    ~/.cache/rastup-data (derived files only: deleting it costs time, never data)."""
    env = os.environ if environ is None else environ
    value = env.get("RASTUP_CACHE_DIR")
    if value:
        return Path(value).expanduser().absolute()
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path("~/.cache").expanduser()
    return base.absolute() / "rastup-data"


@dataclass(frozen=True, slots=True)
class S3Settings:
    """How to reach the S3 API for an ``s3://`` lake (the usual AWS variables)."""

    endpoint: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if environ is None else environ
        return cls(
            endpoint=env.get("RASTUP_S3_ENDPOINT") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            access_key=env.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Process-wide settings read once from the environment."""

    lake: LakeRoot
    env: str = "dev"
    ingest_keys: frozenset[str] = field(default_factory=frozenset)
    state_url: str | None = None
    url: str = "http://127.0.0.1:8080"
    key: str | None = None
    token: str | None = None
    policy_path: Path | None = None
    privacy_path: Path | None = None
    #: Raw ``provider=secret,…`` text; ``parse_webhook_secrets`` reads it (serve does).
    webhook_secrets: str = ""
    profile_path: Path | None = None
    experiments_dir: Path | None = None
    metrics_catalog: Path | None = None
    alert_rules_path: Path | None = None
    alert_webhook_url: str | None = None
    alert_webhook_secret: str | None = None
    dashboards_dir: Path | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, lake: str | os.PathLike[str] | None = None
    ) -> Settings:
        env = os.environ if environ is None else environ
        keys = frozenset(
            k.strip() for k in env.get("RASTUP_INGEST_KEYS", "").split(",") if k.strip()
        )
        return cls(
            lake=resolve_lake(lake, env),
            env=env.get("RASTUP_ENV", "dev") or "dev",
            ingest_keys=keys,
            state_url=env.get("RASTUP_STATE_URL") or None,
            url=env.get("RASTUP_URL", "http://127.0.0.1:8080") or "http://127.0.0.1:8080",
            key=env.get("RASTUP_KEY") or None,
            token=env.get("RASTUP_TOKEN") or None,
            policy_path=Path(env["RASTUP_POLICY"]) if env.get("RASTUP_POLICY") else None,
            privacy_path=(
                Path(env["RASTUP_PRIVACY_POLICY"]) if env.get("RASTUP_PRIVACY_POLICY") else None
            ),
            webhook_secrets=env.get("RASTUP_WEBHOOK_SECRETS", ""),
            profile_path=_optional_path(env.get("RASTUP_PROFILE")),
            experiments_dir=_optional_path(env.get("RASTUP_EXPERIMENTS_DIR")),
            metrics_catalog=_optional_path(env.get("RASTUP_METRICS_CATALOG")),
            alert_rules_path=_optional_path(env.get("RASTUP_ALERT_RULES")),
            alert_webhook_url=env.get("RASTUP_ALERT_WEBHOOK_URL") or None,
            alert_webhook_secret=env.get("RASTUP_ALERT_WEBHOOK_SECRET") or None,
            dashboards_dir=_optional_path(env.get("RASTUP_DASHBOARDS")),
        )


def select_env(name: str) -> None:
    """Make ``name`` this process's environment (and its children's): ``rastup-data --env``."""
    os.environ["RASTUP_ENV"] = name


def _optional_path(value: str | None) -> Path | None:
    return Path(value).expanduser().absolute() if value else None


def parse_webhook_secrets(text: str) -> dict[str, tuple[str, ...]]:
    """``payments=whsec_a,idv=whsec_b,payments=whsec_c`` as {provider: (secrets…)}.

    Raises ValueError naming the malformed entry (never its secret).
    """
    found: dict[str, list[str]] = {}
    for position, item in enumerate(text.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        provider, sep, secret = item.partition("=")
        if not sep or not provider.strip() or not secret.strip():
            raise ValueError(
                f"webhook secret entry {position} is not provider=secret (e.g. payments=whsec_...)"
            )
        found.setdefault(provider.strip(), []).append(secret.strip())
    return {provider: tuple(values) for provider, values in found.items()}


class FiniteFloatRange(click.FloatRange):
    """A ``click.FloatRange`` of finite numbers only."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def resolve_install_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The environment's cache folder, made at install: $RASTUP_INSTALL_CACHE_DIR, else
    <python prefix>/share/rastup-data; None when the variable is set empty (no such cache)."""
    env = os.environ if environ is None else environ
    value = env.get("RASTUP_INSTALL_CACHE_DIR")
    if value is None:
        return Path(sys.prefix) / "share" / "rastup-data"
    return Path(value).expanduser().absolute() if value else None

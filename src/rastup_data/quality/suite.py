"""The default quality suite, derived from the dbt project's declarations, and suites
loaded from YAML/JSON records.

Nothing here lists models: which relations are watched for volume and freshness, which
columns hold money (the ``financial`` tag), which rates are bounded and which further
checks a model carries all come from the schema.yml files through the dbt manifest
(:class:`~rastup_data.quality.catalog.QualityCatalog`; docs/quality.md, "Declaring
quality in schema.yml"). Checks dbt already runs as data tests are not derived again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from rastup_data.errors import ErrorCode, RastupError
from rastup_data.quality.catalog import DeclaredModel, QualityCatalog, names
from rastup_data.quality.model import CheckKind, CheckSeverity, CheckSpec

__all__ = [
    "RECON_VARIANCE_ALERT",
    "default_suite",
    "load_suite",
    "suite_from_records",
]

ERROR = CheckSeverity.ERROR
WARN = CheckSeverity.WARN

#: Alert signal of a day whose reconciliation variance exceeds the money in flight
#: (declared on gold.ops_recon_daily in its schema.yml).
RECON_VARIANCE_ALERT = "recon_variance_exceeds_money_in_flight"

_LAYERS = {"bronze": 0, "silver": 1, "gold": 2}
#: Layers whose tables are judged on whole days only: their rows have no time of day.
_DAY_GRAINED = frozenset({"gold"})


def default_suite(catalog: QualityCatalog) -> tuple[CheckSpec, ...]:
    """The checks a build is audited with, derived from the catalog (docs/quality.md)."""
    ordered = sorted(catalog.models, key=lambda m: (_LAYERS.get(m.schema, 9), m.relation))
    return tuple(spec for model in ordered for spec in _model_checks(model))


def _model_checks(model: DeclaredModel) -> list[CheckSpec]:
    return [
        *_volume(model),
        *_freshness(model),
        *_key(model),
        *_money(model),
        *_rates(model),
        *_declared(model),
    ]


def _setting(model: DeclaredModel, key: str) -> dict[str, Any] | None:
    """``meta.quality.<key>`` as params: None when off; on by default for the Gold marts."""
    default = model.schema in _DAY_GRAINED and model.has("dt")
    value = model.quality.get(key, default)
    if value is False or value is None:
        return None
    if value is True:
        return {}
    if not isinstance(value, Mapping):
        raise _bad_declaration(model, f"meta.quality.{key} must be true, false or a mapping")
    return dict(value)


def _severity(
    model: DeclaredModel, params: dict[str, Any], default: CheckSeverity
) -> CheckSeverity:
    value = params.pop("severity", default.value)
    try:
        return CheckSeverity(value)
    except ValueError:
        raise _bad_declaration(model, f"severity must be warn or error, got {value!r}") from None


def _time_column(model: DeclaredModel) -> str | None:
    if model.schema in _DAY_GRAINED:
        return None
    declared = model.quality.get("time_column")
    if isinstance(declared, str):
        return declared
    return "occurred_at" if model.has("occurred_at") else None


def _volume(model: DeclaredModel) -> list[CheckSpec]:
    params = _setting(model, "volume")
    if params is None:
        return []
    # Gold marts only warn: a business drop is news, not a broken build.
    default = WARN if model.schema in _DAY_GRAINED else ERROR
    severity = _severity(model, params, default)
    base: dict[str, Any] = {"time_column": _time_column(model)}
    if model.has("dt"):
        base["date_column"] = "dt"
    return [
        CheckSpec(
            f"{model.relation}.volume",
            CheckKind.VOLUME,
            severity,
            model.relation,
            {**base, **params},
        )
    ]


def _freshness(model: DeclaredModel) -> list[CheckSpec]:
    params = _setting(model, "freshness")
    if params is None:
        return []
    # A stale or empty Gold mart only warns: its Silver facts and Bronze sources block.
    severity = _severity(model, params, WARN if model.schema in _DAY_GRAINED else ERROR)
    time_column = _time_column(model)
    columns = tuple(c for c in (time_column, "dt") if c is not None and model.has(c))
    base: dict[str, Any] = {"time_columns": columns or ("occurred_at", "dt")}
    if model.source is not None:
        warn, error = model.source.freshness_hours
        base |= {k: v for k, v in (("warn_after_hours", warn), ("error_after_hours", error)) if v}
    return [
        CheckSpec(
            f"{model.relation}.freshness",
            CheckKind.FRESHNESS,
            severity,
            model.relation,
            {**base, **params},
        )
    ]


def _key(model: DeclaredModel) -> list[CheckSpec]:
    """A declared key, unless dbt tests already make it unique and not null."""
    key = names(model.quality.get("key") or (), model.relation, "key")
    specs: list[CheckSpec] = []
    if key and not model.dbt_makes_unique(key):
        specs.append(
            CheckSpec(
                f"{model.relation}.key_unique",
                CheckKind.UNIQUENESS,
                ERROR,
                model.relation,
                {"columns": key},
            )
        )
    if key and not model.dbt_makes_not_null(key):
        specs.append(
            CheckSpec(
                f"{model.relation}.key_not_null",
                CheckKind.NOT_NULL,
                ERROR,
                model.relation,
                {"columns": key},
            )
        )
    return specs


def _money(model: DeclaredModel) -> list[CheckSpec]:
    """Every ``financial`` amount column (``*_cents``) is never negative."""
    if model.source is not None:
        return []  # Bronze keeps money inside the payload JSON
    signed = set(names(model.quality.get("signed") or (), model.relation, "signed"))
    money = tuple(c for c in model.financial if c.endswith("_cents") and c not in signed)
    if not money:
        return []
    return [
        CheckSpec(
            f"{model.relation}.money_non_negative",
            CheckKind.DISTRIBUTION,
            ERROR,
            model.relation,
            {"columns": money, "min": 0},
        )
    ]


def _rates(model: DeclaredModel) -> list[CheckSpec]:
    """``rates`` are subsets of their denominator's rows (error outside [0, 1]);
    ``daily_rates`` divide events counted on their own day and may cross 1 at midnight
    (warn)."""
    specs: list[CheckSpec] = []
    for key, suffix, severity in (
        ("rates", "rates_in_unit_interval", ERROR),
        ("daily_rates", "daily_rates_in_unit_interval", WARN),
    ):
        columns = names(model.quality.get(key) or (), model.relation, key)
        if columns:
            specs.append(
                CheckSpec(
                    f"{model.relation}.{suffix}",
                    CheckKind.DISTRIBUTION,
                    severity,
                    model.relation,
                    {"columns": columns, "min": 0, "max": 1},
                )
            )
    return specs


def _declared(model: DeclaredModel) -> tuple[CheckSpec, ...]:
    """``meta.quality.checks``: records as in a YAML suite; the name is prefixed with the
    relation and ``table`` defaults to it."""
    records = model.quality.get("checks") or []
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise _bad_declaration(model, "meta.quality.checks must be a list of check records")
    return suite_from_records(
        {"table": model.relation, **record, "name": f"{model.relation}.{record.get('name')}"}
        for record in records
    )


def _bad_declaration(model: DeclaredModel, problem: str) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"{model.relation}: {problem}. To fix this, correct the model's schema.yml "
        "(docs/quality.md, 'Declaring quality in schema.yml').",
    )


def suite_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[CheckSpec, ...]:
    """Specs from records ``{name, kind, severity, table, params?, description?, alert?}``."""
    specs: list[CheckSpec] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise _bad_record(index, "is not a mapping")
        missing = [key for key in ("name", "kind", "severity", "table") if key not in record]
        if missing:
            raise _bad_record(index, f"lacks {', '.join(missing)}")
        try:
            kind = CheckKind(record["kind"])
        except ValueError:
            raise _bad_record(
                index,
                f"has unknown kind {record['kind']!r} (use one of "
                f"{', '.join(k.value for k in CheckKind)})",
            ) from None
        try:
            severity = CheckSeverity(record["severity"])
        except ValueError:
            raise _bad_record(
                index, f"has unknown severity {record['severity']!r} (use warn or error)"
            ) from None
        params = record.get("params") or {}
        if not isinstance(params, Mapping):
            raise _bad_record(index, "has params that are not a mapping")
        specs.append(
            CheckSpec(
                name=str(record["name"]),
                kind=kind,
                severity=severity,
                table=str(record["table"]),
                params=dict(params),
                description=str(record.get("description", "")),
                alert=str(record.get("alert") or ""),
            )
        )
    return tuple(specs)


def load_suite(path: str | Path) -> tuple[CheckSpec, ...]:
    """Read a suite from a YAML (or JSON) file holding a list of check records."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"cannot read quality suite {file}: {exc}. To fix this, point at a YAML list "
            "of checks.",
        ) from exc
    if isinstance(data, Mapping) and "checks" in data:
        data = data["checks"]
    if not isinstance(data, list):
        raise RastupError(
            ErrorCode.CONFIG_INVALID,
            f"quality suite {file} must hold a list of checks (or a 'checks:' list).",
        )
    return suite_from_records(data)


def _bad_record(index: int, problem: str) -> RastupError:
    return RastupError(
        ErrorCode.CONFIG_INVALID,
        f"quality check #{index + 1} {problem}. To fix this, give each check name, kind, "
        "severity, table and params.",
    )

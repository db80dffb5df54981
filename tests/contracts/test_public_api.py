"""The curated public surface of rastup_data.contracts."""

from __future__ import annotations

import rastup_data.contracts as contracts


def test_public_names_are_stable_and_importable() -> None:
    assert sorted(contracts.__all__) == sorted(
        [
            "DEFAULT_REGISTRY_PATH",
            "Adapters",
            "BreakingChange",
            "EventSchema",
            "EventValidator",
            "LintProblem",
            "PiiFinding",
            "Registry",
            "Rejection",
            "diff_registries",
            "diff_schemas",
            "find_pii",
            "lint_registry",
            "load_adapters",
            "load_registry",
            "load_validator",
            "scan_pii",
        ]
    )
    for name in contracts.__all__:
        assert getattr(contracts, name) is not None


def test_rejection_is_a_frozen_record() -> None:
    from dataclasses import FrozenInstanceError

    import pytest

    from rastup_data.errors import ErrorCode

    rejection = contracts.Rejection(ErrorCode.EVENT_UNKNOWN, "m")
    with pytest.raises(FrozenInstanceError):
        rejection.message = "other"  # type: ignore[misc]


def test_collector_call_shape() -> None:
    validator = contracts.load_validator()
    assert isinstance(validator, contracts.EventValidator)
    example = next(iter(contracts.load_registry())).examples[0]
    assert validator.check(dict(example)) is None

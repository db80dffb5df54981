"""`contracts check --against REV` on a real temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.contracts import DEFAULT_REGISTRY_PATH, diff_registries, load_registry
from rastup_data.contracts.git_snapshot import registry_documents_at
from rastup_data.contracts.loader import parse_registry

CANCELLED = "events/booking.leg.cancelled/v1.json"
CONFIRMED = "events/booking.confirmed/v1.json"


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Registry Test",
        "GIT_AUTHOR_EMAIL": "registry-test@example.invalid",
        "GIT_COMMITTER_NAME": "Registry Test",
        "GIT_COMMITTER_EMAIL": "registry-test@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the registry under schemas/registry, committed."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    shutil.copytree(DEFAULT_REGISTRY_PATH, root / "schemas" / "registry")
    (root / "README.md").write_text("test repo\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "registry v1")
    return root


def _check(registry: Path, revision: str) -> Any:
    return CliRunner().invoke(
        cli, ["contracts", "check", "--against", revision, "--registry", str(registry)]
    )


def test_snapshot_at_revision_matches_the_committed_files(repo: Path) -> None:
    registry = repo / "schemas" / "registry"
    documents = registry_documents_at("HEAD", registry)
    on_disk = {
        path.relative_to(registry).as_posix(): path.read_bytes()
        for path in registry.rglob("*.json")
    }
    assert documents == on_disk
    assert len(documents) == 44


def test_breaking_edits_fail_the_check_with_each_change_listed(
    repo: Path, edit_schema: Any
) -> None:
    registry = repo / "schemas" / "registry"
    base = _git(repo, "rev-parse", "HEAD")
    edit_schema(registry, CANCELLED, lambda d: d["properties"].pop("reason"))
    edit_schema(
        registry,
        CONFIRMED,
        lambda d: d["properties"]["leg_count"].update(type="string"),
    )
    (registry / "events" / "payout.paid" / "v1.json").unlink()
    _git(repo, "commit", "-q", "-am", "breaking edits")

    previous, _ = parse_registry(registry_documents_at(base, registry))
    changes = diff_registries(previous, load_registry(registry))
    assert sorted((c.source, c.kind) for c in changes) == [
        ("events/booking.confirmed/v1.json", "type_changed"),
        ("events/booking.leg.cancelled/v1.json", "property_removed"),
        ("events/payout.paid/v1.json", "event_removed"),
    ]

    result = _check(registry, base)
    assert result.exit_code == 1
    assert "CONTRACT_BREAKING_CHANGE" in result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    assert len(lines) == 3
    assert any("booking.leg.cancelled/v1.json: $.properties.reason:" in line for line in lines)


def test_uncommitted_changes_are_compared_with_the_revision(repo: Path, edit_schema: Any) -> None:
    registry = repo / "schemas" / "registry"
    edit_schema(registry, CANCELLED, lambda d: d["required"].append("note"))
    result = _check(registry, "HEAD")
    assert result.exit_code == 1
    assert "$.required: new required property 'note'" in result.stdout


def test_new_versions_new_events_and_widening_pass(
    repo: Path, edit_schema: Any, write_json: Any
) -> None:
    registry = repo / "schemas" / "registry"
    v2 = (registry / CANCELLED).read_bytes().replace(b"/v1.json", b"/v2.json")
    (registry / "events/booking.leg.cancelled/v2.json").write_bytes(v2)
    edit_schema(
        registry, "events/booking.leg.cancelled/v2.json", lambda d: d["properties"].pop("reason")
    )
    edit_schema(
        registry, CONFIRMED, lambda d: d["properties"].update(coupon_code={"type": "string"})
    )
    edit_schema(
        registry,
        "events/comms.sent/v1.json",
        lambda d: d["properties"]["channel"]["enum"].append("whatsapp"),
    )
    write_json(registry / "events/booking.rated/v1.json", {"type": "object"})
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "compatible edits")
    result = _check(registry, "HEAD~1")
    assert result.exit_code == 0, result.output
    assert "no breaking changes" in result.stdout


def test_registry_absent_at_revision_means_everything_is_new(repo: Path) -> None:
    (repo / "other").mkdir()
    shutil.copytree(repo / "schemas" / "registry", repo / "other" / "registry")
    assert registry_documents_at("HEAD", repo / "other" / "registry") == {}
    result = _check(repo / "other" / "registry", "HEAD")
    assert result.exit_code == 0, result.output


def test_unknown_revision_and_non_git_folder_are_usage_errors(
    repo: Path, registry_copy: Path
) -> None:
    result = _check(repo / "schemas" / "registry", "no-such-branch")
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.stderr
    assert "no-such-branch" in result.stderr
    outside = _check(registry_copy, "HEAD")
    assert outside.exit_code == 2
    assert "CONFIG_INVALID" in outside.stderr


def test_registry_at_the_repository_root(tmp_path: Path, edit_schema: Any) -> None:
    root = tmp_path / "registry-repo"
    shutil.copytree(DEFAULT_REGISTRY_PATH, root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "registry")
    assert len(registry_documents_at("HEAD", root)) == 44
    edit_schema(root, CONFIRMED, lambda d: d["properties"]["currency"].update(pattern="^USD$"))
    result = _check(root, "HEAD")
    assert result.exit_code == 1
    assert "$.properties.currency.pattern" in result.stdout

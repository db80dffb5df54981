"""`rastup-data serve` refuses unsafe or invalid configurations before listening."""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from rastup_data.cli import cli
from rastup_data.collector.runtime import CollectorConfig, CollectorRuntime
from rastup_data.collector.server import CollectorServer, ServerOptions, is_loopback
from rastup_data.errors import ErrorCode, RastupError


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("localhost")
    assert is_loopback("::1")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("10.1.2.3")
    assert not is_loopback("example.org")


def test_no_keys_on_a_public_address_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--lake", str(tmp_path), "--host", "0.0.0.0"], env={"RASTUP_INGEST_KEYS": ""}
    )
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.output
    assert "RASTUP_INGEST_KEYS" in result.output


def test_a_broken_config_file_is_a_coded_error(tmp_path: Path) -> None:
    config = tmp_path / "rastup.toml"
    config.write_text("[collector\ningest_keys = [")
    result = CliRunner().invoke(cli, ["serve", "--lake", str(tmp_path), "--config", str(config)])
    assert result.exit_code == 2
    assert "CONFIG_INVALID" in result.output
    config.write_text("[collector.limits]\nmax_event_bites = 5\n")
    result = CliRunner().invoke(cli, ["serve", "--lake", str(tmp_path), "--config", str(config)])
    assert result.exit_code == 2
    assert "max_event_bites" in result.output


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("[collector]\ningest_keys = 5\n", "ingest_keys must be a list of keys"),
        ('[collector]\ningest_key = ["k"]\n', "[collector] has no key 'ingest_key'"),
        ('[collector]\ndedupe_window_s = "1h"\n', "dedupe_window_s must be a number, got '1h'"),
        ("[collector]\nworkers = 0\n", "workers must be between 1 and 64, got 0"),
        ("[collector]\nvalidation_workers = 2.5\n", "validation_workers must be a whole number"),
        ("[collector]\nlimits = 5\n", "[collector.limits] must be a table"),
        ("[collector.limits]\nmax_body_bytes = -1\n", "limits.max_body_bytes must be more than 0"),
        ('[collector.http]\nbody_timeout_s = "60s"\n', "http.body_timeout_s must be a number"),
        ("[collector.spool]\nrotate_bytes = true\n", "spool.rotate_bytes must be a whole number"),
        ("[collector.spool]\nrotate_s = 1e20\n", "spool.rotate_s must be more than 0 and at most"),
    ],
)
def test_a_config_value_of_the_wrong_kind_is_refused_naming_its_key(
    tmp_path: Path, toml: str, says: str
) -> None:
    config = tmp_path / "rastup.toml"
    config.write_text(toml)
    result = CliRunner().invoke(
        cli, ["serve", "--lake", str(tmp_path / "lake"), "--config", str(config), "--port", "0"]
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"CONFIG_INVALID: {config}: {says}" in result.stderr
    assert "collector on http" not in result.output, "it started listening"


def test_the_documented_config_file_is_accepted_whole(tmp_path: Path) -> None:
    from rastup_data.collector.config_file import load_collector_config

    doc = (Path(__file__).parents[2] / "docs" / "environment-variables.md").read_text()
    example = doc.split("## Collector config file", 1)[1].split("```toml\n", 1)[1]
    config = tmp_path / "rastup.toml"
    config.write_text(example.split("```", 1)[0])
    section = load_collector_config(config)
    assert section == tomllib.loads(config.read_text())["collector"]
    assert set(section) == {
        "ingest_keys", "dedupe_window_s", "workers", "validation_workers",
        "limits", "http", "spool", "webhook_secrets",
    }  # fmt: skip


def test_an_s3_lake_that_does_not_answer_is_refused_before_listening(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["serve", "--lake", "s3://bucket/lake", "--work-dir", str(tmp_path), "--port", "0"],
        env={"RASTUP_S3_ENDPOINT": "http://127.0.0.1:1", "RASTUP_INGEST_KEYS": "k"},
    )
    assert result.exit_code == 2, result.output
    assert "STORAGE_UNAVAILABLE: cannot reach s3://bucket/lake" in result.stderr
    assert "collector on http" not in result.output, "it started listening"
    assert "Traceback" not in result.output


def test_the_server_builder_refuses_no_keys_off_loopback(tmp_path: Path) -> None:
    """The rule lives in the one server builder, so the demo and workers keep it too."""
    runtime = CollectorRuntime(CollectorConfig(lake=tmp_path / "lake"))
    with pytest.raises(RastupError) as info:
        CollectorServer(runtime, ServerOptions(host="0.0.0.0", port=0))
    assert info.value.code is ErrorCode.CONFIG_INVALID
    keyed = CollectorRuntime(CollectorConfig(lake=tmp_path / "lake", keys=frozenset({"k"})))
    CollectorServer(keyed, ServerOptions(host="0.0.0.0", port=0))  # allowed with a key


def test_webhook_secrets_merge_env_and_config_and_refuse_malformed_ones() -> None:
    from rastup_data.collector.cli import _webhook_secrets
    from rastup_data.errors import ErrorCode, RastupError

    merged = _webhook_secrets(
        "payments=whsec_env,idv=whsec_i",
        {"webhook_secrets": {"payments": ["whsec_file", "whsec_env"], "email": "whsec_e"}},
    )
    assert merged == {
        "payments": ("whsec_env", "whsec_file"),
        "idv": ("whsec_i",),
        "email": ("whsec_e",),
    }
    for env, section in (("payments", {}), ("", {"webhook_secrets": {"idv": [1]}})):
        with pytest.raises(RastupError) as caught:
            _webhook_secrets(env, section)
        assert caught.value.code is ErrorCode.CONFIG_INVALID


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_busy_port_is_a_one_line_error_with_a_fitting_hint(tmp_path: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(
            cli,
            ["serve", "--lake", str(tmp_path / "lake"), "--port", port, "--workers", workers],
            env={"RASTUP_INGEST_KEYS": "k"},
        )
    assert result.exit_code == 2, result.output
    assert f"CONFIG_INVALID: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "hint: another program holds that port" in result.stderr
    assert "Traceback" not in result.output
    assert "environment-variables" not in result.stderr

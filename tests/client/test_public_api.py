"""The curated public surface of rastup_data.client."""

from __future__ import annotations

import rastup_data.client as client


def test_public_names() -> None:
    assert sorted(client.__all__) == sorted(
        [
            "DEFAULT_MAX_BODY_BYTES",
            "MAX_EVENTS_PER_REQUEST",
            "BatchDeliverer",
            "BatchFailure",
            "BatchResult",
            "EventVerdict",
            "FailedBatch",
            "Rejection",
            "RetryPolicy",
            "SendSummary",
            "send_file",
            "send_lines",
        ]
    )
    for name in client.__all__:
        assert getattr(client, name) is not None


def test_send_is_the_registered_cli_command() -> None:
    from rastup_data.cli import COMMANDS
    from rastup_data.client.cli import send

    load, _ = COMMANDS["send"]
    assert load() is send
    assert send.name == "send"

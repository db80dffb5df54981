"""The curated public surface of rastup_data.sdk."""

from __future__ import annotations

import inspect

import rastup_data.sdk as sdk


def test_public_names() -> None:
    assert sorted(sdk.__all__) == [
        "Client",
        "ClientStats",
        "DeliveryProblem",
        "build_envelope",
        "close",
        "flush",
        "get_client",
        "init",
        "rfc3339_utc_ms",
        "stats",
        "track",
    ]


def test_module_track_mirrors_client_track() -> None:
    module_params = inspect.signature(sdk.track).parameters
    client_params = dict(inspect.signature(sdk.Client.track).parameters)
    client_params.pop("self")
    assert list(module_params) == list(client_params)

"""The ingest benchmarks send what they say: Segment bodies carry the same events."""

from __future__ import annotations

import gc
import pickle
from functools import partial
from pathlib import Path

import orjson
import pytest
from benchmarks._common import catalogue_events
from benchmarks.bench_ingest import request_bodies, target

from rastup_data.collector.segment import load_mapping, read_segment_request
from rastup_data.ingest.limits import IngestLimits


def test_segment_bodies_map_back_to_the_native_events() -> None:
    lines = catalogue_events(120)
    native = request_bodies(lines, 50, "json")
    segment = request_bodies(lines, 50, "segment")
    assert len(native) == len(segment) == 3
    mapping = load_mapping()
    for array, batch in zip(native, segment, strict=True):
        request = read_segment_request(batch, None, IngestLimits())
        mapped = [
            mapping.envelope(message, partial(request.texts.of, index), None, None, "x")
            for index, message in enumerate(request.messages)
        ]
        assert mapped == orjson.loads(array)
    assert (target("segment").path, target("segment").stored) == ("/v1/batch", 200)
    assert (target("json").path, target("json").stored) == ("/v1/events", 202)


@pytest.mark.parametrize("kind", ["json", "segment"])
def test_the_counted_request_path_stores_every_event_or_stops(kind: str, tmp_path: Path) -> None:
    """``count_ingest_instructions --path request`` posts each body, in 64 KiB chunks, to
    its endpoint and goes on only while every event is stored: a body sent again (all
    duplicates) stops it."""
    from benchmarks import count_ingest_instructions as counted

    bodies = request_bodies(catalogue_events(600), 300, kind)
    assert min(map(len, bodies)) > counted._CHUNK  # more than one chunk each
    bodies_file = tmp_path / "bodies.pickle"
    bodies_file.write_bytes(pickle.dumps(bodies))
    counted.run_bodies(kind, counted.Options(path="request"), bodies_file, len(bodies))
    assert gc.isenabled()  # paused for the count only, and restored
    bodies_file.write_bytes(pickle.dumps([bodies[0], bodies[0]]))
    with pytest.raises(SystemExit, match="duplicates"):
        counted.run_bodies(kind, counted.Options(path="request"), bodies_file, 2)
    assert gc.isenabled()  # restored when the count stops too

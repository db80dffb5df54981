"""The ingest benchmarks send what they say: Segment bodies carry the same events."""

from __future__ import annotations

from functools import partial

import orjson
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

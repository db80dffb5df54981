"""The lander: sealed spool segments into Bronze Parquet, plus direct loads and replay."""

from rastup_data.lander.direct import DirectLoad as DirectLoad
from rastup_data.lander.direct import land_ndjson as land_ndjson
from rastup_data.lander.landing import LandResult as LandResult
from rastup_data.lander.landing import land_segment as land_segment

__all__ = ["DirectLoad", "LandResult", "land_ndjson", "land_segment"]

"""The lake: layout, atomic Parquet IO, manifest and compaction."""

from rastup_data.lake.layout import LakeLayout as LakeLayout

__all__ = ["LakeLayout"]

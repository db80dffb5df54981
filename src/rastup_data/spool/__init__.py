"""The collector's durable write-ahead spool."""

from rastup_data.spool.segments import SegmentFiles as SegmentFiles
from rastup_data.spool.spool import Spool as Spool
from rastup_data.spool.spool import SpoolConfig as SpoolConfig
from rastup_data.spool.spool import SpoolFull as SpoolFull

__all__ = ["SegmentFiles", "Spool", "SpoolConfig", "SpoolFull"]

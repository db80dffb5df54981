"""Storage: the one owner of durable file writes, pointers, append logs and locks.

``Storage`` is the protocol (keys are relative POSIX paths under a root); ``LocalStorage``
implements it on a folder, ``S3Storage`` on the S3 API. The POSIX primitives (``atomic_write``,
``fsync_path``, ``FdLock``) are for node-local writers that are not keyed files of a store, such
as the spool.
"""

from rastup_data.storage.base import ObjectInfo as ObjectInfo
from rastup_data.storage.base import Storage as Storage
from rastup_data.storage.base import check_key as check_key
from rastup_data.storage.base import join_key as join_key
from rastup_data.storage.local import LocalStorage as LocalStorage
from rastup_data.storage.s3 import S3Options as S3Options
from rastup_data.storage.s3 import S3Storage as S3Storage
from rastup_data.storage.s3 import StorageUnavailable as StorageUnavailable
from rastup_data.storage.s3 import is_s3_url as is_s3_url

__all__ = [
    "LocalStorage",
    "ObjectInfo",
    "S3Options",
    "S3Storage",
    "Storage",
    "StorageUnavailable",
    "check_key",
    "is_s3_url",
    "join_key",
]

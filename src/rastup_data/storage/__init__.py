"""Storage: the one owner of durable file writes, pointers, append logs and locks.

``Storage`` is the protocol (keys are relative POSIX paths under a root); ``LocalStorage``
implements it on a folder. The POSIX primitives (``atomic_write``, ``fsync_path``, ``FdLock``)
are for node-local writers that are not keyed files of a store, such as the spool.
"""

from rastup_data.storage.base import ObjectInfo as ObjectInfo
from rastup_data.storage.base import Storage as Storage
from rastup_data.storage.base import check_key as check_key
from rastup_data.storage.base import join_key as join_key
from rastup_data.storage.local import LocalStorage as LocalStorage

__all__ = ["LocalStorage", "ObjectInfo", "Storage", "check_key", "join_key"]

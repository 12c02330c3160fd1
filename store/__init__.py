"""The Manager's store: pydantic records as TinyDB documents, committed atomically.

Partitioned so a commit costs the same with a hundred or a hundred thousand
records behind it, locked so several processes can write, and with an
append-only, hash-chained change log. See ``store.store`` for the layout.
"""

from store.chain import LogVerification
from store.errors import EngineBusy, NotFound, StoreCorrupt, StoreError
from store.store import Store

__all__ = ["EngineBusy", "LogVerification", "NotFound", "Store", "StoreCorrupt", "StoreError"]

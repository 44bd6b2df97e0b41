"""The article store: a small interface (`Store`) with SQLite behind it."""

from newsdesk.store.base import Store
from newsdesk.store.sqlite import SqliteStore, open_store

__all__ = ["SqliteStore", "Store", "open_store"]

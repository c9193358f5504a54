"""SQLite backend: the embedded default, one file per service, zero set-up.

`database` opens the file; `connections` says which of its connections runs what, and why;
`events` and `views` are the two stores on it; `schema` is its tables.
"""

from sipokat.events.store.sqlite.database import SqliteDatabase
from sipokat.events.store.sqlite.events import SqliteEventStore
from sipokat.events.store.sqlite.views import SqliteViewStore

__all__ = ["SqliteDatabase", "SqliteEventStore", "SqliteViewStore"]

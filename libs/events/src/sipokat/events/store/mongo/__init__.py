"""MongoDB backend through PyMongo's async API, for production and scale-out.

Needs a replica set (a single-node one is enough): appends and `apply_once` are multi-document
transactions. `client` holds the connection settings and the read and write concerns,
`transactions` the bounded retry, `errors` what the contract's callers get for a driver
failure; `events` and `views` are the two stores. docs/decisions.md ("MongoDB") says why each
is as it is, with the documentation it rests on.
"""

from sipokat.events.store.mongo.database import MongoDatabase
from sipokat.events.store.mongo.events import MongoEventStore
from sipokat.events.store.mongo.views import MongoViewStore

__all__ = ["MongoDatabase", "MongoEventStore", "MongoViewStore"]

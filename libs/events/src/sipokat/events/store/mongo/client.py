"""How a service connects to MongoDB: the client's settings and the concerns every call uses.

Reads and writes outside transactions take the database handle's concerns, transactions take
`TRANSACTION`; neither depends on the server's defaults nor on the URL (docs/decisions.md,
"MongoDB", gives the documentation each rests on).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from pymongo import AsyncMongoClient
from pymongo.client_session_shared import TransactionOptions
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import ReadPreference
from pymongo.write_concern import WriteConcern

# A readiness check or a request gives up after this while no primary is known (an election
# takes about 10-12 s): the caller gets StoreUnavailable and retries, never hangs for 30 s.
SERVER_SELECTION_SECONDS: Final = 5.0
# Every operation's bound (PyMongo's client-side operation timeout, CSOT): selection, the
# connection, the server's work and the wait for a majority to acknowledge a write.
OPERATION_SECONDS: Final = 10.0
# One transaction (an append group, an apply_once) with every retry of it.
TRANSACTION_SECONDS: Final = 5.0
PING_SECONDS: Final = 3.0
# Index builds at open run longer than any one operation may on a large collection.
INDEX_BUILD_SECONDS: Final = 600.0

# Reads see only what a majority holds: what they return survives a failover. After one, a
# write the old primary had not replicated is rolled back; a relay that had read it would
# have published an event that then vanished, and saved its checkpoint past positions the
# new primary hands out again (their events never published). Catch-ups read the same way.
READ: Final = ReadConcern("majority")
# A write is acknowledged once a majority holds it, whatever the server's default (w:1 in a
# set with an arbiter): an acknowledged write is never rolled back. The wait is bounded by
# OPERATION_SECONDS (CSOT supersedes wtimeout, which PyMongo deprecates and then drops).
WRITE: Final = WriteConcern("majority")
TRANSACTION: Final = TransactionOptions(
    read_concern=ReadConcern("snapshot"),
    write_concern=WRITE,
    read_preference=ReadPreference.PRIMARY,
)


def client_options(url: str, app: str) -> dict[str, Any]:
    """The client's keyword options: these defaults, except where the URL sets its own."""
    given = {name.lower() for name, _ in parse_qsl(urlsplit(url).query)}
    defaults: dict[str, Any] = {
        "serverSelectionTimeoutMS": int(SERVER_SELECTION_SECONDS * 1000),
        "connectTimeoutMS": int(SERVER_SELECTION_SECONDS * 1000),
        "timeoutMS": int(OPERATION_SECONDS * 1000),
        "appname": app,
        "retryWrites": True,
        "retryReads": True,
    }
    options = {name: value for name, value in defaults.items() if name.lower() not in given}
    return {**options, "uuidRepresentation": "standard", "tz_aware": True}


def connect(url: str, app: str) -> AsyncMongoClient[dict[str, Any]]:
    """A client (it connects on first use); `app` names it in the server's logs (appname)."""
    return AsyncMongoClient(url, **client_options(url, app))

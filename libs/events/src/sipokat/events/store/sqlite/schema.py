"""The tables of a service's SQLite file: its event store's and its views'."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    stream_id      TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT NOT NULL,
    routing_key    TEXT NOT NULL,
    body           BLOB NOT NULL,
    publish        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (stream_id, stream_version)
);
-- The relay's read: its checkpoint stays at the last event it published, so without this the
-- unpublished rows after it would be scanned again on every poll.
CREATE INDEX IF NOT EXISTS events_publishable ON events (position) WHERE publish = 1;
CREATE TABLE IF NOT EXISTS leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS view_documents (
    collection TEXT NOT NULL,
    key        TEXT NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied_events (
    event_id TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS set_aside (
    reader       TEXT NOT NULL,
    key          TEXT NOT NULL,
    body         BLOB NOT NULL,
    reason       TEXT NOT NULL,
    set_aside_at TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    stream_id    TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    PRIMARY KEY (reader, key)
) WITHOUT ROWID;
"""

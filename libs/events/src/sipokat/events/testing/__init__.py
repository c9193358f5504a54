"""Test support for code built on `sipokat.events`: fixtures, builders and polling helpers.

Fixtures (function scope unless said):

- `rabbitmq_url` (session): `RABBITMQ_URL`, default `amqp://guest:guest@127.0.0.1/`; when that
  broker does not answer and Docker runs, a testcontainers RabbitMQ. Neither: the test FAILS
  (DESIGN §8: a missing broker is a failure, never a skip).
- `rabbitmq_broker` (session): the same broker with `stop_app()` / `start_app()` for fault tests.
- `topology`: a `TrackedTopology` with a unique `test-<hex>` prefix, so tests never touch the
  production `sipokat.*` names; on teardown every exchange and queue it named is deleted.
- `store_backend`: "sqlite" and "mongodb" (the latter skipped, with the reason, when there is no
  `MONGODB_URL` and no Docker). Override it in a conftest to pin one backend, or with
  `EVERY_BACKEND` to add "memory" (`sipokat.events.store.memory`), as the contract suite does;
  a test marked `durable` (it reopens or crashes a store) is skipped for memory.
- `database_factory`: opens handles on one fresh store of `store_backend` (a SQLite file in
  tmp_path, or a fresh MongoDB database dropped afterwards); every handle is closed on teardown.
- `database`: the first handle of `database_factory`; `sqlite_database`: always SQLite.
- `rerun_effects`: every view store's effects run once into an aborted transaction and then for
  real, as MongoDB's `with_transaction` may run them (`effects`); `--rerun-effects` turns it on
  for every test of a run. `RerunEffects` (`RerunEffectsDatabase`) wraps one `ViewStore`
  (`Database`) the same way.

Helpers: `eventually` (poll until true), `running` (run relays/consumers in the background),
`delete_topology`, builders of valid envelopes for every event type (`make_submitted`, ...),
and `ReportStream`, one report's stream built event by event at chosen moments.

Modules: `polling`, `broker`, `stores`, `builders`, `effects` (and `containers`); all of it is
importable from here. Load it from the top-level conftest (`pytest_plugins =
["sipokat.events.testing"]`); pytest refuses `pytest_plugins` in a conftest below the rootdir, so
there import the fixtures by name instead (and `--rerun-effects` is then not offered).
"""

from sipokat.events.testing.broker import (
    DEFAULT_RABBITMQ_URL,
    PLATFORM_SERVICES,
    RABBITMQ_IMAGE,
    RabbitBroker,
    TrackedTopology,
    broker_error,
    delete_topology,
    new_topology,
    rabbitmq_broker,
    rabbitmq_url,
    topology,
)
from sipokat.events.testing.builders import (
    KECAMATAN,
    KELURAHAN,
    KOTA,
    RT_CODE,
    SOURCE_INTAKE,
    SOURCE_VERIFICATION,
    ReportStream,
    ketua_rt,
    make_approved,
    make_content,
    make_overdue,
    make_post_ended,
    make_post_started,
    make_rejected,
    make_revised,
    make_stream,
    make_submitted,
    make_verified,
    sample_events,
    sample_post_events,
    verifier_actor,
    wilayah_path,
)
from sipokat.events.testing.containers import docker_available
from sipokat.events.testing.effects import (
    Rehearsal,
    RerunEffects,
    RerunEffectsDatabase,
    Reruns,
    _rerun_effects_when_asked,
    pytest_addoption,
    rerun_effects,
)
from sipokat.events.testing.polling import Runnable, eventually, running
from sipokat.events.testing.stores import (
    EVERY_BACKEND,
    MONGODB_IMAGE,
    REAL_BACKENDS,
    DatabaseFactory,
    database,
    database_factory,
    mongodb_url,
    sqlite_database,
    store_backend,
)

__all__ = [
    "DEFAULT_RABBITMQ_URL",
    "EVERY_BACKEND",
    "KECAMATAN",
    "KELURAHAN",
    "KOTA",
    "MONGODB_IMAGE",
    "PLATFORM_SERVICES",
    "RABBITMQ_IMAGE",
    "REAL_BACKENDS",
    "RT_CODE",
    "SOURCE_INTAKE",
    "SOURCE_VERIFICATION",
    "DatabaseFactory",
    "RabbitBroker",
    "Rehearsal",
    "ReportStream",
    "RerunEffects",
    "RerunEffectsDatabase",
    "Reruns",
    "Runnable",
    "TrackedTopology",
    "_rerun_effects_when_asked",
    "broker_error",
    "database",
    "database_factory",
    "delete_topology",
    "docker_available",
    "eventually",
    "ketua_rt",
    "make_approved",
    "make_content",
    "make_overdue",
    "make_post_ended",
    "make_post_started",
    "make_rejected",
    "make_revised",
    "make_stream",
    "make_submitted",
    "make_verified",
    "mongodb_url",
    "new_topology",
    "pytest_addoption",
    "rabbitmq_broker",
    "rabbitmq_url",
    "rerun_effects",
    "running",
    "sample_events",
    "sample_post_events",
    "sqlite_database",
    "store_backend",
    "topology",
    "verifier_actor",
    "wilayah_path",
]

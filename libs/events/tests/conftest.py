"""Fixtures of `sipokat.events.testing`, imported by name.

`pytest_plugins = ["sipokat.events.testing"]` is what a top-level (rootdir) conftest would say;
pytest refuses it in a conftest below the rootdir once collection has started (as it has when the
whole repository is run with a plain `pytest`), so this conftest imports the fixtures instead.
"""

from sipokat.events.testing import (  # noqa: F401
    database,
    database_factory,
    mongodb_url,
    rabbitmq_broker,
    rabbitmq_url,
    sqlite_database,
    store_backend,
    topology,
)

"""Top-level conftest: pytest only takes `pytest_plugins` from here."""

pytest_plugins = ["sipokat.events.testing"]

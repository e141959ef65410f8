"""Fixtures for flag tests against a real redis-server (the ``redis_server`` fixture)."""

from __future__ import annotations

import pytest

from rollwise.flags import service

from flags_support import AUDIT, FLAGS_YML


@pytest.fixture()
def seeded(redis_server, tmp_path):
    """A Redis store holding FLAGS_YML (version 1), and the path of that file."""
    path = tmp_path / "flags.yml"
    path.write_text(FLAGS_YML)
    store = service.open_store(redis_server.url)
    service.sync(store, path, AUDIT)
    yield store, path
    store.close()

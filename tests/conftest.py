"""Shared fixtures: real services on loopback (started per test session or per test) and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import services

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture()
def redis_server(tmp_path):
    """A fresh redis-server for one test."""
    service = services.start_redis(tmp_path / "redis")
    yield service
    service.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """One PostgreSQL cluster for the session; tests create their own databases in it."""
    service = services.start_postgres()
    yield service
    service.stop()

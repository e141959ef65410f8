"""Action tests share one tool cache, so rollwise is installed into its venv once per test session, and a fake
GitHub API (``github`` fixture) for the status checks and sticky comments."""

from __future__ import annotations

import os

import pytest

from support.fake_github import github  # noqa: F401 - a fixture, used by name


@pytest.fixture(scope="session", autouse=True)
def shared_tool_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("toolcache")
    os.environ["ROLLWISE_TEST_TOOL_CACHE"] = str(path)
    yield path

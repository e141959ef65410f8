"""Action tests share one tool cache, so rollwise is installed into its venv once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def shared_tool_cache(tmp_path_factory):
    import os

    path = tmp_path_factory.mktemp("toolcache")
    os.environ["ROLLWISE_TEST_TOOL_CACHE"] = str(path)
    yield path

"""Quoted and unquoted on/off variant names through a real redis-server: sync, stored JSON, clients, `flags get`."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from rollwise.flags import FlagClient, service

from flags_support import AUDIT

QUOTED = 'version: rollwise/flags/v1\nflags:\n  boolean-flag:\n    variants: {"on": true, "off": false}\n    default: "on"\n'
UNQUOTED = "version: rollwise/flags/v1\nflags:\n  boolean-flag:\n    variants: {on: true, off: false}\n    default: on\n"


@pytest.mark.parametrize(("text", "served", "other"), [(QUOTED, "on", "off"), (UNQUOTED, "true", "false")],
                         ids=["quoted", "unquoted"])
def test_redis_keeps_the_variant_names(redis_server, tmp_path, capsys, text, served, other):
    path = tmp_path / "flags.yml"
    path.write_text(text)
    store = service.open_store(redis_server.url)
    try:
        assert service.sync(store, path, AUDIT).changed
        stored = json.loads(store.redis.hget(store.keys["flags"], "boolean-flag"))
        assert stored["variants"] == {served: True, other: False} and stored["default"] == served
        assert not service.sync(store, path, AUDIT).changes
    finally:
        store.close()
    with FlagClient.connect(redis_server.url) as client:
        result = client.evaluate("boolean-flag", {}, False)
        assert (result.value, result.variant, result.reason) == (True, served, "STATIC")
    assert main(["flags", "get", "boolean-flag", "--store", redis_server.url, "--context", "{}"]) in (0, None)
    evaluation = json.loads(capsys.readouterr().out)["evaluation"]
    assert (evaluation["value"], evaluation["variant"]) == (True, served)

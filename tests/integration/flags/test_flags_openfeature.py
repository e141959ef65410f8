"""The OpenFeature provider through the real openfeature-sdk API, fed by Redis."""

from __future__ import annotations

import threading

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEvent

from rollwise.flags import service
from rollwise.flags.openfeature import RollwiseProvider

from flags_support import AUDIT


@pytest.fixture()
def of_client(redis_server, seeded):
    provider = RollwiseProvider.connect(redis_server.url)
    api.set_provider(provider, domain="rollwise-test")
    yield api.get_client(domain="rollwise-test"), provider
    api.shutdown()


def test_details_carry_variant_reason_and_version(of_client, seeded):
    client, _ = of_client
    details = client.get_boolean_details("checkout", False, EvaluationContext("user-1"))
    assert (details.value, details.variant, details.reason) == (True, "true", "STATIC")
    assert details.flag_metadata["version"] == 1
    assert client.get_string_value("banner", "x") == ""


def test_split_and_type_mismatch_and_missing_flag(of_client):
    client, _ = of_client
    details = client.get_boolean_details("rollout", False, EvaluationContext("user-7"))
    assert details.reason == "SPLIT" and details.variant in ("true", "false")
    mismatch = client.get_integer_details("banner", 3)
    assert (mismatch.value, mismatch.reason, mismatch.error_code) == (3, "ERROR", "TYPE_MISMATCH")
    missing = client.get_boolean_details("nope", True)
    assert (missing.value, missing.error_code) == (True, "FLAG_NOT_FOUND")


def test_kill_switch_serves_the_code_default_and_emits_configuration_changed(of_client, seeded):
    client, _ = of_client
    store, _ = seeded
    changed = threading.Event()
    seen = []

    def handler(details):
        seen.append(details.flags_changed)
        changed.set()

    client.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, handler)
    service.kill(store, "checkout", AUDIT)
    assert changed.wait(2)
    assert seen == [["checkout"]]
    details = client.get_boolean_details("checkout", False)
    assert (details.value, details.reason, details.error_code) == (False, "DISABLED", None)


def test_losing_redis_emits_stale_and_keeps_serving(redis_server, seeded, tmp_path):
    provider = RollwiseProvider.connect(redis_server.url, backoff_max=0.1)
    api.set_provider(provider, domain="rollwise-stale")
    client = api.get_client(domain="rollwise-stale")
    stale = threading.Event()
    client.add_handler(ProviderEvent.PROVIDER_STALE, lambda details: stale.set())
    try:
        redis_server.stop()
        assert stale.wait(5)
        details = client.get_boolean_details("checkout", False)
        assert (details.value, details.reason, details.flag_metadata.get("stale")) == (True, "STATIC", True)
    finally:
        api.shutdown()

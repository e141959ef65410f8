"""OpenFeature conformance: the Gherkin scenarios in features/ run through openfeature-sdk against RollwiseProvider.

Every scenario runs three times: on the hand-written flags/flags.yml and on flags/flagd.json translated by
`rollwise flags import --from flagd`, each served by a real file store, and on flags.yml synced into a real
redis-server. Steps speak the OpenFeature API only; the store is touched only where a scenario changes it
(a change, the store going away and coming back).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext, set_evaluation_context
from openfeature.event import ProviderEvent
from openfeature.flag_evaluation import FlagEvaluationOptions
from openfeature.hook import Hook
from openfeature.provider import ProviderStatus
from openfeature.transaction_context import (
    ContextVarsTransactionContextPropagator,
    clear_transaction_context_propagator,
    set_transaction_context,
    set_transaction_context_propagator,
)
from pytest_bdd import given, parsers, scenarios, then, when

from rollwise.flags import service
from rollwise.flags.model.changes import Audit
from rollwise.flags.openfeature import RollwiseProvider
from support import services

scenarios("features")

# every scenario runs on both flag sources (a fixture only steps ask for is not parametrized otherwise)
pytestmark = pytest.mark.usefixtures("source")

LEVELS = ["API", "transaction", "client", "invocation", "before hook"]
METHODS = {"boolean": "boolean", "string": "string", "integer": "integer", "float": "float", "object": "object"}


def eventually(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"not true after {timeout} s: {predicate.__doc__ or predicate}")
        time.sleep(0.01)


class World:
    """What one scenario has set up and seen."""

    def __init__(self, source: tuple[str, str], tmp_path) -> None:
        self.store_kind, self.flags_text = source
        self.tmp_path = tmp_path
        self.path = tmp_path / "flags.yml"
        self.redis: services.Service | None = None
        self.redis_port = services.free_port()
        self.domain = f"conformance-{uuid.uuid4().hex[:8]}"
        self.provider: RollwiseProvider | None = None
        self.client: Any = None
        self.context: dict[str, Any] = {}
        self.targeting_key: str | None = None
        self.levels: dict[str, dict[str, Any]] = {}
        self.options: FlagEvaluationOptions | None = None
        self.details: Any = None
        self.hook_calls: list[str] = []
        self.events: dict[ProviderEvent, list] = {}
        self.seen_contexts: list[dict[str, Any]] = []
        self.context_given: EvaluationContext | None = None

    @property
    def url(self) -> str:
        return f"file://{self.path}" if self.store_kind == "file" else f"redis://127.0.0.1:{self.redis_port}"

    def put_store(self) -> None:
        """Make the store reachable and holding the flags."""
        if self.store_kind == "file":
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(self.flags_text)
            shutil.move(tmp, self.path)
            return
        self.redis = services.start_redis(self.tmp_path / "redis", port=self.redis_port)
        source = self.tmp_path / "source.yml"
        source.write_text(self.flags_text)
        store = service.open_store(self.url)
        try:
            service.sync(store, source, AUDIT)
        finally:
            store.close()

    def drop_store(self) -> None:
        """Make the store unreachable (file deleted, redis-server stopped)."""
        if self.store_kind == "file":
            self.path.unlink()
        else:
            self.redis.stop()

    def start(self, init_timeout: float = 5.0, wait: bool = True) -> None:
        self.provider = RollwiseProvider.connect(self.url, init_timeout=init_timeout, file_poll_interval=0.02,
                                                 backoff_max=0.1, timeout=1.0)
        if wait:
            api.set_provider_and_wait(self.provider, domain=self.domain)
        else:
            api.set_provider(self.provider, domain=self.domain)
        self.client = api.get_client(domain=self.domain)

    def close(self) -> None:
        api.shutdown()
        if self.redis is not None:
            self.redis.stop()


AUDIT = Audit(actor="conformance", reason="scenario", run_url=None, sha=None)


@pytest.fixture(params=["flags.yml", "flagd.json", "redis"], ids=["flags-yml", "flagd-import", "redis-flags-yml"])
def source(request, imported_flagd):
    """(store kind, flags.yml text) for one run of a scenario."""
    here = request.path.parent / "flags"
    if request.param == "flagd.json":
        return "file", imported_flagd
    return ("redis" if request.param == "redis" else "file"), (here / "flags.yml").read_text()


@pytest.fixture(scope="session")
def imported_flagd(pytestconfig):
    """flags/flagd.json through `rollwise flags import --from flagd`, exactly as a user runs it."""
    import subprocess
    import sys

    path = pytestconfig.rootpath / "tests" / "integration" / "openfeature" / "flags" / "flagd.json"
    done = subprocess.run([sys.executable, "-m", "rollwise.cli", "flags", "import", "--from", "flagd", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture()
def world(source, tmp_path):
    state = World(source, tmp_path)
    yield state
    state.close()
    set_evaluation_context(EvaluationContext())
    clear_transaction_context_propagator()


# -- providers -------------------------------------------------------------------------------------------
@given("the rollwise provider serves the conformance flags")
def serving(world):
    world.put_store()
    world.start()


@given(parsers.parse("a rollwise provider whose store does not exist yet, waiting up to {seconds:g} seconds"))
def store_missing(world, seconds):
    if seconds >= 1:
        world.start(init_timeout=seconds, wait=False)
        return
    with pytest.raises(Exception, match="no flags read"):
        world.start(init_timeout=seconds)
    world.client = api.get_client(domain=world.domain)


@given("the provider records the context it evaluates with")
def recording(world):
    evaluate = world.provider.client.evaluate

    def spy(key, context=None, default=None):
        world.seen_contexts.append(dict(context or {}))
        return evaluate(key, context, default)

    world.provider.client.evaluate = spy


# -- context ---------------------------------------------------------------------------------------------
@given(parsers.re(r'the evaluation context has "(?P<key>[^"]+)" set to (?:the (?P<kind>string|integer|boolean) '
                  r'(?P<value>.+)|null)$'))
def context_entry(world, key, kind, value):
    if kind is None:
        world.context[key] = None
    else:
        world.context[key] = {"string": lambda v: json.loads(v), "integer": int,
                              "boolean": lambda v: v == "true"}[kind](value)


@given(parsers.parse('the "{level}" level sets "{key}" to "{value}"'))
def level_entry(world, level, key, value):
    world.levels.setdefault(level, {})[key] = value


@given(parsers.parse('the "{level}" level sets the targeting key "{key}"'))
def level_targeting_key(world, level, key):
    assert level == "invocation"
    world.targeting_key = key


@given(parsers.parse('every level from "API" up to "{top}" sets "{key}" to its own name'))
def levels_up_to(world, top, key):
    for level in LEVELS[:LEVELS.index(top) + 1]:
        world.levels.setdefault(level, {})[key] = level


class Recorder(Hook):
    def __init__(self, name: str, calls: list[str], context: dict[str, Any] | None = None) -> None:
        self.name, self.calls, self.context = name, calls, context

    def before(self, hook_context, hints):
        self.calls.append(f"{self.name}.before")
        return EvaluationContext(attributes=self.context) if self.context else None

    def after(self, hook_context, details, hints):
        self.calls.append(f"{self.name}.after")

    def error(self, hook_context, exception, hints):
        self.calls.append(f"{self.name}.error")

    def finally_after(self, hook_context, details, hints):
        self.calls.append(f"{self.name}.finally")


@given(parsers.parse('hooks "{first}" and "{second}" are passed in the evaluation options'))
def option_hooks(world, first, second):
    world.options = FlagEvaluationOptions(hooks=[Recorder(first, world.hook_calls), Recorder(second, world.hook_calls)])


def _invocation_context(world) -> EvaluationContext:
    levels = world.levels
    if "API" in levels:
        set_evaluation_context(EvaluationContext(attributes=levels["API"]))
    if "transaction" in levels:
        set_transaction_context_propagator(ContextVarsTransactionContextPropagator())
        set_transaction_context(EvaluationContext(attributes=levels["transaction"]))
    if "client" in levels:
        world.client.context = EvaluationContext(attributes=levels["client"])
    if "before hook" in levels:
        hooks = [Recorder("context", world.hook_calls, levels["before hook"])]
        world.options = FlagEvaluationOptions(hooks=[*(world.options.hooks if world.options else []), *hooks])
    attributes = {**world.context, **levels.get("invocation", {})}
    world.context_given = EvaluationContext(world.targeting_key, attributes)
    return world.context_given


# -- evaluation ------------------------------------------------------------------------------------------
@when(parsers.re(r'the (?P<kind>boolean|string|integer|float|object) flag "(?P<key>[^"]+)" is evaluated '
                 r'(?P<mode>asynchronously )?with details and the fallback (?P<fallback>.+)$'))
def evaluated(world, kind, key, mode, fallback):
    context = _invocation_context(world)
    method = getattr(world.client, f"get_{METHODS[kind]}_details" + ("_async" if mode else ""))
    call = method(key, json.loads(fallback), context, world.options)
    world.details = asyncio.run(call) if mode else call


@then(parsers.parse("the value is {expected}"))
def value_is(world, expected):
    wanted = json.loads(expected)
    value = world.details.value
    assert value == wanted and isinstance(value, bool) == isinstance(wanted, bool), (value, world.details)


@then(parsers.parse('the variant is "{variant}"'))
def variant_is(world, variant):
    assert world.details.variant == variant, world.details


@then(parsers.parse('the reason is "{reason}"'))
def reason_is(world, reason):
    assert world.details.reason == reason, world.details


@then(parsers.parse('the error code is "{code}"'))
def error_code_is(world, code):
    assert world.details.error_code == code, world.details


@then(parsers.parse('the details are about the flag "{key}" and carry no error'))
def no_error(world, key):
    assert world.details.flag_key == key
    assert world.details.error_code is None and world.details.error_message is None, world.details


@then(parsers.parse('the hooks ran as "{order}"'))
def hook_order(world, order):
    assert world.hook_calls == order.split(", ")


@then(parsers.parse('the evaluation context still has exactly "{key}" set to "{value}"'))
def context_unchanged(world, key, value):
    assert world.context_given.attributes == {key: value} and world.context_given.targeting_key is None


@then("the flag metadata holds")
def metadata_holds(world, datatable):
    metadata = world.details.flag_metadata
    for key, value in datatable[1:]:
        wanted = json.loads(value)
        assert metadata.get(key) == wanted and type(metadata.get(key)) is type(wanted), metadata


@then("the flag metadata is empty")
def metadata_empty(world):
    assert dict(world.details.flag_metadata) == {}


@then(parsers.parse('the provider saw "{key}" set to "{value}"'))
def provider_saw(world, key, value):
    assert world.seen_contexts, "the provider was not asked"
    assert world.seen_contexts[-1].get(key) == value, world.seen_contexts[-1]


# -- status and events -----------------------------------------------------------------------------------
@then(parsers.parse('the provider status is "{status}"'))
@given(parsers.parse('the provider status is "{status}"'))
def status_is(world, status):
    def reached():
        return world.client.get_provider_status() == ProviderStatus[status]
    reached.__doc__ = f"provider status {status} (is {world.client.get_provider_status()})"
    eventually(reached)


@then("a PROVIDER_READY handler added now runs")
def late_ready_handler(world):
    ran = []
    world.client.add_handler(ProviderEvent.PROVIDER_READY, lambda details: ran.append(details))
    eventually(lambda: ran)  # the SDK runs handlers on its executor, so "at once" means soon, not synchronously
    assert len(ran) == 1


@given(parsers.parse("a handler records {event}"))
def record_event(world, event):
    kind = ProviderEvent[event]
    world.client.add_handler(kind, lambda details: world.events.setdefault(kind, []).append(details))


@when(parsers.parse('the flag "{key}" is killed in the store'))
def kill(world, key):
    store = service.open_store(world.url)
    try:
        service.kill(store, key, AUDIT)
    finally:
        store.close()


@then(parsers.parse('PROVIDER_CONFIGURATION_CHANGED names "{key}"'))
def configuration_changed(world, key):
    def named():
        return any(key in (d.flags_changed or []) for d in world.events.get(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, []))
    eventually(named)


@then(parsers.parse('the boolean flag "{key}" now answers the fallback {fallback} with reason "{reason}"'))
def answers_fallback(world, key, fallback, reason):
    details = world.client.get_boolean_details(key, json.loads(fallback))
    assert (details.value, details.reason) == (json.loads(fallback), reason), details


@when("the store becomes unreachable")
@given("the store becomes unreachable")
def unreachable(world):
    world.drop_store()


@when("the store is reachable again")
def reachable_again(world):
    world.put_store()


@then("PROVIDER_STALE was emitted")
def stale_emitted(world):
    eventually(lambda: world.events.get(ProviderEvent.PROVIDER_STALE))


@then(parsers.parse('the boolean flag "{key}" still answers {value}'))
def still_answers(world, key, value):
    def answers():
        return world.client.get_boolean_details(key, not json.loads(value)).value == json.loads(value)
    eventually(answers)

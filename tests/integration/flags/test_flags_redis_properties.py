"""Properties on real sockets: whatever bytes a server sends, the flag client ends in a snapshot or a clear
StoreUnavailable; whatever one stored value holds in a real redis-server, the other flags load and can be killed."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollwise.flags import service
from rollwise.flags.adapters.resp import RespStore
from rollwise.flags.ports import StoreUnavailable

from flags_support import AUDIT, FLAGS_YML, FakeServer

# RESP fragments, well formed or not, and plain noise
resp_items = st.recursive(
    st.one_of(st.binary(max_size=16).map(lambda b: b"$%d\r\n%s\r\n" % (len(b), b)),
              st.integers().map(lambda i: b":%d\r\n" % i), st.just(b"$-1\r\n"), st.just(b"*-1\r\n"),
              st.sampled_from([b"-ERR x\r\n", b"-NOPERM no\r\n", b"+OK\r\n", b"$5\r\nab", b"*3\r\n", b":x\r\n",
                               b"$99999999999\r\n", b"%2\r\n", b"_\r\n"])),
    lambda children: st.lists(children, max_size=4).map(lambda xs: b"*%d\r\n" % len(xs) + b"".join(xs)),
    max_leaves=12)
wires = st.one_of(st.lists(resp_items, max_size=8).map(b"".join), st.binary(max_size=128))


def test_any_bytes_from_the_server_end_in_a_snapshot_or_store_unavailable():
    server = FakeServer()

    @settings(max_examples=60, deadline=None)
    @given(wire=wires)
    def check(wire):
        server.reply = wire
        store = RespStore(f"redis://127.0.0.1:{server.port}?socket_timeout=0.1")
        try:
            store.load()
        except StoreUnavailable:
            pass
        finally:
            store.close()

    try:
        check()
    finally:
        server.close()


stored_values = st.one_of(
    st.binary(max_size=48),
    st.integers(min_value=30, max_value=20_000).map(lambda n: b"[" * n + b"]" * n),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                 max_leaves=10).map(lambda v: json.dumps({"default": v}).encode()),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.binary(min_size=1, max_size=10), value=stored_values, version=st.binary(max_size=8))
def test_one_poisoned_value_in_redis_never_stops_a_kill(redis_server, tmp_path, name, value, version):
    path = tmp_path / "flags.yml"
    path.write_text(FLAGS_YML)
    store = service.open_store(redis_server.url)
    try:
        store.redis.flushall()
        service.sync(store, path, AUDIT)
        if name not in (b"checkout",):
            store.redis.hset(store.keys["flags"], name, value)
        store.redis.set(store.keys["version"], version or b"1")
        reader = RespStore(redis_server.url)
        try:
            assert reader.load().flagset.flags["checkout"].enabled is True
        finally:
            reader.close()
        service.kill(store, "checkout", AUDIT)
        assert store.load().flagset.flags["checkout"].enabled is False
    finally:
        store.close()

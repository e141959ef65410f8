"""Properties of decoding what a Redis store holds: any reply, any stored value, never a traceback, and one bad
value never hides another flag."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rollwise.errors import ConfigError
from rollwise.flags.adapters import stored
from rollwise.flags.adapters.resp import Address

KEYS = {name: "{rollwise}:" + name for name in ("version", "epoch", "flags", "segments", "versions")}
GOOD = b'{"default": true}'

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)
stored_values = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=5000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([b'{"default": "nope"}', b'{"variants": {"a": 1}, "default": "a", "rules": [{}]}',
                     b'{"enabled": "yes"}', b'{"default": true, "prerequisites": [{"flag": "ghost"}]}']),
)
field_names = st.one_of(st.text(min_size=1, max_size=12).map(str.encode), st.binary(min_size=1, max_size=12))
# what a RESP2 reader can hand back for one command: bytes, integers, nil, errors, arrays of those
replies = st.recursive(
    st.none() | st.binary(max_size=24) | st.integers() | st.builds(Exception, st.text(max_size=20)),
    lambda children: st.lists(children, max_size=6), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(fields=st.dictionaries(field_names, stored_values, max_size=6),
       version=replies, epoch=replies, segments=replies, versions=replies)
def test_any_stored_data_decodes_without_a_traceback_and_a_good_flag_survives(fields, version, epoch, segments,
                                                                              versions):
    flags = {**{k: v for k, v in fields.items() if k != b"checkout"}, b"checkout": GOOD}
    decoded = stored.decode_replies(KEYS, version, epoch, [x for pair in flags.items() for x in pair], segments,
                                    versions)
    snapshot = stored.build_snapshot("redis://test", decoded)
    assert snapshot.flagset.flags["checkout"].enabled is True
    for raw in flags:
        shown, _ = stored.shown_name(raw)
        assert (shown in snapshot.raw_flags) != (shown in snapshot.bad), shown  # parsed, or reported: never both
    assert isinstance(snapshot.version, int) and snapshot.version >= 0


@settings(max_examples=300, deadline=None)
@given(flags=replies, version=replies)
def test_replies_of_the_wrong_shape_are_reported_never_raised(flags, version):
    decoded = stored.decode_replies(KEYS, version, None, flags, [], [])
    stored.build_snapshot("redis://test", decoded)
    if not isinstance(flags, (list, type(None))) or (isinstance(flags, list) and len(flags) % 2):
        assert "store:{rollwise}:flags" in decoded.bad


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=25), st.text(max_size=12), max_size=4))
def test_any_url_query_is_an_address_or_a_config_error(query):
    from urllib.parse import urlencode

    try:
        Address.from_url("rediss://127.0.0.1:6379/0?" + urlencode(query))
    except ConfigError as exc:
        assert exc.fix

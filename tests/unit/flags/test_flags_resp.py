"""The minimal RESP reader: reply parsing across partial reads, and store URLs."""

from __future__ import annotations

import pytest

from rollwise.flags.adapters.resp import Address, RespError, _Incomplete, _parse

WIRE = b"*3\r\n$7\r\nmessage\r\n$5\r\nchan1\r\n$10\r\n{\"v\":\"\xc3\xa9\"}\r\n"


def test_parses_nested_replies():
    reply, used = _parse(bytearray(WIRE + b":42\r\n"), 0)
    assert reply == [b"message", b"chan1", '{"v":"é"}'.encode()] and used == len(WIRE)
    assert _parse(bytearray(b":42\r\n"), 0) == (42, 5)
    assert _parse(bytearray(b"$-1\r\n"), 0) == (None, 5)
    assert _parse(bytearray(b"+OK\r\n"), 0) == (b"OK", 5)
    error, _ = _parse(bytearray(b"-WRONGTYPE bad\r\n"), 0)
    assert isinstance(error, RespError) and "WRONGTYPE" in str(error)


@pytest.mark.parametrize("cut", [1, 5, 12, 20, len(WIRE) - 1], ids=lambda c: f"cut-{c}")
def test_partial_replies_wait_for_more(cut):
    with pytest.raises(_Incomplete):
        _parse(bytearray(WIRE[:cut]), 0)


@pytest.mark.parametrize(("url", "expected"), [
    ("redis://127.0.0.1:6390/2", Address("127.0.0.1", 6390, db=2)),
    ("rediss://:s%40cret@cache.internal", Address("cache.internal", 6379, tls=True, password="s@cret")),
    ("redis://app:pw@h:1/0?prefix=x", Address("h", 1, username="app", password="pw")),
    ("unix:///run/redis.sock?db=3", Address(path="/run/redis.sock", db=3)),
    ("rediss://h?ssl_ca_certs=/etc/ca.pem", Address("h", tls=True, ca_certs="/etc/ca.pem")),
    ("rediss://h?ssl_cert_reqs=none", Address("h", tls=True, verify=False)),
], ids=["db", "tls-password", "user", "unix", "private-ca", "no-verify"])
def test_addresses(url, expected):
    assert Address.from_url(url) == expected

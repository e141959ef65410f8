"""The flag client's Redis URLs: every parameter it accepts, and a clear refusal of anything else."""

from __future__ import annotations

import pytest

from rollwise.errors import ConfigError
from rollwise.flags.adapters.resp import Address


@pytest.mark.parametrize(("url", "expected"), [
    ("redis://127.0.0.1:6390/2", Address("127.0.0.1", 6390, db=2)),
    ("rediss://:s%40cret@cache.internal", Address("cache.internal", 6379, tls=True, password="s@cret")),
    ("redis://app:pw@h:1/0?prefix=x", Address("h", 1, username="app", password="pw")),
    ("unix:///run/redis.sock?db=3", Address(path="/run/redis.sock", db=3)),
    ("rediss://h?ssl_ca_certs=/etc/ca.pem", Address("h", tls=True, ca_certs="/etc/ca.pem")),
    ("rediss://h?ssl_cert_reqs=none", Address("h", tls=True, verify="none")),
    ("rediss://h?ssl_certfile=/c.pem&ssl_keyfile=/k.pem&ssl_check_hostname=false",
     Address("h", tls=True, certfile="/c.pem", keyfile="/k.pem", check_hostname=False)),
    ("redis://h?socket_connect_timeout=0.5&socket_timeout=10", Address("h", connect_timeout=0.5, read_timeout=10.0)),
], ids=["db", "tls-password", "user", "unix", "private-ca", "no-verify", "client-certificate", "timeouts"])
def test_addresses(url, expected):
    assert Address.from_url(url) == expected


@pytest.mark.parametrize(("url", "message", "fix"), [
    ("rediss://h?ssl_cerfile=/c.pem", "unknown parameter 'ssl_cerfile'", "did you mean 'ssl_certfile'?"),
    ("redis://h?password=x", "unknown parameter 'password'", "accepted: db, prefix, socket_connect_timeout"),
    ("redis://h?ssl_ca_certs=/ca.pem", "ssl_ca_certs in redis://h?ssl_ca_certs=/ca.pem need TLS", "rediss://"),
    ("rediss://h?ssl_cert_reqs=maybe", "ssl_cert_reqs=maybe", "optional or none"),
    ("rediss://h?ssl_keyfile=/k.pem", "ssl_keyfile", "ssl_certfile"),
    ("redis://h?socket_timeout=nan", "socket_timeout=nan", "socket_timeout=5"),
    ("redis://h?socket_timeout=0", "socket_timeout=0", "socket_timeout=5"),
    ("redis://h/x", "db=x", "db=0"),
    ("redis://h:99999", "port", "host:6379"),
    ("http://h", "cannot read http://h", "redis://"),
], ids=["typo", "unknown", "tls-option-without-tls", "bad-cert-reqs", "key-without-cert", "nan-timeout",
        "zero-timeout", "bad-db", "bad-port", "scheme"])
def test_bad_urls_are_refused_with_the_fix(url, message, fix):
    with pytest.raises(ConfigError) as caught:
        Address.from_url(url)
    assert message in caught.value.problem and fix in (caught.value.fix or "")


def test_a_refused_url_never_shows_its_password():
    with pytest.raises(ConfigError) as caught:
        Address.from_url("redis://app:hunter2@h?pasword=x")
    assert "hunter2" not in str(caught.value) and "***" in caught.value.problem


def test_unreadable_certificate_files_are_a_config_error(tmp_path):
    address = Address.from_url(f"rediss://h?ssl_certfile={tmp_path / 'missing.pem'}")
    with pytest.raises(ConfigError, match="cannot load the TLS files"):
        address.tls_context()

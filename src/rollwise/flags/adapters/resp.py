"""The flag client's connection to Redis: RESP2 over one socket, every reply parsed by hiredis's C ``Reader``.

hiredis is the parser redis-py itself uses; the connection around it is small so an application embedding a
FlagClient does not import redis-py (memory and start-up: docs/flags/testing.md). It speaks to ``redis://``,
``rediss://`` (TLS, client certificates) and ``unix://`` URLs. Writers (the CLI, the service API) and the
Sentinel/Cluster URLs use redis-py (:mod:`rollwise.flags.adapters.redis`).

Every socket operation has a deadline: connecting (and the TLS handshake) ``socket_connect_timeout``, each
reply ``socket_timeout``. A reply that is not RESP, or larger than :data:`MAX_REPLY_BYTES`, closes the connection.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import hiredis

from rollwise.errors import ConfigError
from rollwise.flags.adapters import stored
from rollwise.flags.adapters.redis import split_prefix
from rollwise.flags.adapters.stored import MAX_REPLY_BYTES
from rollwise.flags.ports import Snapshot, StoreUnavailable, redact

#: URL query parameters the client understands (names as in redis-py); any other is refused
URL_OPTIONS = {
    "db": "database number (also the URL path: redis://host:6379/2)",
    "prefix": "key namespace (default rollwise)",
    "socket_connect_timeout": "seconds to connect, TLS handshake included (default 2)",
    "socket_timeout": "seconds to wait for each reply (default 5)",
    "ssl_ca_certs": "PEM file of the CA that signed the server's certificate",
    "ssl_cert_reqs": "required (default), optional or none: how the server certificate is checked",
    "ssl_check_hostname": "true (default) or false: match the certificate to the host name",
    "ssl_certfile": "PEM client certificate, for servers that require one (mutual TLS)",
    "ssl_keyfile": "PEM private key of ssl_certfile (when it is not in the same file)",
}
_MORE = object()  # hiredis: not enough data for a whole reply yet


class RespError(Exception):
    """An error reply from Redis (``-ERR ...``, ``-NOPERM ...``), returned by the reader, not raised."""


class ProtocolError(ConnectionError):
    """The peer sent something that is not RESP, or a reply too large to accept."""


class Refused(ConnectionError):
    """Redis refused the credentials or the database (AUTH, SELECT); the connection is closed."""


@dataclass(frozen=True)
class Address:
    """Where and how to connect, from a redis://, rediss:// or unix:// URL."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None
    tls: bool = False
    username: str | None = None
    password: str | None = None
    db: int = 0
    ca_certs: str | None = None
    verify: str = "required"  #: ``ssl_cert_reqs``: required, optional or none
    check_hostname: bool = True
    certfile: str | None = None
    keyfile: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 5.0

    @classmethod
    def from_url(cls, url: str) -> Address:
        """Parse a URL; an unknown parameter or a bad value is a ConfigError naming it and the accepted ones."""
        shown = redact(url)
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(f"the flag client cannot read {shown}", fix="use redis://, rediss:// or unix://")
        query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        for name in query:
            if name not in URL_OPTIONS:
                from rollwise.yamlsource import did_you_mean

                guess = did_you_mean(name, URL_OPTIONS)
                raise ConfigError(f"unknown parameter '{name}' in the Redis URL {shown}",
                                  fix=(f"did you mean '{guess}'? " if guess else "")
                                  + "accepted: " + ", ".join(sorted(URL_OPTIONS)))
        tls_options = [n for n in query if n.startswith("ssl_")]
        if tls_options and parts.scheme != "rediss":
            raise ConfigError(f"{', '.join(tls_options)} in {shown} need TLS", fix="use a rediss:// URL")
        verify = query.get("ssl_cert_reqs", "required").lower()
        if verify not in ("required", "optional", "none"):
            raise ConfigError(f"ssl_cert_reqs={verify} in {shown} is not required, optional or none",
                              fix="write ssl_cert_reqs=required (the default), optional or none")
        check = query.get("ssl_check_hostname", "true").lower()
        if check not in ("true", "false"):
            raise ConfigError(f"ssl_check_hostname={check} in {shown} is not true or false",
                              fix="write ssl_check_hostname=true (the default) or false")
        if "ssl_keyfile" in query and "ssl_certfile" not in query:
            raise ConfigError(f"ssl_keyfile in {shown} has no ssl_certfile", fix="add ssl_certfile=/path/client.pem")
        path_db = parts.path.strip("/") if parts.scheme != "unix" else ""
        common = dict(
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            db=_number(query.get("db") or path_db or "0", "db", shown, int, 0),
            connect_timeout=_number(query.get("socket_connect_timeout", "2"), "socket_connect_timeout", shown),
            read_timeout=_number(query.get("socket_timeout", "5"), "socket_timeout", shown),
        )
        if parts.scheme == "unix":
            return cls(path=parts.path, **common)
        try:
            port = parts.port or 6379
        except ValueError:
            raise ConfigError(f"the port in {shown} is not a number from 0 to 65535", fix="write host:6379") from None
        return cls(host=parts.hostname or "127.0.0.1", port=port, tls=parts.scheme == "rediss",
                   ca_certs=query.get("ssl_ca_certs"), verify=verify, check_hostname=check == "true",
                   certfile=query.get("ssl_certfile"), keyfile=query.get("ssl_keyfile"), **common)

    def tls_context(self) -> Any:
        """The TLS context (None without TLS); unreadable certificate files are a ConfigError."""
        if not self.tls:
            return None
        import ssl

        try:
            context = ssl.create_default_context(cafile=self.ca_certs)
            if self.certfile:
                context.load_cert_chain(self.certfile, self.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot load the TLS files of the Redis URL: {exc}",
                              fix="check ssl_ca_certs, ssl_certfile and ssl_keyfile (PEM files readable here)") from None
        context.check_hostname = self.check_hostname and self.verify != "none"
        context.verify_mode = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL,
                               "none": ssl.CERT_NONE}[self.verify]
        return context


def _number(text: str, name: str, url: str, kind: type = float, minimum: float = 1e-3) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        raise ConfigError(f"{name}={text} in {url} is not a {'whole ' if kind is int else ''}number "
                          f"of at least {minimum:g}", fix=f"write {name}={'0' if kind is int else '5'}")
    return value


class Connection:
    """One RESP2 connection; hiredis parses, this class keeps the deadlines and the size limit."""

    def __init__(self, address: Address, tls: Any = None) -> None:
        self.address = address
        self._reader = hiredis.Reader(protocolError=ProtocolError, replyError=RespError, notEnoughData=_MORE)
        self._fed = 0  # bytes received towards the reply being read
        self.sock = _open(address, tls)
        try:
            if address.password:
                self._expect_ok("AUTH", *([address.username] if address.username else []), address.password)
            if address.db:
                self._expect_ok("SELECT", address.db)
        except BaseException:
            self.close()
            raise

    def _expect_ok(self, *command: Any) -> None:
        self.send(*command)
        reply = self.read()
        if isinstance(reply, RespError):
            what = "the credentials" if command[0] == "AUTH" else f"database {self.address.db}"
            raise Refused(f"Redis refused {what}: {reply}")

    def send(self, *args: Any) -> None:
        out = bytearray(b"*%d\r\n" % len(args))
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        self.sock.settimeout(self.address.read_timeout)  # since Python 3.5 the limit for the whole sendall
        self.sock.sendall(out)

    def read(self, wait: float | None = None, timeout: float | None = None) -> Any:
        """The next reply (an error reply as a RespError), within ``timeout`` (default ``socket_timeout``).

        With ``wait``: None when no byte of a reply arrives within ``wait`` seconds (an idle subscription).
        """
        reply = self._next()
        if reply is not _MORE:
            return reply
        limit = self.address.read_timeout if timeout is None else timeout
        deadline = None if wait is not None and not self._fed else time.monotonic() + limit
        while True:
            if deadline is None:
                self.sock.settimeout(max(wait, 0.001))  # 0 would make the socket non-blocking
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no complete reply from Redis within {limit:g}s")
                self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                if deadline is None:
                    return None
                raise TimeoutError(f"no complete reply from Redis within {limit:g}s") from None
            if not chunk:
                raise ConnectionError("connection closed by Redis")
            if deadline is None:  # a reply has started: it must now complete in time
                deadline = time.monotonic() + limit
            self._fed += len(chunk)
            if self._fed > MAX_REPLY_BYTES:
                raise ProtocolError(f"a reply larger than {MAX_REPLY_BYTES:,} bytes; is this Redis?")
            self._reader.feed(chunk)
            reply = self._next()
            if reply is not _MORE:
                self._fed = 0
                return reply

    def _next(self) -> Any:
        """The next whole reply in the buffer, or _MORE."""
        try:
            return self._reader.gets()
        except Exception as exc:  # noqa: BLE001 - hiredis also raises TypeError, e.g. on a RESP3 map keyed by an array
            raise ProtocolError(f"the reply is not Redis protocol ({exc}); is this Redis?") from None

    def close(self) -> None:
        """Close, waking any thread blocked on this socket."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def _open(address: Address, tls: Any) -> socket.socket:
    try:
        if address.path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(address.connect_timeout)
            try:
                sock.connect(address.path)
            except BaseException:
                sock.close()
                raise
            return sock
        sock = socket.create_connection((address.host, address.port), timeout=address.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                # the handshake runs under the connect timeout still set on the socket
                sock = tls.wrap_socket(sock, server_hostname=address.host)
        except BaseException:
            sock.close()
            raise
        return sock
    except TimeoutError:
        raise TimeoutError(f"cannot connect within {address.connect_timeout:g}s") from None
    except OSError as exc:
        raise ConnectionError(f"cannot connect: {exc}") from None


class Subscription:
    """A SUBSCRIBE connection; ``get_message`` returns a message's data or None on timeout."""

    PING_EVERY = 5.0

    def __init__(self, address: Address, tls: Any, channel: str) -> None:
        self.conn = Connection(address, tls)
        try:
            self.conn.send("SUBSCRIBE", channel)
            confirm = self.conn.read()
            if not (isinstance(confirm, list) and confirm[:1] == [b"subscribe"]):
                raise ProtocolError(f"unexpected reply to SUBSCRIBE: {_show(confirm)}")
        except BaseException:
            self.conn.close()
            raise
        self.timeout = address.read_timeout
        self._last_heard = self._last_ping = time.monotonic()

    def get_message(self, timeout: float) -> bytes | None:
        try:
            reply = self.conn.read(wait=timeout)
            now = time.monotonic()
            if reply is not None:
                self._last_heard = now
                if isinstance(reply, RespError):
                    raise ProtocolError(f"Redis ended the subscription: {reply}")
                if isinstance(reply, list) and len(reply) == 3 and reply[0] == b"message":
                    return reply[2] if isinstance(reply[2], bytes) else None
                return None
            # a silent peer (network partition) sends no RST: ping, and give up when pongs stop
            if now - self._last_heard > self.PING_EVERY + self.timeout:
                raise TimeoutError(f"no reply from Redis for {now - self._last_heard:.0f}s")
            if now - self._last_ping > self.PING_EVERY:
                self.conn.send("PING")
                self._last_ping = now
            return None
        except OSError as exc:
            self.conn.close()
            raise StoreUnavailable(f"lost the subscription: {exc}") from None

    def close(self) -> None:
        self.conn.close()


class RespStore:
    """Read side of the Redis store (snapshot, subscription, acknowledgements) over :class:`Connection`."""

    def __init__(self, url: str) -> None:
        plain_url, self.prefix = split_prefix(url)
        self.url = redact(url)
        self.address = Address.from_url(plain_url)
        self._tls = self.address.tls_context()
        tag = "{" + self.prefix + "}"
        self.keys = {name: f"{tag}:{name}" for name in ("version", "epoch", "flags", "segments", "versions", "acks")}
        self.channel = f"{tag}:changes"
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._unread = 0  # replies of fire-and-forget commands, read before the next call

    def _connection(self) -> Connection:
        if self._closed:
            raise ConnectionError("the client is closed")
        if self._conn is None:
            self._conn = Connection(self.address, self._tls)
            self._unread = 0
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _call(self, *commands: tuple, timeout: float | None = None) -> list:
        """Send commands in one round trip and return their replies (error replies as RespError)."""
        with self._lock:
            return self._call_locked(commands, timeout)

    def _call_locked(self, commands: tuple[tuple, ...], timeout: float | None) -> list:
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                conn = self._connection()
                while self._unread:
                    conn.read(timeout=timeout)  # a fire-and-forget reply; an error there (NOPERM) changes nothing
                    self._unread -= 1
                for command in commands:
                    conn.send(*command)
                return [conn.read(timeout=timeout) for _ in commands]
            except Refused as exc:
                self._drop()
                raise StoreUnavailable(f"Redis at {self.url}: {exc}. Check the user name and password in the URL "
                                       "(docs/flags/acl.md lists what a reading application needs)") from None
            except OSError as exc:
                self._drop()
                # a connection kept from earlier may have died with a Redis restart: one fresh try; a timeout or
                # a fresh connection failing is the answer
                if attempt == 2 or not reused or isinstance(exc, TimeoutError) or self._closed:
                    raise StoreUnavailable(f"Redis at {self.url} is unreachable: {exc}") from None
        raise AssertionError("unreachable")

    def load(self) -> Snapshot:
        commands = stored.load_commands(self.keys)
        for _ in range(stored.LOAD_ATTEMPTS):
            replies = self._call(*commands)
            for reply in replies:
                if isinstance(reply, RespError) and str(reply).startswith("NOPERM"):
                    raise StoreUnavailable(f"Redis at {self.url} refused a read: {reply}. The user needs read "
                                           "access to the flag keys (docs/flags/acl.md)")
            if stored.consistent(replies):
                return stored.build_snapshot(self.url, stored.decode_replies(self.keys, *replies[:5]))
        raise StoreUnavailable(f"flags in Redis at {self.url} changed during each of {stored.LOAD_ATTEMPTS} reads")

    def subscribe(self) -> Subscription:
        try:
            return Subscription(self.address, self._tls, self.channel)
        except OSError as exc:
            raise StoreUnavailable(f"cannot subscribe to {self.channel} at {self.url}: {exc}") from None

    def acknowledge(self, client_id: str, version: int) -> None:
        """Record the applied version without waiting for the reply (it is read before the next command)."""
        with self._lock:
            try:
                self._connection().send("ZADD", self.keys["acks"], version, client_id)
                self._unread += 1
            except OSError as exc:
                self._drop()
                raise StoreUnavailable(f"Redis at {self.url} is unreachable: {exc}") from None

    def forget(self, client_id: str, timeout: float = 1.0) -> None:
        """Remove this client's acknowledgement; gives up after ``timeout`` (best effort, on shutdown)."""
        if not self._lock.acquire(timeout=timeout):
            return  # a read is stuck on a hung server: not worth waiting for
        try:
            self._call_locked((("ZREM", self.keys["acks"], client_id),), timeout)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close now, even while another thread waits on a reply (that wait ends with StoreUnavailable)."""
        self._closed = True
        conn = self._conn
        if conn is not None:
            conn.close()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

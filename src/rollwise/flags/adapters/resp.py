"""A minimal Redis client speaking RESP2 over a socket: only what a FlagClient needs to follow a store.

redis-py adds about 38 MiB to a process (it imports its asyncio, cluster and TLS/OCSP machinery); an
application embedding a flag client should not pay that. This reader does plain commands, MULTI/EXEC and
SUBSCRIBE for ``redis://``, ``rediss://`` and ``unix://`` URLs. Writers (the CLI, the service API) and the
Sentinel/Cluster URLs keep using redis-py (:mod:`rollwise.flags.adapters.redis`).
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from rollwise.flags.adapters.redis import snapshot_from_raw, split_prefix
from rollwise.flags.ports import Snapshot, StoreUnavailable, redact

_CRLF = b"\r\n"


class RespError(Exception):
    """An error reply from Redis."""


class _Incomplete(Exception):
    """The buffer does not hold a whole reply yet."""


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
    ca_certs: str | None = None  #: ``?ssl_ca_certs=/path/ca.pem`` (same name as redis-py)
    verify: bool = True  #: ``?ssl_cert_reqs=none`` turns certificate checks off (same name as redis-py)

    @classmethod
    def from_url(cls, url: str) -> Address:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        db = query.get("db", [None])[0]
        if parts.scheme == "unix":
            return cls(path=parts.path, username=parts.username and unquote(parts.username),
                       password=parts.password and unquote(parts.password), db=int(db or 0))
        path_db = parts.path.strip("/")
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 6379, tls=parts.scheme == "rediss",
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   db=int(db or path_db or 0), ca_certs=query.get("ssl_ca_certs", [None])[0],
                   verify=query.get("ssl_cert_reqs", ["required"])[0].lower() != "none")


class Connection:
    """One RESP2 connection with its own read buffer."""

    def __init__(self, address: Address, timeout: float = 5.0) -> None:
        self.address, self.timeout = address, timeout
        self._buffer = bytearray()
        try:
            if address.path:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(timeout)
                sock.connect(address.path)
            else:
                sock = socket.create_connection((address.host, address.port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if address.tls:
                    import ssl

                    context = ssl.create_default_context(cafile=address.ca_certs)
                    if not address.verify:
                        context.check_hostname = False
                        context.verify_mode = ssl.CERT_NONE
                    sock = context.wrap_socket(sock, server_hostname=address.host)
        except OSError as exc:
            raise ConnectionError(f"cannot connect: {exc}") from None
        self.sock = sock
        if address.password:
            self.call("AUTH", *([address.username] if address.username else []), address.password)
        if address.db:
            self.call("SELECT", address.db)

    def send(self, *args: Any) -> None:
        out = bytearray(b"*%d\r\n" % len(args))
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(out)

    def call(self, *args: Any) -> Any:
        self.send(*args)
        reply = self.read()
        if isinstance(reply, RespError):
            raise reply
        return reply

    def read(self, wait: float | None = None) -> Any:
        """The next reply; with ``wait``, None if nothing arrives within that many seconds."""
        while True:
            try:
                reply, used = _parse(self._buffer, 0)
                del self._buffer[:used]
                return reply
            except _Incomplete:
                pass
            if wait is not None and not self._buffer:
                readable, _, _ = select.select([self.sock], [], [], wait)
                if not readable and not getattr(self.sock, "pending", lambda: 0)():
                    return None
                wait = None
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by Redis")
            self._buffer += chunk

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _parse(buffer: bytearray, pos: int) -> tuple[Any, int]:
    end = buffer.find(_CRLF, pos)
    if end < 0:
        raise _Incomplete
    kind, line, pos = buffer[pos:pos + 1], bytes(buffer[pos + 1:end]), end + 2
    if kind == b"+":
        return line, pos
    if kind == b"-":
        return RespError(line.decode(errors="replace")), pos
    if kind == b":":
        return int(line), pos
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, pos
        if len(buffer) < pos + size + 2:
            raise _Incomplete
        return bytes(buffer[pos:pos + size]), pos + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = _parse(buffer, pos)
            items.append(item)
        return items, pos
    raise ConnectionError(f"unexpected reply from Redis: {bytes(buffer[:40])!r}")


class Subscription:
    """A SUBSCRIBE connection; ``get_message`` returns a message's data or None on timeout."""

    PING_EVERY = 5.0

    def __init__(self, address: Address, channel: str, timeout: float) -> None:
        self.conn = Connection(address, timeout)
        self.conn.send("SUBSCRIBE", channel)
        confirm = self.conn.read()
        if not (isinstance(confirm, list) and confirm[0] == b"subscribe"):
            raise ConnectionError(f"unexpected subscribe reply {confirm!r}")
        self.timeout = timeout
        self._last_heard = self._last_ping = time.monotonic()

    def get_message(self, timeout: float) -> bytes | None:
        try:
            reply = self.conn.read(wait=timeout)
            now = time.monotonic()
            if reply is not None:
                self._last_heard = now
                if isinstance(reply, list) and reply[0] == b"message":
                    return reply[2]
                return None
            # a silent peer (network partition) sends no RST: ping, and give up when pongs stop
            if now - self._last_heard > self.PING_EVERY + self.timeout:
                raise ConnectionError(f"no reply from Redis for {now - self._last_heard:.0f}s")
            if now - self._last_ping > self.PING_EVERY:
                self.conn.send("PING")
                self._last_ping = now
            return None
        except (OSError, ConnectionError) as exc:
            raise StoreUnavailable(f"lost the subscription: {exc}") from None

    def close(self) -> None:
        self.conn.close()


class RespStore:
    """Read side of the Redis store (snapshot, subscription, acknowledgements) over :class:`Connection`."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        plain_url, self.prefix = split_prefix(url)
        self.url = redact(url)
        self.address = Address.from_url(plain_url)
        self.timeout = timeout
        tag = "{" + self.prefix + "}"
        self.keys = {name: f"{tag}:{name}" for name in ("version", "epoch", "flags", "segments", "versions", "acks")}
        self.channel = f"{tag}:changes"
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._unread = 0  # replies of fire-and-forget commands, read before the next call

    def _call(self, *commands: tuple) -> list:
        """Send commands in one round trip and return their replies; reconnect once on a broken connection."""
        with self._lock:
            return self._call_locked(commands)

    def _call_locked(self, commands: tuple[tuple, ...]) -> list:
        for attempt in (1, 2):
            try:
                if self._conn is None:
                    self._conn = Connection(self.address, self.timeout)
                    self._unread = 0
                while self._unread:
                    self._conn.read()
                    self._unread -= 1
                for command in commands:
                    self._conn.send(*command)
                replies = [self._conn.read() for _ in commands]
                for reply in replies:
                    if isinstance(reply, RespError):
                        raise StoreUnavailable(f"Redis at {self.url} refused a read: {reply}")
                return replies
            except (OSError, ConnectionError) as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                if attempt == 2:
                    raise StoreUnavailable(f"Redis at {self.url} is unreachable: {exc}") from None
        raise AssertionError("unreachable")

    def load(self) -> Snapshot:
        k = self.keys
        *_, exec_reply = self._call(("MULTI",), ("GET", k["version"]), ("GET", k["epoch"]), ("HGETALL", k["flags"]),
                                    ("HGETALL", k["segments"]), ("HGETALL", k["versions"]), ("EXEC",))
        version, epoch, flags, segments, versions = exec_reply
        return snapshot_from_raw(self.url, int(version or 0), epoch.decode() if epoch else "", _pairs(flags),
                                 _pairs(segments), {k: int(v) for k, v in _pairs(versions).items()})

    def subscribe(self) -> Subscription:
        try:
            return Subscription(self.address, self.channel, self.timeout)
        except (OSError, ConnectionError, RespError) as exc:
            raise StoreUnavailable(f"cannot subscribe to {self.channel} at {self.url}: {exc}") from None

    def acknowledge(self, client_id: str, version: int) -> None:
        """Record the applied version without waiting for the reply (it is read before the next command)."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = Connection(self.address, self.timeout)
                    self._unread = 0
                self._conn.send("ZADD", self.keys["acks"], version, client_id)
                self._unread += 1
            except (OSError, ConnectionError) as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                raise StoreUnavailable(f"Redis at {self.url} is unreachable: {exc}") from None

    def forget(self, client_id: str) -> None:
        self._call(("ZREM", self.keys["acks"], client_id))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _pairs(flat: list) -> dict[str, bytes]:
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}

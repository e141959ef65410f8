"""The Redis store: the source of truth for running applications.

Keys share one hash tag so a Redis Cluster keeps them in one slot (scripts and transactions need that):

    {prefix}:version   integer, +1 per committed change set        {prefix}:epoch     id of this data set
    {prefix}:flags     hash  key -> flag JSON                      {prefix}:segments  hash key -> segment JSON
    {prefix}:versions  hash  "flag:<key>" -> version that wrote it {prefix}:audit     stream of change sets
    {prefix}:acks      zset  client id -> version it applied        channel {prefix}:changes  invalidations

Every write is one Lua script: compare every expected version, write, bump the version, XADD the audit entry
and PUBLISH the change (with the new definitions, so subscribers need no round trip), all atomically.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from rollwise.errors import ConfigError
from rollwise.flags.config import parse_raw_segment, parse_stored_flag
from rollwise.flags.model import FlagSet
from rollwise.flags.model.changes import Audit, AuditEntry, Change
from rollwise.flags.ports import ConflictError, Snapshot, StoreUnavailable, redact

AUDIT_MAXLEN = 10_000

# KEYS: version, epoch, flags, segments, versions, audit
# ARGV: changes JSON, channel, audit JSON, epoch candidate, audit maxlen, "1" when clients should acknowledge
APPLY_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[2], epoch)
end
local changes = cjson.decode(ARGV[1])
for _, c in ipairs(changes) do
  local actual = tonumber(redis.call('HGET', KEYS[5], c.kind .. ':' .. c.key) or '0')
  if actual ~= c.expected then
    return {'conflict', c.key, c.expected, actual}
  end
end
local version = current + 1
redis.call('SET', KEYS[1], version)
for _, c in ipairs(changes) do
  local hash = KEYS[3]
  if c.kind == 'segment' then hash = KEYS[4] end
  if c.value == '' then
    redis.call('HDEL', hash, c.key)
    redis.call('HDEL', KEYS[5], c.kind .. ':' .. c.key)
  else
    redis.call('HSET', hash, c.key, c.value)
    redis.call('HSET', KEYS[5], c.kind .. ':' .. c.key, version)
  end
end
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'version', version, 'entry', ARGV[3])
-- the commit time (server clock, microseconds) lets every client measure how long the change took to reach it
local now = redis.call('TIME')
-- clients write an acknowledgement only when a writer waits for them: no write storm on every change
local ack = ''
if ARGV[6] == '1' then ack = ',"ack":true' end
redis.call('PUBLISH', ARGV[2], '{"version":' .. version .. ',"previous":' .. current ..
  ',"epoch":"' .. epoch .. '","committed_at":' .. now[1] .. string.format('%06d', tonumber(now[2])) .. ack ..
  ',"changes":' .. ARGV[1] .. '}')
return {'ok', version, epoch}
"""


def connect(url: str, **options: Any):
    """A redis-py client for ``redis://``, ``rediss://``, ``redis+sentinel://`` or ``redis+cluster://`` URLs.

    Sentinel: ``redis+sentinel://[:password@]host:port[,host:port...]/<service>[/<db>]``.
    """
    try:
        import redis
        from redis.cluster import RedisCluster
        from redis.sentinel import Sentinel
    except ImportError:
        raise ConfigError("writing to Redis needs the redis package",
                          fix="pip install 'rollwise[redis]'") from None

    options.setdefault("socket_connect_timeout", 2.0)
    options.setdefault("socket_timeout", 5.0)
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        return redis.Redis.from_url(url, **options)
    if parts.scheme in ("redis+cluster", "rediss+cluster"):
        return RedisCluster.from_url(url.replace("+cluster", "", 1), **options)
    if parts.scheme in ("redis+sentinel", "rediss+sentinel"):
        netloc = parts.netloc.rsplit("@", 1)
        password = unquote(netloc[0].split(":", 1)[-1]) if len(netloc) == 2 else None
        hosts = []
        for hostport in netloc[-1].split(","):
            host, _, port = hostport.rpartition(":")
            hosts.append((host or hostport, int(port) if host else 26379))
        path = [p for p in parts.path.split("/") if p]
        if not path:
            raise ConfigError(f"sentinel URL {url!r} names no service",
                              fix="write redis+sentinel://host:26379/<service name>[/<db>]")
        sentinel = Sentinel(hosts, sentinel_kwargs={"password": password} if password else None, **options)
        return sentinel.master_for(path[0], password=password, db=int(path[1]) if len(path) > 1 else 0,
                                   ssl=parts.scheme.startswith("rediss"))
    raise ConfigError(f"unsupported store URL {url!r}",
                      fix="use redis://, rediss://, redis+sentinel://, redis+cluster:// or file://flags.yml")


def split_prefix(url: str) -> tuple[str, str]:
    """Take the ``prefix`` query parameter (key namespace, default ``rollwise``) off a store URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    prefix = query.pop("prefix", ["rollwise"])[0]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True))), prefix


class RedisStore:
    """Flags in Redis with atomic, audited compare-and-set writes and pub/sub invalidation."""

    def __init__(self, url: str, client: Any = None, prefix: str | None = None) -> None:
        plain_url, url_prefix = split_prefix(url)
        self.url = redact(url)
        self.prefix = prefix or url_prefix
        self.redis = client if client is not None else connect(plain_url)
        tag = "{" + self.prefix + "}"
        self.keys = {name: f"{tag}:{name}" for name in
                     ("version", "epoch", "flags", "segments", "versions", "audit", "acks")}
        self.channel = f"{tag}:changes"
        #: set by a writer that will wait for clients (``--wait-clients``): its changes ask clients to acknowledge
        self.request_acks = False
        self._apply = self.redis.register_script(APPLY_SCRIPT)

    def _call(self, what: str, fn, *args, **kwargs):
        import redis

        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StoreUnavailable(
                f"Redis at {self.url} is unreachable while {what}: {exc}. Nothing was changed; "
                "check the URL and that Redis is up, then retry."
            ) from None

    def read_raw(self) -> tuple[int, str, dict, dict, dict]:
        """(version, epoch, flags, segments, versions) as stored, read in one MULTI/EXEC."""
        def read():
            pipe = self.redis.pipeline(transaction=True)
            pipe.get(self.keys["version"])
            pipe.get(self.keys["epoch"])
            pipe.hgetall(self.keys["flags"])
            pipe.hgetall(self.keys["segments"])
            pipe.hgetall(self.keys["versions"])
            return pipe.execute()

        version, epoch, flags, segments, versions = self._call("reading flags", read)
        return (int(version or 0), _text(epoch) if epoch else "",
                {_text(k): v for k, v in flags.items()}, {_text(k): v for k, v in segments.items()},
                {_text(k): int(v) for k, v in versions.items()})

    def load(self) -> Snapshot:
        return snapshot_from_raw(self.url, *self.read_raw())

    def apply(self, changes: Sequence[Change], audit: Audit) -> int:
        import redis

        if not changes:
            raise ValueError("no changes to apply")
        payload = json.dumps([
            {"kind": c.kind, "key": c.key, "expected": c.expected_version,
             "value": "" if c.after is None else json.dumps(c.after, ensure_ascii=False)}
            for c in changes
        ], ensure_ascii=False)
        entry = json.dumps({"at": _now(), "actor": audit.actor, "reason": audit.reason, "run_url": audit.run_url,
                            "sha": audit.sha, "changes": [c.to_dict() for c in changes]}, ensure_ascii=False)
        keys = [self.keys[k] for k in ("version", "epoch", "flags", "segments", "versions", "audit")]
        try:
            result = self._call("writing flags", self._apply, keys=keys,
                                args=[payload, self.channel, entry, uuid.uuid4().hex, AUDIT_MAXLEN,
                                      "1" if self.request_acks else "0"])
        except redis.ResponseError as exc:
            raise StoreUnavailable(f"Redis at {self.url} refused the change: {exc}") from None
        status = _text(result[0])
        if status == "conflict":
            raise ConflictError(_text(result[1]), int(result[2]), int(result[3]))
        return int(result[1])

    def history(self, key: str | None = None, limit: int = 20) -> list[AuditEntry]:
        # scan a bounded window so a filtered history stays cheap on a long stream
        rows = self._call("reading the audit stream", self.redis.xrevrange, self.keys["audit"], count=max(limit, 1000)
                          if key else limit)
        entries = []
        for entry_id, fields in rows:
            fields = {_text(k): _text(v) for k, v in fields.items()}
            raw = json.loads(fields["entry"])
            if key is not None and all(c["key"] != key for c in raw["changes"]):
                continue
            entries.append(AuditEntry(int(fields["version"]), raw["at"],
                                      Audit(raw["actor"], raw["reason"], raw["run_url"], raw["sha"]),
                                      raw["changes"], _text(entry_id)))
            if len(entries) >= limit:
                break
        return entries

    def subscribe(self) -> _PubSub:
        """A subscription to the change channel, confirmed before returning."""
        import redis

        try:
            pubsub = self.redis.pubsub()
            pubsub.subscribe(self.channel)
            deadline = time.monotonic() + 5.0
            while (confirm := pubsub.get_message(timeout=0.1)) is None or confirm["type"] != "subscribe":
                if time.monotonic() > deadline:
                    raise redis.TimeoutError("no subscription confirmation within 5s")
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"cannot subscribe to {self.channel} at {self.url}: {exc}") from None
        return _PubSub(pubsub)

    def acknowledge(self, client_id: str, version: int) -> None:
        """Record that a client applied ``version`` (read by ``flags ... --wait-clients``)."""
        self.redis.zadd(self.keys["acks"], {client_id: version})

    def forget(self, client_id: str) -> None:
        self.redis.zrem(self.keys["acks"], client_id)

    def acknowledged(self, version: int) -> int:
        return int(self._call("reading acknowledgements", self.redis.zcount, self.keys["acks"], version, "+inf"))

    def close(self) -> None:
        self.redis.close()


class _PubSub:
    """redis-py's PubSub behind the interface FlagClient uses (``get_message``, ``close``)."""

    def __init__(self, pubsub: Any) -> None:
        self.pubsub = pubsub

    def get_message(self, timeout: float) -> bytes | None:
        import redis

        try:
            message = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except (redis.ConnectionError, redis.TimeoutError, OSError, AttributeError, ValueError) as exc:
            # AttributeError/ValueError: redis-py's reader after its connection was closed underneath it
            raise StoreUnavailable(f"lost the subscription: {exc}") from None
        return message["data"] if message is not None and message.get("type") == "message" else None

    def close(self) -> None:
        try:
            self.pubsub.close()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass


def snapshot_from_raw(source: str, version: int, epoch: str, flags: dict, segments: dict,
                      versions: dict[str, int]) -> Snapshot:
    """Parse stored definitions; an unreadable one is reported in ``bad`` and left out, never fatal."""
    raw_flags, raw_segments, parsed_flags, parsed_segments, bad = {}, {}, {}, {}, {}
    for key, text in segments.items():
        try:
            raw = json.loads(text)
            parsed_segments[key] = parse_raw_segment(key, raw, f"{source} segment {key}")
            raw_segments[key] = parsed_segments[key].raw
        except (ValueError, ConfigError) as exc:
            bad[f"segment:{key}"] = str(exc)
    for key, text in flags.items():
        try:
            flag = parse_stored_flag(key, text, f"{source} flag {key}", version=versions.get(f"flag:{key}", 0))
            if any(s not in parsed_segments for rule in flag.rules for s in rule.segments):
                raise ConfigError(f"flag '{key}' uses a segment that is missing or unreadable")
            parsed_flags[key] = flag
            raw_flags[key] = flag.raw
        except (ValueError, ConfigError) as exc:
            bad[key] = str(exc)
    flagset = FlagSet(flags=parsed_flags, segments=parsed_segments, version=version)
    return Snapshot(flagset, version, epoch, raw_flags, raw_segments, versions, bad)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")

"""What a Redis store holds, decoded one value at a time: one damaged value is reported and skipped, never fatal.

Both readers (the application client's RESP connection and the CLI's redis-py) hand the five raw replies of a
load to :func:`decode_replies`; definitions are parsed with :func:`load_json`, which bounds size and nesting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rollwise.flags.ports import Snapshot

#: bytes of one stored flag or segment definition (a large flag is a few KiB)
MAX_DEFINITION_BYTES = 256 * 1024
#: the largest reply or change message accepted (all 1,000 flags of a large store are about 300 KiB)
MAX_REPLY_BYTES = 64 * 2**20
#: nesting of JSON arrays and objects in one definition (rules -> conditions -> values is 5 deep)
MAX_DEPTH = 32
#: a version Lua and Python both read exactly: digits only, below 2**53
_VERSION = re.compile(rb"[0-9]{1,15}")
#: an epoch as the write script makes it (a uuid4 hex); anything else is damaged
_EPOCH = re.compile(rb"[A-Za-z0-9-]{1,64}")


@dataclass
class Decoded:
    """A load's raw replies made safe: text keys, integer versions, and what was damaged (``bad``)."""

    version: int = 0
    epoch: str = ""
    flags: dict[str, bytes] = field(default_factory=dict)
    segments: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    #: "<flag key>", "segment:<key>" or "store:<what>" -> why it was skipped
    bad: dict[str, str] = field(default_factory=dict)
    #: field names that are not UTF-8, by the name shown for them ("flag:<shown>" / "segment:<shown>")
    raw_names: dict[str, bytes] = field(default_factory=dict)


def load_json(text: str | bytes, what: str, max_bytes: int = MAX_DEFINITION_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON no larger than ``max_bytes`` and no deeper than ``max_depth``; ValueError otherwise."""
    if len(text) > max_bytes:
        raise ValueError(f"{what} is {len(text):,} bytes, over the limit of {max_bytes:,}")
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"{what} is nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    # counting brackets is C-fast and bounds the depth; walk the value only when they could nest too deep
    opened = text.count(b"[" if isinstance(text, bytes) else "[") + text.count(b"{" if isinstance(text, bytes) else "{")
    if opened > max_depth and depth(value, max_depth) > max_depth:
        raise ValueError(f"{what} is nested deeper than {max_depth} levels")
    return value


def depth(value: Any, limit: int) -> int:
    """Nesting depth of arrays and objects in ``value``, counted up to ``limit + 1`` (iterative, no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def shown_name(raw: bytes | str) -> tuple[str, bool]:
    """A field name as text, and whether it was valid UTF-8 (if not, its bad bytes are shown as \\xNN)."""
    if isinstance(raw, str):
        return raw, True
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


def decode_replies(keys: Mapping[str, str], version: Any, epoch: Any, flags: Any, segments: Any,
                   versions: Any) -> Decoded:
    """Decode GET version, GET epoch and HGETALL flags/segments/versions replies (errors arrive as exceptions)."""
    out = Decoded()
    out.version = _version(version, keys["version"], out.bad)
    if isinstance(epoch, bytes) and _EPOCH.fullmatch(epoch):
        out.epoch = epoch.decode()
    elif epoch is not None:
        out.epoch = "damaged"  # not empty: the definitions are still served; the next write sets a new epoch
        out.bad["store:epoch"] = (f"{keys['epoch']} holds {_show(epoch)}, not an id; the next change starts a "
                                  "new data set (clients reload everything)")
    for kind, reply, into in (("flag", flags, out.flags), ("segment", segments, out.segments)):
        for raw_name, value in _pairs(reply, keys[f"{kind}s"], out.bad):
            name, utf8 = shown_name(raw_name)
            label = name if kind == "flag" else f"segment:{name}"
            if not utf8:
                out.raw_names[f"{kind}:{name}"] = raw_name
                out.bad[label] = (f"the {kind} name {name!r} is not UTF-8; `rollwise flags sync` deletes it "
                                  "(or HDEL it by hand)")
                continue
            if not isinstance(value, bytes):
                out.bad[label] = f"stored value is {_show(value)}, not JSON text"
                continue
            into[name] = value
    for raw_name, value in _pairs(versions, keys["versions"], out.bad):
        name, _ = shown_name(raw_name)
        if isinstance(value, bytes) and _VERSION.fullmatch(value):
            out.versions[name] = int(value)
        else:
            # the write script reads a damaged version as -1 too, so a compare-and-set can overwrite it
            out.versions[name] = -1
            out.bad[f"store:versions:{name}"] = f"{keys['versions']} field {name!r} holds {_show(value)}, not a version"
    return out


def _version(reply: Any, key: str, bad: dict[str, str]) -> int:
    if reply is None:
        return 0
    if isinstance(reply, bytes) and _VERSION.fullmatch(reply):
        return int(reply)
    bad["store:version"] = (f"{key} holds {_show(reply)}, not a version number; read as 0, and the next change "
                            "starts a new data set (clients reload everything)")
    return 0


def _pairs(reply: Any, key: str, bad: dict[str, str]) -> list[tuple[Any, Any]]:
    """HGETALL as (field, value) pairs: redis-py gives a dict, a RESP2 reader a flat list."""
    if reply is None:
        return []
    pairs = list(reply.items()) if isinstance(reply, dict) else None
    if isinstance(reply, list) and len(reply) % 2 == 0:
        pairs = list(zip(reply[0::2], reply[1::2]))
    if pairs is not None and all(isinstance(name, (bytes, str)) for name, _ in pairs):
        return pairs
    if isinstance(reply, Exception):
        bad[f"store:{key}"] = (f"reading {key} failed: {reply}. If it is of the wrong type, delete it "
                               f"(redis-cli DEL '{key}') and run `rollwise flags sync`")
    else:
        bad[f"store:{key}"] = f"{key} gave an unexpected reply {_show(reply)}"
    return []


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def build_snapshot(source: str, decoded: Decoded) -> Snapshot:
    """Parse every stored definition on its own; an unreadable one goes to ``bad`` and is left out."""
    from rollwise.errors import ConfigError
    from rollwise.flags.config import parse_raw_segment, parse_stored_flag
    from rollwise.flags.model import FlagSet

    bad = dict(decoded.bad)
    raw_flags, raw_segments, parsed_flags, parsed_segments = {}, {}, {}, {}
    for key, text in decoded.segments.items():
        try:
            raw = load_json(text, f"segment {key}")
            parsed_segments[key] = parse_raw_segment(key, raw, f"{source} segment {key}")
            raw_segments[key] = parsed_segments[key].raw
        except (ValueError, ConfigError, RecursionError) as exc:
            bad[f"segment:{key}"] = str(exc)
    for key, text in decoded.flags.items():
        try:
            raw = load_json(text, f"flag {key}")  # size and depth first: the parser below trusts its input's shape
            flag = parse_stored_flag(key, text, f"{source} flag {key}", version=decoded.versions.get(f"flag:{key}", 0),
                                     raw=raw)
            if any(s not in parsed_segments for rule in flag.rules for s in rule.segments):
                raise ConfigError(f"flag '{key}' uses a segment that is missing or unreadable")
            parsed_flags[key] = flag
            raw_flags[key] = flag.raw
        except (ValueError, ConfigError, RecursionError) as exc:
            bad[key] = str(exc)
    flagset = FlagSet(flags=parsed_flags, segments=parsed_segments, version=decoded.version)
    return Snapshot(flagset, decoded.version, decoded.epoch, raw_flags, raw_segments, decoded.versions, bad,
                    decoded.raw_names)


#: how often a load is retried when writes keep landing between its first and last read
LOAD_ATTEMPTS = 5


def load_commands(keys: Mapping[str, str]) -> list[tuple[str, str]]:
    """The reads of one load, without MULTI (a read-only ACL user may not run it): the version comes first and
    last, and a load is consistent when both agree, since every write is one script that bumps the version."""
    return [("GET", keys["version"]), ("GET", keys["epoch"]), ("HGETALL", keys["flags"]),
            ("HGETALL", keys["segments"]), ("HGETALL", keys["versions"]), ("GET", keys["version"])]


def consistent(replies: list[Any]) -> bool:
    first, last = replies[0], replies[-1]
    if isinstance(first, Exception) or isinstance(last, Exception):
        return type(first) is type(last) and str(first) == str(last)
    return first == last

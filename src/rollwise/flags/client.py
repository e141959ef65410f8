"""FlagClient: evaluate flags from memory; Redis pushes every change, a version number catches missed ones.

One background thread per client keeps a subscription to the store's change channel. A change message
carries the new definitions and the version it follows; if that is not the version the client holds, a
message was missed and the client reloads everything. A lost connection is retried with exponential
backoff and jitter, re-subscribing *before* reloading so no change slips between the two. While Redis is
unreachable the client keeps serving its last-known flags (evaluations are marked ``stale``); a periodic
full reload runs only as a safety net.

The hot path reads one immutable snapshot reference: no lock, no I/O, so ``evaluate`` is safe from any
thread and from asyncio code. Change listeners run on the client thread, or on an asyncio loop if given.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rollwise.errors import ConfigError
from rollwise.flags.config import parse_raw_segment, parse_stored_flag
from rollwise.flags.model import ERROR, Evaluation, Flag, FlagSet
from rollwise.flags.model.evaluate import evaluate as evaluate_flag
from rollwise.flags.ports import Snapshot, StoreUnavailable

if TYPE_CHECKING:  # asyncio only in annotations: applications that never use it do not import it
    import asyncio

log = logging.getLogger("rollwise.flags")

PROVIDER_NOT_READY = "PROVIDER_NOT_READY"
#: seconds (x1-2, jittered) from applying a version to acknowledging it: a burst costs one acknowledgement per client
ACK_DELAY = 0.1
Listener = Callable[[list[str], int], Any]


@dataclass(frozen=True)
class _State:
    flagset: FlagSet
    epoch: str = ""
    loaded: bool = False
    stale: bool = True

    @property
    def version(self) -> int:
        return self.flagset.version


@dataclass
class _Listener:
    callback: Listener
    loop: asyncio.AbstractEventLoop | None = None


@dataclass
class ClientOptions:
    """Tuning knobs; the defaults suit a web service."""

    resync_interval: float = 60.0  #: full reload as a safety net (push is the normal path)
    backoff_initial: float = 0.05  #: first reconnect delay, doubled per failure ...
    backoff_max: float = 2.0  #: ... up to this, with +-50 % jitter
    file_poll_interval: float = 1.0  #: how often a file:// store is checked for changes
    acknowledge: bool = True  #: record applied versions so `flags ... --wait-clients` can wait for them
    defaults: Mapping[str, Any] = field(default_factory=dict)  #: code defaults by flag key


def open_reader(url: str) -> Any:
    """What a client reads from: the light RESP reader for plain Redis URLs, redis-py for Sentinel/Cluster."""
    scheme = url.split("://", 1)[0]
    if scheme in ("redis", "rediss", "unix"):
        from rollwise.flags.adapters.resp import RespStore

        return RespStore(url)
    from rollwise.flags.adapters import open_store

    return open_store(url)


class FlagClient:
    """In-memory flag evaluation kept current by a store (``FlagClient.connect(url)``)."""

    def __init__(self, store: Any, options: ClientOptions | None = None) -> None:
        self.store = store
        self.options = options or ClientOptions()
        self.id = uuid.uuid4().hex
        self._state = _State(FlagSet(flags={}, version=-1))
        self._lock = threading.RLock()
        self._listeners: list[_Listener] = []
        self._status_listeners: list[Callable[[bool, str | None], Any]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._subscription: Any = None
        self._ack_due: float | None = None
        self.last_error: str | None = None
        #: seconds from the commit in Redis to this client applying the last pushed change (None before one)
        self.propagation_delay: float | None = None
        self._thread = threading.Thread(target=self._run, name="rollwise-flags", daemon=True)

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, *, timeout: float = 5.0, options: ClientOptions | None = None,
                **option_overrides: Any) -> FlagClient:
        """Open ``url`` (redis://, rediss://, redis+sentinel://, redis+cluster://, file://) and load all flags.

        Waits up to ``timeout`` for the first load. If the store is unreachable the client still starts,
        serving code defaults (reason ERROR, PROVIDER_NOT_READY) until the store comes back.
        """
        options = replace(options or ClientOptions(), **option_overrides)
        client = cls(open_reader(url), options)
        client._thread.start()
        client._ready.wait(timeout)
        return client

    @classmethod
    async def connect_async(cls, url: str, **kwargs: Any) -> FlagClient:
        """``connect`` without blocking the event loop."""
        import asyncio

        return await asyncio.to_thread(cls.connect, url, **kwargs)

    # -- evaluation (hot path) ----------------------------------------------------------------------------
    def evaluate(self, key: str, context: Mapping[str, Any] | None = None, default: Any = None) -> Evaluation:
        """Evaluate ``key`` for ``context`` from memory. Never raises, never blocks on I/O."""
        state = self._state
        if default is None:
            default = self.options.defaults.get(key)
        if not state.loaded:
            return Evaluation(key, default, None, ERROR, error_code=PROVIDER_NOT_READY,
                              error_message=f"flags not loaded yet from {self.store.url}", stale=True)
        result = evaluate_flag(state.flagset, key, context, default)
        return replace(result, stale=True) if state.stale else result

    def value(self, key: str, context: Mapping[str, Any] | None = None, default: Any = None) -> Any:
        """Just the value of ``evaluate``."""
        return self.evaluate(key, context, default).value

    def is_enabled(self, key: str, context: Mapping[str, Any] | None = None, default: bool = False) -> bool:
        """A boolean flag's value (``default`` on any error)."""
        return self.evaluate(key, context, default).value is True

    # -- state --------------------------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Store version of the flags in memory (-1 before the first load)."""
        return self._state.version

    @property
    def stale(self) -> bool:
        """True while the store is unreachable and last-known values are served."""
        return self._state.stale

    @property
    def flags(self) -> FlagSet:
        return self._state.flagset

    def wait_for_version(self, version: int, timeout: float = 5.0) -> bool:
        """Block until the client holds ``version`` or later (tests, deploy scripts)."""
        deadline = time.monotonic() + timeout
        while self._state.version < version:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        return True

    def on_change(self, callback: Listener, loop: asyncio.AbstractEventLoop | None = None) -> Callable[[], None]:
        """Call ``callback(changed_keys, version)`` after each applied change; returns an unsubscribe function.

        ``changed_keys`` includes flags whose prerequisites changed (they may evaluate differently now).

        With ``loop`` the callback is scheduled on that asyncio loop (thread-safe) instead of the client thread.
        """
        subscription = _Listener(callback, loop)
        with self._lock:
            self._listeners.append(subscription)
        return lambda: self._listeners.remove(subscription) if subscription in self._listeners else None

    def on_status(self, callback: Callable[[bool, str | None], Any]) -> Callable[[], None]:
        """Call ``callback(stale, problem)`` when the client loses its store (stale=True) and when it is back."""
        with self._lock:
            self._status_listeners.append(callback)
        return lambda: self._status_listeners.remove(callback) if callback in self._status_listeners else None

    def refresh(self) -> None:
        """Reload everything now (normally unnecessary: changes are pushed)."""
        self._resync("refresh requested")

    def close(self) -> None:
        """Stop the background thread and release connections."""
        self._stop.set()
        if self._subscription is not None:
            self._subscription.close()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self.options.acknowledge and hasattr(self.store, "forget"):
            try:
                self.store.forget(self.id)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass
        self.store.close()

    def __enter__(self) -> FlagClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- background ---------------------------------------------------------------------------------------
    def _run(self) -> None:
        if hasattr(self.store, "subscribe"):
            self._run_redis()
        else:
            self._run_file()

    def _run_file(self) -> None:
        seen = None
        while not self._stop.is_set():
            try:
                stat = self.store.path.stat()
                marker = (stat.st_mtime_ns, stat.st_size)
                if marker != seen:
                    seen = marker
                    # the file is the whole truth: a hand edit need not bump its revision
                    self._install(self.store.load(), "file changed", newest=True)
            except Exception as exc:  # noqa: BLE001 - an unreadable file must not stop the watcher
                if not isinstance(exc, (ConfigError, OSError)):
                    log.exception("unexpected error reading %s", self.store.path)
                self._mark_stale(f"cannot read {self.store.path}: {exc}; serving the last good flags")
            self._ready.set()
            self._stop.wait(self.options.file_poll_interval)

    def _run_redis(self) -> None:
        delay = self.options.backoff_initial
        while not self._stop.is_set():
            subscription = None
            try:
                # subscribe first (confirmed), then load: a change committed in between arrives as a message
                subscription = self._subscription = self.store.subscribe()
                self._resync("connected")
                delay = self.options.backoff_initial
                last_full = time.monotonic()
                while not self._stop.is_set():
                    due = self._ack_due
                    wait = 0.5 if due is None else max(0.0, min(0.5, due - time.monotonic()))
                    data = subscription.get_message(timeout=wait)
                    if data is not None:
                        self._on_message(data)
                    if self._ack_due is not None and time.monotonic() >= self._ack_due:
                        self._acknowledge()
                    if time.monotonic() - last_full >= self.options.resync_interval:
                        self._resync("periodic safety net")
                        last_full = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - the follower thread must never die, or flags freeze
                if self._stop.is_set():
                    break
                if not isinstance(exc, (StoreUnavailable, OSError, ConnectionError)):
                    log.exception("unexpected error while following %s; reconnecting", self.store.url)
                self._mark_stale(f"lost Redis at {self.store.url} ({exc}); serving the last good flags, "
                                 f"retrying in {delay:.2f}s")
                self._ready.set()
                self._stop.wait(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, self.options.backoff_max)
            finally:
                if subscription is not None:
                    subscription.close()

    def _on_message(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            version, previous, epoch = int(message["version"]), int(message["previous"]), message["epoch"]
            changes = message["changes"]
            committed_at = message.get("committed_at")
            wants_ack = message.get("ack") is True
        except (ValueError, KeyError, TypeError) as exc:
            log.error("ignoring an unreadable change message (%s); reloading all flags", exc)
            self._resync("unreadable change message")
            return
        with self._lock:  # a concurrent refresh() must not be overwritten by an older derived state
            state = self._state
            if epoch != state.epoch:
                self._resync("the store was re-initialised")
                return
            if version <= state.version:
                return  # already applied by a reload
            if previous != state.version:
                self._resync(f"missed change(s): holding {state.version}, message follows {previous}")
                return
            flags, segments = dict(state.flagset.flags), dict(state.flagset.segments)
            changed: list[str] = []
            changed_segments: set[str] = set()
            for change in changes:
                key, kind, text = change["key"], change["kind"], change["value"]
                source = f"{self.store.url} {kind} {key}"
                try:
                    if kind == "segment":
                        if text:
                            segments[key] = parse_raw_segment(key, json.loads(text), source)
                        else:
                            segments.pop(key, None)
                        changed_segments.add(key)
                        continue
                    if text:
                        flags[key] = parse_stored_flag(key, text, source, version=version)
                    else:
                        flags.pop(key, None)
                    changed.append(key)
                except (ValueError, ConfigError) as exc:
                    log.error("flag data for %s at version %d is invalid, keeping the last good one: %s", key, version, exc)
            if changed_segments:
                changed += [k for k, flag in flags.items() if k not in changed
                            and any(s in changed_segments for rule in flag.rules for s in rule.segments)]
            if isinstance(committed_at, int):
                # Redis's clock and ours are the same clock when they share a machine; across machines this
                # includes their clock difference
                self.propagation_delay = time.time() - committed_at / 1e6
            self._swap(_State(FlagSet(flags, segments, version), epoch, loaded=True, stale=False), changed,
                       acknowledge=wants_ack)

    def _resync(self, why: str) -> None:
        snapshot = self.store.load()
        self._install(snapshot, why)

    def _install(self, snapshot: Snapshot, why: str, newest: bool = False) -> None:
        with self._lock:
            state = self._state
            if not snapshot.epoch and state.loaded:
                self._mark_stale(f"{self.store.url} holds no flags (restarted empty?); serving the last good "
                                 f"flags (version {state.version}) until flags are synced again")
                return
            if not newest and snapshot.epoch == state.epoch and snapshot.version < state.version:
                return  # never go back to an older snapshot of the same data set
            flags = dict(snapshot.flagset.flags)
            for key, problem in snapshot.bad.items():
                if key in state.flagset.flags and not key.startswith("segment:"):
                    flags[key] = state.flagset.flags[key]
                    log.error("flag %s in %s is unreadable, keeping version %d: %s", key, self.store.url,
                              state.flagset.flags[key].version, problem)
                else:
                    log.error("flag %s in %s is unreadable and has no last good version: %s", key,
                              self.store.url, problem)
            new = FlagSet(flags, snapshot.flagset.segments, snapshot.version)
            changed = _changed(state.flagset, new) if state.loaded else sorted(flags)
            log.debug("loaded version %d from %s (%s)", snapshot.version, self.store.url, why)
            self._swap(_State(new, snapshot.epoch, loaded=True, stale=False), changed)

    def _swap(self, state: _State, changed: list[str], acknowledge: bool = True) -> None:
        """Install a new state; acknowledge it when asked (a pushed change a writer waits for) or after a load."""
        with self._lock:
            recovered = self._state.stale and self._state.loaded
            self._state = state
            self.last_error = None
        if recovered:
            self._status(False, None)
        self._ready.set()
        if changed:
            # a flag whose prerequisite changed may now evaluate differently: report it too
            self._notify(state.flagset.with_dependents(changed), state.version)
        if acknowledge and self.options.acknowledge and hasattr(self.store, "acknowledge"):
            # coalesced and sent shortly after, so a burst of changes fans out to every client first
            # jittered, so the acknowledgements of many clients do not arrive together with the next change
            self._ack_due = self._ack_due or time.monotonic() + ACK_DELAY * random.uniform(1.0, 2.0)

    def _acknowledge(self) -> None:
        self._ack_due = None
        version = self._state.version
        try:
            self.store.acknowledge(self.id, version)
        except Exception as exc:  # noqa: BLE001 - acknowledgement is advisory
            log.debug("could not acknowledge version %d: %s", version, exc)

    def _mark_stale(self, problem: str) -> None:
        with self._lock:
            if self.last_error != problem:
                log.error("%s", problem)
            self.last_error = problem
            became_stale = not self._state.stale
            if became_stale:
                self._state = replace(self._state, stale=True)
        if became_stale:
            self._status(True, problem)

    def _status(self, stale: bool, problem: str | None) -> None:
        for callback in list(self._status_listeners):
            try:
                callback(stale, problem)
            except Exception:  # noqa: BLE001 - one bad listener must not stop the others
                log.exception("flag status listener failed")

    def _notify(self, changed: list[str], version: int) -> None:
        for subscription in list(self._listeners):
            try:
                if subscription.loop is not None:
                    subscription.loop.call_soon_threadsafe(subscription.callback, changed, version)
                else:
                    subscription.callback(changed, version)
            except Exception:  # noqa: BLE001 - one bad listener must not stop the others
                log.exception("flag change listener failed")


def _changed(old: FlagSet, new: FlagSet) -> list[str]:
    keys = set(old.flags) | set(new.flags)
    return sorted(k for k in keys if _definition(old.flags.get(k)) != _definition(new.flags.get(k)))


def _definition(flag: Flag | None) -> str | None:
    return None if flag is None else json.dumps(flag.raw, default=str)

"""An OpenFeature provider (``openfeature-sdk``) on top of :class:`~rollwise.flags.FlagClient`.

    from openfeature import api
    from rollwise.flags.openfeature import RollwiseProvider
    api.set_provider(RollwiseProvider.connect("redis://127.0.0.1:6379"))
    api.get_client().get_boolean_value("new-checkout", False, EvaluationContext("user-42", {"country": "DE"}))

Reasons map one to one (PREREQUISITE_FAILED is passed through as a provider-specific reason); a disabled flag
without an off variant resolves to the caller's default with reason DISABLED, as flagd does. Flag metadata
holds the flag's own ``metadata`` (its boolean, string and number entries) plus the store ``version`` of the
definition used (and ``stale`` while Redis is unreachable). ``initialize`` waits up to ``init_timeout`` for the
first load (status NOT_READY meanwhile), then fails with PROVIDER_NOT_READY (status ERROR) and emits
PROVIDER_READY once the store has been read. Each
change pushed by the store is emitted as PROVIDER_CONFIGURATION_CHANGED with the changed flag keys; losing
the store emits PROVIDER_STALE (last-known values keep being served) and getting it back PROVIDER_READY.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode, ProviderNotReadyError
from openfeature.flag_evaluation import FlagResolutionDetails
from openfeature.provider import AbstractProvider, Metadata

from rollwise.flags.client import FlagClient
from rollwise.flags.model import ERROR, TARGETING_KEY


class RollwiseProvider(AbstractProvider):
    """OpenFeature provider evaluating from a FlagClient's memory."""

    def __init__(self, client: FlagClient, init_timeout: float = 5.0) -> None:
        super().__init__()
        self.client = client
        self.init_timeout = init_timeout
        self._closed = threading.Event()
        self._waiting_for_first_load = False
        self._metadata: dict[str, tuple[Any, Mapping[str, Any]]] = {}
        self._unsubscribe = client.on_change(self._changed)
        self._unsubscribe_status = client.on_status(self._status)

    @classmethod
    def connect(cls, url: str, init_timeout: float = 5.0, **kwargs: Any) -> RollwiseProvider:
        """A provider over ``FlagClient.connect(url, **kwargs)``."""
        return cls(FlagClient.connect(url, **kwargs), init_timeout=init_timeout)

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Return once the flags are in memory; PROVIDER_NOT_READY if the store gave none within ``init_timeout``."""
        deadline = time.monotonic() + self.init_timeout
        while self.client.version < 0 and not self._closed.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.client.version < 0:
            self._waiting_for_first_load = True
            raise ProviderNotReadyError(f"no flags read from {self.client.store.url} within {self.init_timeout:g} s: "
                                        f"{self.client.last_error or 'no answer'}")

    def get_metadata(self) -> Metadata:
        return Metadata(name="rollwise")

    def shutdown(self) -> None:
        self._closed.set()
        self._unsubscribe()
        self._unsubscribe_status()
        self.client.close()

    def _changed(self, keys: list[str], version: int) -> None:
        if self._waiting_for_first_load:
            self._waiting_for_first_load = False
            self.emit_provider_ready(ProviderEventDetails(message=f"rollwise flags version {version} loaded"))
        self.emit_provider_configuration_changed(
            ProviderEventDetails(flags_changed=keys, message=f"rollwise flags version {version}", metadata={"version": version}))

    def _status(self, stale: bool, problem: str | None) -> None:
        if stale:
            self.emit_provider_stale(ProviderEventDetails(message=problem))
        else:
            self.emit_provider_ready(ProviderEventDetails(message="rollwise store reachable again"))

    def _resolve(self, key: str, default: Any, context: EvaluationContext | None, kind: tuple[type, ...],
                 exclude: tuple[type, ...] = ()) -> FlagResolutionDetails:
        attributes: dict[str, Any] = {}
        if context is not None:
            attributes.update(context.attributes)
            if context.targeting_key is not None:
                attributes[TARGETING_KEY] = context.targeting_key
        result = self.client.evaluate(key, attributes, default)
        metadata = {**self._flag_metadata(key), "version": result.version}
        if result.stale:
            metadata["stale"] = True
        if result.rule:
            metadata["rule"] = result.rule
        if result.reason == ERROR:
            return FlagResolutionDetails(value=default, reason=ERROR, error_code=ErrorCode(result.error_code or "GENERAL"),
                                         error_message=result.error_message, flag_metadata=metadata)
        value = result.value
        if value is not None and (not isinstance(value, kind) or isinstance(value, exclude)):
            return FlagResolutionDetails(value=default, reason=ERROR, error_code=ErrorCode.TYPE_MISMATCH,
                                         error_message=f"flag '{key}' serves {type(value).__name__}",
                                         flag_metadata=metadata)
        return FlagResolutionDetails(value=default if value is None else value, reason=result.reason,
                                     variant=result.variant, flag_metadata=metadata)

    def _flag_metadata(self, key: str) -> Mapping[str, Any]:
        """The flag's own metadata entries that OpenFeature allows (booleans, strings, numbers), kept per definition."""
        flag = self.client.flags.flags.get(key)
        if flag is None:
            return {}
        cached = self._metadata.get(key)
        if cached is None or cached[0] is not flag:
            own = flag.raw.get("metadata")
            entries = {k: v for k, v in own.items() if isinstance(v, (bool, str, int, float))} \
                if isinstance(own, dict) else {}
            cached = self._metadata[key] = (flag, entries)
        return cached[1]

    def resolve_boolean_details(self, flag_key: str, default_value: bool,
                                evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, default_value, evaluation_context, (bool,))

    def resolve_string_details(self, flag_key: str, default_value: str,
                               evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, default_value, evaluation_context, (str,))

    def resolve_integer_details(self, flag_key: str, default_value: int,
                                evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[int]:
        return self._resolve(flag_key, default_value, evaluation_context, (int,), exclude=(bool,))

    def resolve_float_details(self, flag_key: str, default_value: float,
                              evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[float]:
        return self._resolve(flag_key, default_value, evaluation_context, (int, float), exclude=(bool,))

    def resolve_object_details(self, flag_key: str, default_value: Sequence[Any] | Mapping[str, Any],
                               evaluation_context: EvaluationContext | None = None) -> FlagResolutionDetails[Any]:
        return self._resolve(flag_key, default_value, evaluation_context, (dict, list))

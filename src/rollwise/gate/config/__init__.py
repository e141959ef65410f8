"""Read rollwise.yml into a :class:`GateConfig`: JSON Schema first, then units, defaults and offline PromQL checks.

Every problem is a :class:`~rollwise.errors.ConfigError` naming file, line, key and the fix; no query is sent
before the whole file is known to be good.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from rollwise.errors import ConfigError
from rollwise.gate.model import (
    BudgetPolicy,
    GateConfig,
    LatencySli,
    Objective,
    Policy,
    PrometheusConfig,
    PromqlSli,
    RatioSli,
    Slo,
    Tolerance,
)
from rollwise.units import parse_amount, parse_duration, parse_percent, parse_share
from rollwise.yamlsource import Document, load_schema, load_yaml, validate_schema


def schema() -> dict[str, Any]:
    """The JSON Schema of rollwise.yml shipped with the package."""
    return load_schema("rollwise")


def _sli(doc: Document, path: tuple, raw: dict[str, Any]):
    kind, body = next(iter(raw.items()))
    if kind == "ratio":
        if ("errors" in body) == ("good" in body):
            raise doc.error(path + ("ratio",), "a ratio SLI needs exactly one of errors or good",
                            "write errors: <counter of failed requests> or good: <counter of good requests>")
        return RatioSli(errors=body.get("errors"), total=body["total"], good=body.get("good"))
    if kind == "latency":
        has_q, has_slow = "quantile" in body, "slower_than" in body
        if has_q == has_slow:
            raise doc.error(path + ("latency",), "a latency SLI needs exactly one of quantile or slower_than",
                            "write quantile: 0.95 (a p95 objective) or slower_than: 300ms (a share of slow requests); "
                            "for both, write two SLOs")
        return LatencySli(histogram=body["histogram"], quantile=body.get("quantile"),
                          slower_than=parse_amount(body["slower_than"]) if has_slow else None)
    if isinstance(body, str):
        return PromqlSli(query=body)
    return PromqlSli(query=body["query"], aggregate=body.get("aggregate", "mean"))


def _slo(doc: Document, index: int, raw: dict[str, Any]) -> Slo:
    from rollwise.gate.model import promql

    path = ("slos", index)
    sli = _sli(doc, path + ("sli",), raw["sli"])
    counts_based = isinstance(sli, RatioSli) or (isinstance(sli, LatencySli) and sli.slower_than is not None)
    raw_objective = raw["objective"]
    if counts_based:
        if isinstance(raw_objective, dict):
            raise doc.error(path + ("objective",), "this SLI counts bad requests, so its objective is a good share",
                            "write objective: 99.9 (or \"99.9%\") meaning 99.9 % of requests are good")
        objective = Objective(target=parse_percent(raw_objective))
    else:
        if not isinstance(raw_objective, dict):
            raise doc.error(path + ("objective",), "this SLI is a value per step, so its objective is a limit",
                            "write objective: {max: 300ms} (or {min: ...} for values that must stay high)")
        objective = Objective(max=parse_amount(raw_objective["max"]) if "max" in raw_objective else None,
                              min=parse_amount(raw_objective["min"]) if "min" in raw_objective else None)
        if objective.max is not None and objective.min is not None and objective.min > objective.max:
            raise doc.error(path + ("objective",), f"min {objective.min:g} is above max {objective.max:g}",
                            "swap them")
    direction = raw.get("direction")
    if direction is None:
        direction = "decrease" if (objective.min is not None and objective.max is None) else "increase"
    elif counts_based and direction != "increase":
        raise doc.error(path + ("direction",), "a share of bad requests only regresses by increasing",
                        "remove direction (it is always increase here)")
    raw_tol = raw.get("tolerance")
    if raw_tol is None:
        # Default absolute floor for counts: a tenth of the error budget, so 0.01 % -> 0.02 % is not "+100 %".
        tolerance = Tolerance(relative=0.10, absolute=0.1 * objective.bad_limit if counts_based else 0.0)
    elif isinstance(raw_tol, dict):
        tolerance = Tolerance(relative=parse_share(raw_tol.get("relative", 0.0)),
                              absolute=parse_amount(raw_tol.get("absolute", 0.0)))
    else:
        tolerance = Tolerance(relative=parse_share(raw_tol), absolute=0.1 * objective.bad_limit if counts_based else 0.0)
    unit = raw.get("unit") or ("s" if isinstance(sli, LatencySli) and not counts_based else "")
    slo = Slo(name=raw["name"], sli=sli, objective=objective, tolerance=tolerance, direction=direction,
              critical=bool(raw.get("critical", False)), weight=float(raw.get("weight", 1.0)), unit=unit,
              description=raw.get("description", ""), line=doc.line_of(path),
              sli_line=doc.line_of(path + ("sli", next(iter(raw["sli"])))), index=index)
    fix = ("check it with promtool or Prometheus's graph page; selectors are plain name{label=\"value\"} "
           "without the track labels")
    kind = next(iter(raw["sli"]))
    fields = {"ratio": ("errors", "good", "total"), "latency": ("histogram",)}.get(kind, ())
    for name in (f for f in fields if f in raw["sli"][kind]):
        try:
            promql.parse_selector(raw["sli"][kind][name])
        except promql.PromqlError as exc:
            raise doc.error(path + ("sli", kind, name), str(exc), fix) from None
    try:
        promql.validate(slo)
    except promql.PromqlError as exc:
        where = path + ("sli", kind) + (("query",) if isinstance(raw["sli"][kind], dict) else ())
        raise doc.error(where, str(exc), fix) from None
    return slo


def _imported(doc: Document, first_index: int) -> list[Slo]:
    """SLOs from the Sloth/OpenSLO files under ``import:``, checked like the ones written in rollwise.yml."""
    from rollwise.gate.config.imports import load_imported

    out: list[Slo] = []
    for position, relative in enumerate(doc.data.get("import") or []):
        path = Path(doc.file).parent / relative
        if not path.exists():
            raise doc.error(("import", position), f"imported SLO file {path} does not exist",
                            "give a path relative to rollwise.yml")
        for raw in load_imported(path):
            # Located in the imported file; the key names the SLO as it would sit in slos:.
            imported = Document(data={"slos": [raw]}, file=str(path))
            slo = _slo(imported, 0, raw)
            out.append(replace(slo, index=first_index + len(out), line=doc.line_of(("import", position))))
    return out


def _prometheus(raw: dict[str, Any]) -> PrometheusConfig:
    auth = raw.get("basic_auth") or {}
    return PrometheusConfig(
        url=raw.get("url"),
        bearer_token_env=raw.get("bearer_token_env"),
        username_env=auth.get("username_env"),
        password_env=auth.get("password_env"),
        headers=dict(raw.get("headers") or {}),
        tls_verify=raw.get("tls_verify", True),
        timeout=parse_duration(raw.get("timeout", 10)),
        deadline=parse_duration(raw.get("deadline", 30)),
        retries=int(raw.get("retries", 3)),
        scrape_interval=parse_duration(raw.get("scrape_interval", 15)),
        concurrency=int(raw.get("concurrency", 256)),
    )


def _policy(raw: dict[str, Any]) -> Policy:
    def optional(key: str) -> float | None:
        return parse_duration(raw[key]) if key in raw else None

    return Policy(
        alpha=float(raw.get("alpha", 0.05)),
        min_requests=int(raw.get("min_requests", 100)),
        min_points=int(raw.get("min_points", 8)),
        pass_score=float(raw.get("pass_score", 90.0)),
        warmup=parse_duration(raw.get("warmup", 0)),
        step=optional("step"),
        environment_lookback=optional("environment_lookback"),
    )


def config_from_document(doc: Document) -> GateConfig:
    """Validate a parsed rollwise.yml and build the GateConfig."""
    if not isinstance(doc.data, dict):
        raise ConfigError("the file is empty or not a mapping", file=doc.file, line=1,
                          fix="start with `version: rollwise/v1` and a list of slos:")
    validate_schema(doc, schema())
    data = doc.data
    slos = [_slo(doc, i, raw) for i, raw in enumerate(data.get("slos") or [])]
    slos += _imported(doc, len(slos))
    seen: dict[str, int] = {}
    for slo in slos:
        if slo.name in seen:
            raise doc.error(("slos", slo.index, "name"), f"SLO name '{slo.name}' is used twice",
                            f"rename one of them (the other is slos[{seen[slo.name]}])")
        seen[slo.name] = slo.index
    budget_raw = data.get("budget") or {}
    budget = BudgetPolicy(period=parse_duration(budget_raw.get("period", "30d")), selector=budget_raw.get("selector"))
    if budget.selector:
        from rollwise.gate.model import promql

        try:
            promql.track_matchers(budget.selector)
        except promql.PromqlError as exc:
            raise doc.error(("budget", "selector"), str(exc), "write label matchers such as {job=\"api\"}") from None
    return GateConfig(slos=tuple(slos), prometheus=_prometheus(data.get("prometheus") or {}),
                      policy=_policy(data.get("gate") or {}), budget=budget, file=doc.file,
                      canary=data.get("canary"))


def load_config(path: str | Path) -> GateConfig:
    """Parse and validate rollwise.yml; raise a located ConfigError (exit 2) on any problem."""
    return config_from_document(load_yaml(path))

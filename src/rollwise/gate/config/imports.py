"""Import SLOs written for Sloth (``version: prometheus/v1``) or OpenSLO (``apiVersion: openslo/v1``).

Each imported SLO becomes the same raw mapping a user would write under ``slos:`` in rollwise.yml, so it goes
through the same checks. Queries must reduce to plain selectors (``sum(rate(x{...}[{{.window}}]))`` does);
anything else is refused with the reason, never guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rollwise.errors import ConfigError
from rollwise.gate.model import promql

_WINDOW = "{{.window}}"


def _selector(query: str, file: str, where: str) -> str:
    """The one metric selector inside ``query`` (e.g. the ``x{...}`` of ``sum(rate(x{...}[5m]))``)."""
    try:
        found = promql.selectors(promql.parse(query.replace(_WINDOW, "5m")))
    except promql.PromqlError as exc:
        raise ConfigError(str(exc), file=file, key=where, fix="fix the query in the imported file") from None
    if len(found) != 1:
        raise ConfigError(f"the query has {len(found)} metric selectors; rollwise needs one counter here",
                          file=file, key=where,
                          fix="write this SLO in rollwise.yml with a promql SLI instead of importing it")
    return promql.render(found[0])


def _target(objective: dict[str, Any], file: str, where: str) -> float:
    if "targetPercent" in objective:
        return float(objective["targetPercent"])
    if "target" in objective:
        return float(objective["target"]) * 100
    raise ConfigError("the objective has no target", file=file, key=where, fix="add target: 0.999")


def from_sloth(data: dict[str, Any], file: str) -> list[dict[str, Any]]:
    """Sloth ``prometheus/v1``: events (error_query/total_query) and raw (error_ratio_query) SLIs."""
    out = []
    for index, slo in enumerate(data.get("slos") or []):
        where = f"slos[{index}]"
        sli = slo.get("sli") or {}
        raw: dict[str, Any] = {"name": slo["name"], "description": slo.get("description", "")}
        if "events" in sli:
            raw["sli"] = {"ratio": {"errors": _selector(sli["events"]["error_query"], file, f"{where}.sli.events"),
                                    "total": _selector(sli["events"]["total_query"], file, f"{where}.sli.events")}}
            raw["objective"] = float(slo["objective"])
        elif "raw" in sli:
            raw["sli"] = {"promql": sli["raw"]["error_ratio_query"].replace(_WINDOW, "$step")}
            raw["objective"] = {"max": 1 - float(slo["objective"]) / 100}
        else:
            raise ConfigError("only events and raw SLIs can be imported (not plugins)", file=file,
                              key=f"{where}.sli", fix="write this SLO in rollwise.yml instead")
        out.append(raw)
    return out


def _metric_query(node: dict[str, Any], file: str, where: str) -> str:
    try:
        return node["metricSource"]["spec"]["query"]
    except (KeyError, TypeError):
        raise ConfigError("no metricSource.spec.query", file=file, key=where,
                          fix="rollwise imports Prometheus metric sources with a query") from None


def from_openslo(documents: list[dict[str, Any]], file: str) -> list[dict[str, Any]]:
    """OpenSLO ``v1`` SLO documents (inline indicator or indicatorRef to an SLI document in the same file)."""
    indicators = {d["metadata"]["name"]: d for d in documents if d.get("kind") == "SLI"}
    out = []
    for document in (d for d in documents if d.get("kind") == "SLO"):
        name = document["metadata"]["name"]
        where = f"SLO {name}"
        spec = document.get("spec") or {}
        indicator = spec.get("indicator") or indicators.get(spec.get("indicatorRef", ""))
        if indicator is None:
            raise ConfigError("the SLO's indicator is missing", file=file, key=where,
                              fix="inline spec.indicator or add the SLI document it refers to")
        objective = (spec.get("objectives") or [{}])[0]
        target = _target(objective, file, f"{where}.objectives[0]")
        sli = indicator.get("spec") or {}
        raw: dict[str, Any] = {"name": name, "description": spec.get("description", "")}
        ratio = sli.get("ratioMetric")
        if ratio and "raw" in ratio:
            query = _metric_query(ratio["raw"], file, f"{where}.ratioMetric.raw")
            raw["sli"] = {"promql": query}
            failure = ratio.get("rawType", "success") == "failure"
            raw["objective"] = {"max": 1 - target / 100} if failure else {"min": target / 100}
        elif ratio:
            key = "errors" if "bad" in ratio else "good"
            raw["sli"] = {"ratio": {
                key: _selector(_metric_query(ratio["bad" if "bad" in ratio else "good"], file, where), file, where),
                "total": _selector(_metric_query(ratio["total"], file, where), file, where)}}
            raw["objective"] = target
        elif "thresholdMetric" in sli:
            raw["sli"] = {"promql": _metric_query(sli["thresholdMetric"], file, f"{where}.thresholdMetric")}
            op = objective.get("op", "lte")
            raw["objective"] = {"max" if op in ("lte", "lt") else "min": float(objective["value"])}
        else:
            raise ConfigError("the indicator is neither a ratioMetric nor a thresholdMetric", file=file, key=where)
        out.append(raw)
    return out


def load_imported(path: Path) -> list[dict[str, Any]]:
    """Raw rollwise SLO mappings from a Sloth or OpenSLO file."""
    file = str(path)
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    except OSError as exc:
        raise ConfigError(f"cannot read imported SLO file: {exc.strerror}", file=file) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=file) from None
    if len(documents) == 1 and documents[0].get("version") == "prometheus/v1":
        return from_sloth(documents[0], file)
    if any(str(d.get("apiVersion", "")).startswith("openslo/") for d in documents):
        return from_openslo(documents, file)
    raise ConfigError("neither a Sloth (version: prometheus/v1) nor an OpenSLO (apiVersion: openslo/v1) file",
                      file=file, fix="import Sloth or OpenSLO SLO specs, or write the SLOs in rollwise.yml")

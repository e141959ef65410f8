"""PromQL for the gate: the queries each SLI needs, with the baseline/canary matchers injected through the parser.

Users write plain selectors (``http_requests_total{job="api"}``); rollwise parses every query with
``promql_parser`` and adds the track's label matchers to each vector selector in the syntax tree, so regexes,
``offset``, sub-queries and binary operators keep working and nothing is pasted into strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import promql_parser as pp

from rollwise.gate.model import LatencySli, PromqlSli, RatioSli, Slo

#: stands in for ``$track`` while parsing; replaced by the track's matchers
_SENTINEL = "__rollwise_track__"
_TRACK_PLACEHOLDER = re.compile(r"\$track\b")


class PromqlError(ValueError):
    """A query or selector that does not parse, or that cannot take the track matchers."""


def duration(seconds: float) -> str:
    """A PromQL duration literal: 90 -> '90s', 0.5 -> '500ms'."""
    if seconds >= 1 and float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{max(1, round(seconds * 1000))}ms"


def parse(text: str) -> pp.Expr:
    try:
        return pp.parse(text)
    except (ValueError, TypeError) as exc:
        raise PromqlError(f"not valid PromQL: {exc} in `{text}`") from None


def parse_selector(text: str, *, need_name: bool = True) -> pp.VectorSelector:
    """A plain vector selector such as ``http_requests_total{code=~"5.."}`` (no functions, ranges or offsets)."""
    expr = parse(text)
    if not isinstance(expr, pp.VectorSelector):
        raise PromqlError(f"`{text}` is not a plain metric selector; write name{{label=\"value\"}} without functions")
    if expr.offset is not None or expr.at is not None:
        raise PromqlError(f"`{text}` has an offset or @ modifier; rollwise sets the time range itself")
    if need_name and not expr.name:
        raise PromqlError(f"`{text}` has no metric name")
    return expr


def track_matchers(selector: str) -> list[pp.Matcher]:
    """The label matchers of a track selector such as ``{track="canary"}`` or ``{version=~"v2.*"}``."""
    expr = parse_selector(selector, need_name=False)
    if expr.name:
        raise PromqlError(f"track selector `{selector}` names a metric; give only label matchers, e.g. {{track=\"canary\"}}")
    matchers = list(expr.matchers.matchers)
    if not matchers:
        raise PromqlError(f"track selector `{selector}` has no label matchers")
    return matchers


def _matches_empty(matcher: pp.Matcher) -> bool:
    """Does ``matcher`` accept a series that lacks its label (Prometheus reads a missing label as "")?"""
    if matcher.op == pp.MatchOp.Equal:
        return matcher.value == ""
    if matcher.op == pp.MatchOp.NotEqual:
        return matcher.value != ""
    try:
        empty = re.fullmatch(matcher.value, "") is not None
    except re.error:
        return True  # a regex Python cannot read (RE2 syntax): do not guess
    return empty if matcher.op == pp.MatchOp.Re else not empty


def required_labels(selector: str) -> list[str]:
    """Label names a plain selector matches on that a series must carry to match (``code=~"5.."``: code)."""
    expr = parse_selector(selector)
    return sorted({m.name for m in expr.matchers.matchers if m.name != "__name__" and not _matches_empty(m)})


def _children(node: pp.Expr) -> list[pp.Expr]:
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.AggregateExpr):
        return [node.expr] + ([node.param] if isinstance(node.param, pp.Expr) else [])
    if isinstance(node, (pp.UnaryExpr, pp.ParenExpr, pp.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, pp.Call):
        return [a for a in node.args if isinstance(a, pp.Expr)]
    if isinstance(node, pp.MatrixSelector):
        return [node.vector_selector]
    return []


def selectors(expr: pp.Expr) -> list[pp.VectorSelector]:
    """Every vector selector in ``expr`` (depth first). The objects are live nodes of ``expr``."""
    found: list[pp.VectorSelector] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, pp.VectorSelector):
            found.append(node)
        stack.extend(reversed(_children(node)))
    return found


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escaped(matchers: list[pp.Matcher]) -> list[pp.Matcher]:
    return [pp.Matcher(m.op, m.name, _quoted(m.value)) for m in matchers]


def render(expr: pp.Expr) -> str:
    """PromQL text of ``expr``. The parser prints string values unescaped, so escape them in the tree first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, pp.VectorSelector):
            node.matchers = pp.Matchers(_escaped(list(node.matchers.matchers)))
        elif isinstance(node, pp.Call):
            for arg in node.args:
                if isinstance(arg, pp.StringLiteral):
                    arg.val = _quoted(arg.val)
        elif isinstance(node, pp.AggregateExpr) and isinstance(node.param, pp.StringLiteral):
            node.param.val = _quoted(node.param.val)
        stack.extend(_children(node))
    return str(expr)


def inject(query: str, matchers: list[pp.Matcher]) -> str:
    """``query`` with ``matchers`` added to its selectors: those marked ``$track``, or all when none is marked."""
    marked = bool(_TRACK_PLACEHOLDER.search(query))
    expr = parse(_TRACK_PLACEHOLDER.sub(f'{_SENTINEL}="1"', query))
    names = {m.name for m in matchers}
    for node in selectors(expr):
        own = list(node.matchers.matchers)
        has_sentinel = any(m.name == _SENTINEL for m in own)
        if marked and not has_sentinel:
            continue
        own = [m for m in own if m.name != _SENTINEL]
        # the same matcher on both sides (a budget selector {job="api"} on an SLO that says job="api") is no clash
        same = {str(m) for m in matchers}
        own = [m for m in own if str(m) not in same]
        clash = sorted(names & {m.name for m in own if m.name != "__name__"})
        if clash:
            raise PromqlError(
                f"selector `{node}` already matches on {', '.join(clash)}, which the track selector sets; "
                "remove it from the SLO and let --baseline/--canary choose the track"
            )
        if node.matchers.or_matchers:
            raise PromqlError(f"selector `{node}` uses `or` between matchers; write a regex matcher (=~) instead")
        node.matchers = pp.Matchers(own + list(matchers))
    return render(expr)


@dataclass(frozen=True)
class QuerySet:
    """The PromQL an SLI needs for one track and window, before the track matchers are injected.

    ``bad``/``total`` and ``value`` are instant queries at the window's end; ``series`` is a range query;
    ``bad_steps``/``total_steps`` count requests per step (range queries, one rate window per step) for the
    stratified test; ``buckets`` lists a histogram's bucket bounds (an instant vector by ``le``).
    """

    series: str
    value: str | None = None
    bad: str | None = None
    total: str | None = None
    bad_steps: str | None = None
    total_steps: str | None = None
    buckets: str | None = None

    def injected(self, matchers: list[pp.Matcher]) -> QuerySet:
        return QuerySet(**{k: (inject(v, matchers) if v else None) for k, v in self.__dict__.items()})


def _suffixed(histogram: str, suffix: str, extra: str = "") -> str:
    sel = parse_selector(histogram)
    inner = ",".join([str(m) for m in sel.matchers.matchers] + ([extra] if extra else []))
    return f"{sel.name}{suffix}{{{inner}}}"


def le_matcher(seconds: float) -> str:
    """Matcher for the bucket bounded at ``seconds``: Go clients write le="1", Python ones le="1.0"."""
    value = float(seconds)
    if value.is_integer():
        return f'le=~"{int(value)}|{int(value)}.0"'
    return f'le="{value!r}"'


def queries_for(slo: Slo, window: float, rate_window: float) -> QuerySet:
    """The queries of ``slo`` for a window of ``window`` seconds, per-step rates over ``rate_window``."""
    w, r = duration(window), duration(rate_window)
    sli = slo.sli
    if isinstance(sli, RatioSli):
        parse_selector(sli.total)
        if sli.good is not None:
            parse_selector(sli.good)
            # No good series at all means no good requests: every request was bad.
            return QuerySet(
                series=f"1 - (sum(rate({sli.good}[{r}])) or vector(0)) / sum(rate({sli.total}[{r}]))",
                bad=f"sum(increase({sli.total}[{w}])) - (sum(increase({sli.good}[{w}])) or vector(0))",
                total=f"sum(increase({sli.total}[{w}]))",
                bad_steps=f"sum(increase({sli.total}[{r}])) - (sum(increase({sli.good}[{r}])) or vector(0))",
                total_steps=f"sum(increase({sli.total}[{r}]))",
            )
        parse_selector(sli.errors)
        # No error series at all means no errors (0), not no data: traffic is judged from the total.
        return QuerySet(
            series=f"(sum(rate({sli.errors}[{r}])) or vector(0)) / sum(rate({sli.total}[{r}]))",
            bad=f"sum(increase({sli.errors}[{w}])) or vector(0)",
            total=f"sum(increase({sli.total}[{w}]))",
            bad_steps=f"sum(increase({sli.errors}[{r}])) or vector(0)",
            total_steps=f"sum(increase({sli.total}[{r}]))",
        )
    if isinstance(sli, LatencySli):
        bucket, count = _suffixed(sli.histogram, "_bucket"), _suffixed(sli.histogram, "_count")
        if sli.slower_than is not None:
            fast = _suffixed(sli.histogram, "_bucket", le_matcher(sli.slower_than))
            return QuerySet(
                series=f"1 - sum(rate({fast}[{r}])) / sum(rate({count}[{r}]))",
                bad=f"sum(increase({count}[{w}])) - sum(increase({fast}[{w}]))",
                total=f"sum(increase({count}[{w}]))",
                bad_steps=f"sum(increase({count}[{r}])) - sum(increase({fast}[{r}]))",
                total_steps=f"sum(increase({count}[{r}]))",
            )
        q = f"{sli.quantile:g}"
        return QuerySet(
            series=f"histogram_quantile({q}, sum by (le) (rate({bucket}[{r}])))",
            value=f"histogram_quantile({q}, sum by (le) (increase({bucket}[{w}])))",
            total=f"sum(increase({count}[{w}]))",
            buckets=f"sum by (le) (increase({bucket}[{w}]))",
        )
    if isinstance(sli, PromqlSli):
        return QuerySet(series=sli.query.replace("$step", r).replace("$window", w))
    raise TypeError(f"unknown SLI {sli!r}")  # pragma: no cover - config only builds the three kinds


def validate(slo: Slo) -> None:
    """Build and parse every query of ``slo`` offline, as the gate will send them; raise PromqlError if one fails."""
    probe = [pp.Matcher(pp.MatchOp.Equal, "rollwise_probe", "x")]
    queries = queries_for(slo, 600, 60)
    if isinstance(slo.sli, PromqlSli) and not selectors(parse(_TRACK_PLACEHOLDER.sub(f'{_SENTINEL}="1"', queries.series))):
        raise PromqlError("the query has no metric selector, so it cannot tell baseline from canary")
    queries.injected(probe)


def graph_link(base_url: str, query: str, end: float, seconds: float) -> str:
    """A link to Prometheus's graph page showing ``query`` over the judged window."""
    from datetime import datetime, timezone
    from urllib.parse import urlencode

    from rollwise.redact import redact_url

    end_text = datetime.fromtimestamp(end, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    params = {"g0.expr": query, "g0.tab": "0", "g0.range_input": duration(max(60, round(seconds))),
              "g0.end_input": end_text}
    return f"{redact_url(base_url.rstrip('/'))}/graph?{urlencode(params)}"

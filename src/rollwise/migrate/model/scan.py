"""Read an Alembic revision file without running it: its ids, the ``op.*`` calls of ``upgrade()`` and
``downgrade()`` with their lines and literal arguments, and the ``# rollwise:`` directives in its comments.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from datetime import date
from typing import Any

from rollwise.migrate.model import UNKNOWN, CallValue, OpCall, RevisionSource, Suppression, Symbol

#: ``# rollwise: ignore[rule-a, rule-b] reason`` / ``ignore-file[...]`` / ``rows-change[table, ...] reason``
DIRECTIVE = re.compile(r"#\s*rollwise:\s*(?P<kind>[a-z-]+)\s*(?:\[(?P<names>[^\]]*)\])?\s*(?P<reason>.*)$")
DIRECTIVE_KINDS = ("ignore", "ignore-file", "rows-change")
UNTIL = re.compile(r"until=(\S+)")
#: attributes of `op` that do not change the database
NOT_OPERATIONS = ("get_bind", "get_context", "batch_alter_table", "f", "inline_literal")


def dotted(node: ast.AST) -> str | None:
    """``sa.Column`` -> "sa.Column"; None for anything that is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def value_of(node: ast.AST) -> Any:
    """A literal view of an argument: constants, names, calls with their arguments, lists; UNKNOWN otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = dotted(node)
        return Symbol(name) if name else UNKNOWN
    if isinstance(node, ast.Call):
        func = dotted(node.func) or "<call>"
        args = tuple(value_of(a) for a in node.args)
        kwargs = tuple((k.arg, value_of(k.value)) for k in node.keywords if k.arg)
        return CallValue(func, args, kwargs)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(value_of(e) for e in node.elts)
    if isinstance(node, ast.JoinedStr):
        # keep the SQL text of an f-string readable; interpolations become {…}
        return "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = value_of(node.left), value_of(node.right)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    return UNKNOWN


class _OpCollector(ast.NodeVisitor):
    """Collects op calls inside one function body, tracking batch tables, loops and autocommit blocks."""

    def __init__(self) -> None:
        self.calls: list[OpCall] = []
        self.batch_aliases: dict[str, str] = {}
        self.bind_aliases: set[str] = set()
        self.loop_depth = 0
        self.autocommit_depth = 0

    def _loop(self, node: ast.AST) -> None:
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    visit_For = visit_While = visit_AsyncFor = _loop

    def visit_Assign(self, node: ast.Assign) -> None:
        # `bind = op.get_bind()` makes `bind.execute(...)` an op call too
        if isinstance(node.value, ast.Call) and dotted(node.value.func) == "op.get_bind":
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.bind_aliases.add(target.id)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        autocommit = False
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call):
                func = dotted(expr.func) or ""
                if func.endswith("autocommit_block") or (
                    isinstance(expr.func, ast.Attribute) and expr.func.attr == "autocommit_block"
                ):
                    autocommit = True
                elif func == "op.batch_alter_table" and isinstance(item.optional_vars, ast.Name):
                    table = value_of(expr.args[0]) if expr.args else value_of(expr.keywords[0].value)
                    self.batch_aliases[item.optional_vars.id] = table if isinstance(table, str) else "<computed>"
        self.autocommit_depth += autocommit
        for item in node.items:
            self.visit(item.context_expr)
        for statement in node.body:
            self.visit(statement)
        self.autocommit_depth -= autocommit

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner, name = func.value.id, func.attr
            batch_table = None
            is_op = owner == "op" and name not in NOT_OPERATIONS
            if owner in self.batch_aliases:
                is_op, batch_table = True, self.batch_aliases[owner]
            if owner in self.bind_aliases and name in ("execute", "exec_driver_sql"):
                is_op, name = True, "execute"
            if is_op:
                self.calls.append(
                    OpCall(
                        name=name,
                        line=node.lineno,
                        args=tuple(value_of(a) for a in node.args),
                        kwargs=tuple((k.arg, value_of(k.value)) for k in node.keywords if k.arg),
                        batch_table=batch_table,
                        in_loop=self.loop_depth > 0,
                        in_autocommit=self.autocommit_depth > 0,
                    )
                )
        self.generic_visit(node)


def _body_state(func: ast.FunctionDef) -> str:
    """"ok", "empty" (only pass/docstring/ellipsis) or "raises" (NotImplementedError)."""
    real = [
        s for s in func.body
        if not (isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)))
    ]
    if not real:
        return "empty"
    if len(real) == 1 and isinstance(real[0], ast.Raise) and real[0].exc is not None:
        exc = real[0].exc.func if isinstance(real[0].exc, ast.Call) else real[0].exc
        if dotted(exc) == "NotImplementedError":
            return "raises"
    return "ok"


def _directives(text: str, path: str, rev: RevisionSource) -> None:
    """Read ``# rollwise:`` comments; an ignore covers its own line, or the next code line when alone on a line."""
    pending: list[tuple[int, tuple[str, ...], str, date | None]] = []  # comment-only directives waiting for code
    code_lines: set[int] = set()
    comments: list[tuple[int, bool, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError):
        return
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            comments.append((tok.start[0], tok.line[: tok.start[1]].strip() == "", tok.string))
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.add(tok.start[0])
    for line, alone, comment in comments:
        match = DIRECTIVE.match(comment)
        if not match:
            continue
        kind = match["kind"]
        names = tuple(n.strip() for n in (match["names"] or "").split(",") if n.strip())
        # a second comment on the same line (a noqa marker, an expect: note) is not part of the reason
        reason = re.split(r"(?:^|\s)#", match["reason"])[0].strip(" -—:")
        if kind not in DIRECTIVE_KINDS:
            known = ", ".join(DIRECTIVE_KINDS)
            rev.directive_errors.append((line, f"unknown directive 'rollwise: {kind}' (use {known})"))
            continue
        if not names:
            rev.directive_errors.append((line, f"'rollwise: {kind}' needs names in brackets, e.g. {kind}[drop-column]"))
            continue
        if not reason:
            listed = ", ".join(names)
            rev.directive_errors.append((line, f"'rollwise: {kind}[{listed}]' has no reason; say why it is safe"))
            continue
        until = None
        if expiry := UNTIL.match(reason):
            try:
                until = date.fromisoformat(expiry[1])
            except ValueError:
                rev.directive_errors.append((line, f"until={expiry[1]} is not a date (YYYY-MM-DD)"))
                continue
            reason = reason[expiry.end():].strip(" -—:")
            if not reason:
                rev.directive_errors.append((line, f"'rollwise: {kind}' has an expiry but no reason"))
                continue
        if kind == "rows-change":
            rev.rows_change += names
        elif kind == "ignore-file":
            rev.suppressions.append(Suppression(names, reason, path, line, None, until))
        elif alone:
            pending.append((line, names, reason, until))
        else:
            rev.suppressions.append(Suppression(names, reason, path, line, line, until))
    for line, names, reason, until in pending:
        target = next((n for n in sorted(code_lines) if n > line), None)
        rev.suppressions.append(Suppression(names, reason, path, line, target, until))


def scan_source(text: str, path: str) -> RevisionSource:
    """Parse a revision file's text. A syntax error is recorded, not raised, so lint can report it on its line."""
    rev = RevisionSource(path=path, revision=None, down_revision=None)
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        rev.syntax_error = (exc.lineno or 1, exc.msg)
        return rev
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                literal = value_of(value)
                setattr(rev, target.id, None if literal is UNKNOWN else literal)
        if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
            collector = _OpCollector()
            for statement in node.body:
                collector.visit(statement)
            setattr(rev, node.name, collector.calls)
            setattr(rev, f"{node.name}_line", node.lineno)
            if node.name == "downgrade":
                rev.downgrade_state = _body_state(node)
    _directives(text, path, rev)
    return rev

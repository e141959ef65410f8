"""Find the flag keys source code reads: Python through its syntax tree, other languages through patterns.

Pure functions over text: the file walk, git and the reading of files live in ``adapters/codewalk``. Python calls on a
FlagClient (``evaluate``, ``value``, ``is_enabled``) and an OpenFeature client (``get_boolean_value``,
``get_string_details``, ...) are found with ``ast``: keys written as literals, module or class constants (also
imported from another module, resolved through a lookup the caller provides), enum members (``.value``),
f-strings and concatenations whose parts resolve; anything else is reported as dynamic, with a glob when
part of the key is known (``f"checkout-{region}"`` -> ``checkout-*``). Other languages use regular
expressions whose ``key`` group (or only group) captures the key.
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: FlagClient methods whose first argument is a flag key
FLAG_CLIENT_METHODS = frozenset({"evaluate", "value", "is_enabled"})
#: OpenFeature client methods (sync and async) whose first argument is a flag key
OPENFEATURE_METHODS = frozenset(
    f"get_{kind}_{what}{suffix}" for kind in ("boolean", "string", "integer", "float", "object")
    for what in ("value", "details") for suffix in ("", "_async"))
#: generic method names count only on a receiver built as a flag client, named like one, or named "client" in a
#: module that imports rollwise.flags or openfeature (an unrelated API client's `.value()` is no flag read)
RECEIVER_HINT = re.compile(r"(?i)flag|feature|toggle|openfeature")
CLIENT_HINT = re.compile(r"(?i)client")
FLAG_PACKAGES = ("rollwise.flags", "openfeature")
#: keyword arguments that carry the key
KEY_KEYWORDS = ("key", "flag_key")
KEY_CHARS = r"[A-Za-z0-9][A-Za-z0-9_.:-]*"


@dataclass(frozen=True)
class Reference:
    """One place code reads a flag. ``key`` is None for a dynamic reference; ``glob`` then holds what is known."""

    key: str | None
    file: str
    line: int
    call: str
    language: str
    how: str  # literal, constant, f-string, pattern, dynamic
    column: int = 0
    glob: str | None = None
    detail: str = ""

    @property
    def dynamic(self) -> bool:
        return self.key is None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "file": self.file, "line": self.line, "column": self.column, "call": self.call,
                "language": self.language, "how": self.how, "glob": self.glob, "detail": self.detail}


@dataclass(frozen=True)
class PythonRules:
    """What counts as a flag read in Python, beyond the built-in FlagClient and OpenFeature methods."""

    methods: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()

    @property
    def client_methods(self) -> frozenset[str]:
        return FLAG_CLIENT_METHODS | self.methods

    def triggers(self) -> tuple[str, ...]:
        """Substrings one of which a file must contain to hold a flag read (a cheap filter before parsing)."""
        # `value` alone is in most files; a FlagClient's `value` is found through `.value(`
        methods = sorted(m if m != "value" else ".value(" for m in self.client_methods)
        return (*methods, "_value", "_details", *sorted(self.functions))


@dataclass(frozen=True)
class Pattern:
    """A regular expression for one language: its ``key`` group (or only group) captures the flag key."""

    name: str
    paths: tuple[str, ...]
    regex: re.Pattern[str]
    language: str = ""

    def applies_to(self, path: str) -> bool:
        return any(glob_matches(path, glob) for glob in self.paths)


def glob_matches(path: str, glob: str) -> bool:
    """A glob without '/' matches the file name (``*.ts``); one with '/' the whole relative path (``web/**``)."""
    if "/" not in glob:
        return fnmatch.fnmatch(path.rsplit("/", 1)[-1], glob)
    return fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path, glob.replace("**/", ""))


#: patterns used unless the configuration says ``defaults: false``
DEFAULT_PATTERNS = (
    Pattern("openfeature-js", ("*.js", "*.jsx", "*.mjs", "*.cjs", "*.ts", "*.tsx", "*.mts", "*.vue", "*.svelte"),
            re.compile(r"\b(?:get(?:Boolean|String|Number|Object)(?:Value|Details)|use(?:Boolean|String|Number|Object)"
                     r"Flag(?:Value|Details)|useFlag)\(\s*(['\"`])(?P<key>" + KEY_CHARS + r")\1"), "javascript"),
    Pattern("openfeature-go", ("*.go",),
            re.compile(r"\.(?:Boolean|String|Int|Float|Object)Value(?:Details)?\(\s*[^,()]+,\s*\"(?P<key>"
                     + KEY_CHARS + r")\""), "go"),
    Pattern("templates", ("*.html", "*.j2", "*.jinja", "*.jinja2", "*.txt.j2"),
            re.compile(r"\b(?:is_enabled|flag_value|flag)\(\s*(['\"])(?P<key>" + KEY_CHARS + r")\1"), "template"),
)


def find_pattern_refs(text: str, path: str, patterns: Iterable[Pattern]) -> list[Reference]:
    """References in ``text`` (the file ``path``) matched by the patterns that apply to its name."""
    found: list[Reference] = []
    starts: list[int] | None = None
    for pattern in patterns:
        if not pattern.applies_to(path):
            continue
        group = "key" if "key" in pattern.regex.groupindex else 1
        for match in pattern.regex.finditer(text):
            if starts is None:
                starts = [0] + [m.end() for m in re.finditer("\n", text)]
            offset = match.start(group)
            line = bisect.bisect_right(starts, offset)
            called = match.group(0).split("(", 1)[0].lstrip(".").strip()
            found.append(Reference(match.group(group), path, line, f"{called} ({pattern.name})" if called else pattern.name,
                                   pattern.language or "text", "pattern", column=offset - starts[line - 1] + 1))
    return sorted(found, key=lambda r: (r.line, r.column))


@dataclass(frozen=True)
class RefsConfig:
    """What to scan and how: language patterns, extra Python methods and wrapper functions, excluded paths."""

    patterns: tuple[Pattern, ...] = DEFAULT_PATTERNS
    python: PythonRules = PythonRules()
    exclude: tuple[str, ...] = ()
    source: str | None = None

    def excluded(self, path: str) -> bool:
        return any(glob_matches(path, glob) for glob in self.exclude)


# --- Python -------------------------------------------------------------------------------------------------------

#: resolves (module, name) to the string constant that module defines, or None; ``name`` may be ``Class.ATTR``
Lookup = Callable[[str, str], "str | None"]


@dataclass
class PythonModule:
    """What one Python file defines (constants, imports) and the flag reads it makes, before resolution."""

    path: str
    module: str
    constants: dict[str, str] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # local -> (module, name or None)
    calls: list[tuple[int, int, str, ast.expr | None, Mapping[str, Any]]] = field(default_factory=list)
    syntax_error: str | None = None


def module_name(path: str) -> str:
    """The dotted module a file path holds: ``src/app/flags.py`` -> ``src.app.flags`` (``__init__`` dropped)."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _absolute(module: str, path: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _string_constants(body: Iterable[ast.stmt], prefix: str = "") -> dict[str, str]:
    """``NAME = "text"`` (and annotated) assignments directly in ``body``; classes add ``Class.NAME``."""
    out: dict[str, str] = {}
    for stmt in body:
        targets: list[ast.expr] = []
        value = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        elif isinstance(stmt, ast.ClassDef) and not prefix:
            out.update(_string_constants(stmt.body, f"{stmt.name}."))
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    out[prefix + target.id] = value.value
    return out


class _Scope:
    """A function's names: its parameters, and what it assigns (a name assigned once to a string is a constant)."""

    __slots__ = ("params", "wrapper", "assigned", "parent")

    def __init__(self, params: list[str], wrapper: bool, parent: _Scope | None) -> None:
        self.params, self.wrapper, self.parent = params, wrapper, parent
        self.assigned: dict[str, list[Any]] = {}

    def visible(self) -> dict[str, Any]:
        chain, scope = [], self
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        merged: dict[str, Any] = {}
        for scope in reversed(chain):
            # a wrapper listed in python.functions passes its parameter on: its callers are the references
            merged.update({name: ("wrapper" if scope.wrapper else "param", None) for name in scope.params})
            merged.update({name: ("const", values[0].value) for name, values in scope.assigned.items()
                           if len(values) == 1 and isinstance(values[0], ast.Constant)
                           and isinstance(values[0].value, str)})
        return merged


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
#: nodes with nothing below them the scan needs: the walk does not descend into them (it is the hot loop)
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.alias,
                     *(cls for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
                       for cls in base.__subclasses__())})
_FIELD_CACHE: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    fields = _FIELD_CACHE.get(kind)
    if fields is None:
        fields = _FIELD_CACHE[kind] = tuple(f for f in kind._fields if f not in ("ctx", "type_comment", "kind"))
    return fields
_BINDINGS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)


def _dotted(node: ast.expr) -> str:
    """``client.flags.is_enabled`` as written (for reports); calls and subscripts shortened."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}(...)"
    if isinstance(node, ast.Subscript):
        return f"{_dotted(node.value)}[...]"
    return "<expr>"


def _tail(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _tail(node.func)
    return None


class _Collector:
    """One walk over a module collects imports, assignments, function scopes and candidate calls; which calls read
    flags is decided afterwards, when every flag-client name and method alias of the module is known."""

    def __init__(self, module: PythonModule, rules: PythonRules) -> None:
        self.module, self.rules = module, rules
        self.clients: set[str] = set()  # names bound to FlagClient(...) / FlagClient.connect(...) / get_client()
        self.aliases: dict[str, str] = {}  # name -> the method it stands for, e.g. "client.is_enabled"
        self.methods = rules.client_methods | OPENFEATURE_METHODS | rules.functions
        self.imports_flags = False

    def collect(self, tree: ast.Module) -> None:
        bindings: list[tuple[list[str], ast.expr]] = []
        imported: set[str] = set()
        calls: list[tuple[ast.Call, _Scope | None]] = []
        stack: list[tuple[ast.AST, _Scope | None]] = [(tree, None)]
        while stack:
            node, scope = stack.pop()
            kind = type(node)
            if kind is ast.Call:
                func = node.func
                if (type(func) is ast.Attribute and func.attr in self.methods) or type(func) is ast.Name:
                    calls.append((node, scope))
            elif kind in _FUNCTIONS:
                args = node.args
                params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
                params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
                scope = _Scope(params, getattr(node, "name", None) in self.rules.functions, scope)
            elif kind in _BINDINGS:
                targets = node.targets if kind is ast.Assign else [node.target]
                value = node.value if kind in (ast.Assign, ast.AnnAssign) else None
                names = [t.id if type(t) is ast.Name else t.attr for t in targets
                         if type(t) in (ast.Name, ast.Attribute)]
                if value is not None:
                    bindings.append((names, value))
                if scope is not None:
                    for target in targets:
                        if type(target) is ast.Name:
                            scope.assigned.setdefault(target.id, []).append(value)
            elif kind is ast.Import:
                imported.update(alias.name for alias in node.names)
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.module.imports[local] = (alias.name if alias.asname else local, None)
            elif kind is ast.ImportFrom:
                source = _absolute(self.module.module, self.module.path, node)
                imported.add(source)
                for alias in node.names:
                    self.module.imports[alias.asname or alias.name] = (source, alias.name)
            for field_name in _fields(kind):
                value = getattr(node, field_name, None)
                if type(value) is list:
                    stack.extend((item, scope) for item in value
                                 if isinstance(item, ast.AST) and type(item) not in _LEAVES)
                elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                    stack.append((value, scope))
        self.imports_flags = any(source == package or source.startswith(package + ".")
                                 for source in imported for package in FLAG_PACKAGES)
        for names, value in bindings:
            if self._builds_client(value):
                self.clients.update(names)
        for names, value in bindings:
            if type(value) is ast.Attribute and self._is_flag_method(value):
                for name in names:
                    self.aliases[name] = _dotted(value)
        for node, scope in sorted(calls, key=lambda c: (c[0].lineno, c[0].col_offset)):
            self._call(node, scope)

    def _builds_client(self, value: ast.expr) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in ("connect", "get_client"):
            func = func.value if func.attr == "connect" else func
            if isinstance(func, ast.Attribute) and func.attr == "get_client":
                return True
        name = _tail(func)
        if name is None:
            return False
        imported = self.module.imports.get(name)
        return name in ("FlagClient", "RollwiseProvider") or (imported is not None and imported[1] == "FlagClient")

    def _is_flag_method(self, func: ast.Attribute) -> bool:
        if func.attr in OPENFEATURE_METHODS:
            return True
        if func.attr not in self.rules.client_methods:
            return False
        receiver = _tail(func.value)
        if receiver is None:
            return False
        return receiver in self.clients or bool(RECEIVER_HINT.search(receiver)) or (
            self.imports_flags and bool(CLIENT_HINT.search(receiver)))

    def _call(self, node: ast.Call, scope: _Scope | None) -> None:
        func, call = node.func, None
        if isinstance(func, ast.Attribute) and self._is_flag_method(func):
            call = _dotted(func)
        elif isinstance(func, ast.Name) and func.id in self.aliases:
            call = f"{func.id} (= {self.aliases[func.id]})"
        elif isinstance(func, ast.Name) and func.id in self.rules.functions:
            call = func.id
        elif isinstance(func, ast.Attribute) and func.attr in self.rules.functions:
            call = _dotted(func)
        if call is None:
            return
        arg = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else next(
            (k.value for k in node.keywords if k.arg in KEY_KEYWORDS), None)
        self.module.calls.append((node.lineno, node.col_offset + 1, call, arg,
                                  scope.visible() if scope is not None else {}))


def scan_python(source: str, path: str, rules: PythonRules = PythonRules()) -> PythonModule:
    """Parse one Python file: its constants and imports, and every flag read with the unresolved key argument."""
    module = PythonModule(path=path, module=module_name(path))
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as exc:
        module.syntax_error = f"{type(exc).__name__}: {exc}"
        return module
    module.constants = _string_constants(tree.body)
    _Collector(module, rules).collect(tree)
    return module


class _Wrapped(Exception):
    """The key is the parameter of a wrapper the configuration lists: its callers are counted instead."""


class _Unresolved(Exception):
    def __init__(self, detail: str, glob: str = "*") -> None:
        super().__init__(detail)
        self.detail, self.glob = detail, glob


def _resolve(expr: ast.expr, module: PythonModule, scope: Mapping[str, Any], lookup: Lookup) -> tuple[str, str]:
    """(key, how) for a key expression, or _Unresolved with why and what is known as a glob."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value, "literal"
    if isinstance(expr, ast.Name):
        kind, value = scope.get(expr.id, (None, None))
        if kind == "param":
            raise _Unresolved(f"the key is the parameter '{expr.id}' of the enclosing function")
        if kind == "wrapper":
            raise _Wrapped()
        if kind == "const":
            return value, "constant"
        if expr.id in module.constants:
            return module.constants[expr.id], "constant"
        if expr.id in module.imports:
            source, name = module.imports[expr.id]
            if name is not None and (found := lookup(source, name)) is not None:
                return found, "constant"
            raise _Unresolved(f"'{expr.id}' is imported from {source} and is not a string constant there")
        raise _Unresolved(f"'{expr.id}' is not a string constant of this module")
    if isinstance(expr, ast.Attribute):
        if expr.attr == "value" and isinstance(expr.value, ast.Attribute):
            return _resolve(expr.value, module, scope, lookup)  # an Enum member's .value
        if isinstance(expr.value, ast.Name):
            owner = expr.value.id
            if f"{owner}.{expr.attr}" in module.constants:
                return module.constants[f"{owner}.{expr.attr}"], "constant"
            if owner in module.imports:
                source, name = module.imports[owner]
                found = lookup(source, expr.attr) if name is None else lookup(source, f"{name}.{expr.attr}")
                if found is None and name is not None:
                    found = lookup(f"{source}.{name}", expr.attr)  # `from pkg import module`
                if found is not None:
                    return found, "constant"
        raise _Unresolved(f"'{_dotted(expr)}' is not a string constant rollwise can resolve")
    if isinstance(expr, ast.JoinedStr) or (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add)):
        parts = expr.values if isinstance(expr, ast.JoinedStr) else [expr.left, expr.right]
        text, unknown = "", []
        for part in parts:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            if isinstance(part, ast.FormattedValue) and (part.format_spec is not None or part.conversion != -1):
                text, unknown = text + "*", unknown + [_dotted(inner)]
                continue
            try:
                text += _resolve(inner, module, scope, lookup)[0]
            except _Unresolved as exc:
                text += exc.glob if exc.glob != "*" or not text.endswith("*") else ""
                unknown.append(_dotted(inner) if not isinstance(inner, ast.Constant) else repr(inner.value))
        if unknown:
            raise _Unresolved("part of the key is computed at run time: " + ", ".join(unknown), text or "*")
        return text, "f-string" if isinstance(expr, ast.JoinedStr) else "constant"
    raise _Unresolved(f"the key is computed at run time ({type(expr).__name__})")


def resolve_python(module: PythonModule, lookup: Lookup) -> list[Reference]:
    """The references of a scanned module, keys resolved through its own constants and ``lookup``."""
    refs = []
    for line, column, call, expr, scope in module.calls:
        if expr is None:
            refs.append(Reference(None, module.path, line, call, "python", "dynamic", column, "*",
                                  "the call passes no key argument rollwise can see"))
            continue
        try:
            key, how = _resolve(expr, module, scope, lookup)
        except _Wrapped:
            continue
        except _Unresolved as exc:
            refs.append(Reference(None, module.path, line, call, "python", "dynamic", column, exc.glob, exc.detail))
        else:
            refs.append(Reference(key, module.path, line, call, "python", how, column))
    return refs


def glob_covers(glob: str | None, key: str) -> bool:
    """Whether a dynamic reference's glob could be ``key`` (``*`` alone covers nothing useful)."""
    return bool(glob) and glob != "*" and fnmatch.fnmatchcase(key, glob)

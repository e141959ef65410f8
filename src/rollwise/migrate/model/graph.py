"""The revision graph of an Alembic project read without importing anything: the ``revision``,
``down_revision``, ``depends_on`` and ``branch_labels`` assignments of each file, with heads, branches and merges.

Lint uses it when ``env.py`` or a revision cannot be imported (the app's packages are missing), so the range still
resolves and every file is still linted. Pure: ``adapters.alembic.read_graph`` reads the files.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """One revision file as its assignments state it."""

    id: str
    down: tuple[str, ...]
    depends_on: tuple[str, ...]
    branch_labels: tuple[str, ...]
    path: str
    line: int  # line of the ``revision =`` assignment


class GraphError(Exception):
    """A revision name that does not resolve, or a broken graph; ``fix`` says what to do."""

    def __init__(self, message: str, fix: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.fix, self.file, self.line = message, fix, file, line


def _names(value: ast.expr | None) -> tuple[str, ...] | None:
    """A literal str / None / tuple-or-list of str; None when computed at run time."""
    if value is None or (isinstance(value, ast.Constant) and value.value is None):
        return ()
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return (value.value,)
    if isinstance(value, (ast.Tuple, ast.List)):
        items = [_names(e) for e in value.elts]
        if all(i is not None and len(i) == 1 for i in items):
            return tuple(i[0] for i in items)  # type: ignore[index]
    return None


_ASSIGNMENT = re.compile(r"^(revision|down_revision|depends_on|branch_labels)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def _assignments(text: str, path: str) -> list[ast.stmt]:
    """Top-level statements; for a file with a syntax error, only its id assignments (lint reports the error)."""
    try:
        return ast.parse(text, filename=path).body
    except SyntaxError:
        out = []
        for match in _ASSIGNMENT.finditer(text):
            try:
                statement = ast.parse(match[0]).body[0]
            except SyntaxError:
                continue
            statement.lineno = text.count("\n", 0, match.start()) + 1
            out.append(statement)
        return out


def read_node(text: str, path: str) -> Node | None:
    """The node of one revision file, or None when it is not a revision (no literal ``revision``)."""
    found: dict[str, tuple[str, ...] | None] = {}
    line = 1
    for node in _assignments(text, path):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision", "depends_on",
                                                               "branch_labels"):
                found[target.id] = _names(value)
                if target.id == "revision":
                    line = node.lineno
    revision = found.get("revision")
    if not revision or len(revision) != 1:
        return None
    return Node(revision[0], found.get("down_revision") or (), found.get("depends_on") or (),
                found.get("branch_labels") or (), path, line)


class RevisionGraph:
    """Revisions by id with Alembic's names: full ids, unique prefixes, branch labels, ``head``, ``heads``,
    ``base``, ``label@head``."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if node.id in self.nodes:
                raise GraphError(f"revision {node.id} is defined twice ({self.nodes[node.id].path} and {node.path})",
                                 "give one of the files a new revision id", node.path, node.line)
            self.nodes[node.id] = node
        for node in self.nodes.values():
            for parent in (*node.down, *node.depends_on):
                if parent not in self.nodes and self._label(parent) is None:
                    raise GraphError(f"revision {node.id} names {parent} as its parent, which no file defines",
                                     "restore the missing revision file or fix down_revision", node.path, node.line)

    def _label(self, label: str) -> Node | None:
        return next((n for n in self.nodes.values() if label in n.branch_labels), None)

    def heads(self) -> tuple[str, ...]:
        parents = {p for n in self.nodes.values() for p in n.down}
        return tuple(sorted(n for n in self.nodes if n not in parents))

    def ancestors(self, rev: str) -> set[str]:
        """``rev`` and everything an upgrade to it applies (parents and dependencies), transitively."""
        seen: set[str] = set()
        stack = [rev]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            node = self.nodes[current]
            for parent in (*node.down, *node.depends_on):
                labelled = self._label(parent) if parent not in self.nodes else None
                stack.append(labelled.id if labelled else parent)
        return seen

    def resolve(self, name: str | None) -> str | None:
        """A full id for an id, unique prefix, branch label, 'head' or 'label@head'; None for 'base'."""
        if name in (None, "", "base"):
            return None
        if name in ("head", "heads"):
            heads = self.heads()
            if len(heads) != 1:
                raise GraphError(f"the project has {len(heads)} heads ({', '.join(heads) or 'none'})",
                                 "merge them: `alembic merge -m merge " + " ".join(heads) + "`, or name a revision")
            return heads[0]
        if name in self.nodes:
            return name
        if name.endswith("@head"):
            start = self.resolve(name[: -len("@head")])
            tips = [h for h in self.heads() if start in self.ancestors(h)]
            if len(tips) == 1:
                return tips[0]
            raise GraphError(f"'{name}' names {len(tips)} heads", "name one revision id instead")
        labelled = self._label(name)
        if labelled is not None:
            return labelled.id
        matches = [n for n in self.nodes if n.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise GraphError(f"'{name}' is ambiguous: {', '.join(sorted(matches)[:5])}", "use more of the id")
        raise GraphError(f"no revision '{name}'", "use a revision id from `alembic history`, 'head' or 'base'")

    def between(self, lower: str | None, upper: str | None) -> list[Node]:
        """Revisions an upgrade from ``lower`` to ``upper`` applies, oldest first (parents before children)."""
        if upper is None:
            return []
        wanted = self.ancestors(upper)
        if lower is not None:
            if lower not in wanted:
                raise GraphError(f"{lower} is not below {upper}", "check the range with `alembic history -r FROM:TO`")
            wanted -= self.ancestors(lower)
        return self.ordered(wanted)

    def ordered(self, ids: set[str]) -> list[Node]:
        """``ids`` in an order where every revision follows its parents (ties broken by file path)."""
        done: set[str] = set()
        out: list[Node] = []
        pending = sorted(ids, key=lambda i: self.nodes[i].path)
        while pending:
            ready = [i for i in pending if all(p in done or p not in ids for p in self._parents(i))]
            if not ready:
                node = self.nodes[pending[0]]
                raise GraphError(f"the revisions form a cycle through {node.id}", "fix down_revision",
                                 node.path, node.line)
            for rev in ready:
                done.add(rev)
                out.append(self.nodes[rev])
            pending = [i for i in pending if i not in done]
        return out

    def _parents(self, rev: str) -> list[str]:
        node = self.nodes[rev]
        out = []
        for parent in (*node.down, *node.depends_on):
            labelled = self._label(parent) if parent not in self.nodes else None
            out.append(labelled.id if labelled else parent)
        return out

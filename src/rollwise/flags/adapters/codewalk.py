"""Walk a repository for flag references: the I/O around the pure finder in ``model/coderefs``.

The files are those git tracks or would track (``git ls-files --cached --others --exclude-standard``), or, outside
a git work tree, every file not ignored by a ``.gitignore`` (matched with ``pathspec``). ``GitTree`` reads the
files of another commit (the pull request's base) through one ``git cat-file --batch`` process.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rollwise.errors import ConfigError
from rollwise.flags.model.coderefs import (
    PythonModule,
    Reference,
    RefsConfig,
    find_pattern_refs,
    module_name,
    resolve_python,
    scan_python,
)
from rollwise.flags.ports import FileSource

#: files larger than this are generated or data, not code that reads flags
MAX_FILE_BYTES = 2 * 1024 * 1024


def _git(root: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, input=input, check=False)


def _decode(data: bytes) -> str | None:
    if len(data) > MAX_FILE_BYTES or b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def in_git_work_tree(root: Path) -> bool:
    try:
        result = _git(root, "rev-parse", "--is-inside-work-tree")
    except FileNotFoundError:
        return False
    return result.returncode == 0 and result.stdout.strip() == b"true"


class WorkingTree:
    """The files under ``root`` that git tracks or would track; .gitignore rules applied without git too."""

    def __init__(self, root: str | Path, use_git: bool | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ConfigError(f"{root} is not a directory", fix="pass the repository root with --root")
        self.use_git = in_git_work_tree(self.root) if use_git is None else use_git
        self.label = f"{'git work tree' if self.use_git else 'directory'} {self.root}"

    def files(self) -> list[str]:
        if self.use_git:
            result = _git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
            if result.returncode != 0:
                raise ConfigError(f"git ls-files failed in {self.root}: {result.stderr.decode().strip()}")
            return sorted({p for p in result.stdout.decode().split("\0") if p})
        return sorted(_walk_with_gitignore(self.root))

    def read(self, path: str) -> str | None:
        try:
            with open(self.root / path, "rb") as handle:
                return _decode(handle.read(MAX_FILE_BYTES + 1))
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return None

    def close(self) -> None:
        pass


def _walk_with_gitignore(root: Path) -> Iterable[str]:
    """Files under ``root`` not ignored by any .gitignore on their way (nested files apply to their directory)."""
    import pathspec

    specs: list[tuple[str, pathspec.PathSpec]] = []  # (directory prefix, its .gitignore)
    for directory, dirs, files in os.walk(root):
        rel = Path(directory).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        specs = [(p, s) for p, s in specs if prefix.startswith(p)]
        ignore = Path(directory) / ".gitignore"
        if ignore.is_file():
            specs.append((prefix, pathspec.GitIgnoreSpec.from_lines(ignore.read_text("utf-8", "replace").splitlines())))

        def ignored(path: str, is_dir: bool) -> bool:
            return any(spec.match_file(path[len(p):] + ("/" if is_dir else "")) for p, spec in specs)

        dirs[:] = sorted(d for d in dirs if d != ".git" and not ignored(prefix + d, True))
        for name in files:
            if not ignored(prefix + name, False):
                yield prefix + name


class GitTree:
    """The files of the commit ``ref`` under ``root`` (read-only: nothing is checked out)."""

    def __init__(self, root: str | Path, ref: str) -> None:
        self.root, self.ref = Path(root), ref
        self.label = f"{ref}"
        if not in_git_work_tree(self.root):
            try:
                why = _git(self.root, "rev-parse", "--is-inside-work-tree").stderr.decode().strip().splitlines()
            except FileNotFoundError:
                why = ["git is not installed"]
            raise ConfigError(f"--base {ref} needs a git repository, and {root} is not one"
                              + (f" ({why[0]})" if why else ""),
                              fix="run in a clone (actions/checkout with fetch-depth: 0) or drop --base")
        resolved = _git(self.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if resolved.returncode != 0:
            raise ConfigError(f"git knows no commit '{ref}'",
                              fix="fetch it first (actions/checkout with fetch-depth: 0), or pass a commit SHA")
        self.commit = resolved.stdout.decode().strip()
        self.prefix = _git(self.root, "rev-parse", "--show-prefix").stdout.decode().strip()
        self._batch: subprocess.Popen | None = None

    def files(self) -> list[str]:
        args = ["ls-tree", "-r", "-z", "--full-tree", "--name-only", self.commit]
        if self.prefix:
            args += ["--", self.prefix]
        result = _git(self.root, *args)
        if result.returncode != 0:
            raise ConfigError(f"git ls-tree {self.ref} failed: {result.stderr.decode().strip()}")
        return sorted(p[len(self.prefix):] for p in result.stdout.decode().split("\0") if p)

    def read(self, path: str) -> str | None:
        if self._batch is None:
            self._batch = subprocess.Popen(["git", "-C", str(self.root), "cat-file", "--batch"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._batch.stdin is not None and self._batch.stdout is not None
        self._batch.stdin.write(f"{self.commit}:{self.prefix}{path}\n".encode())
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3:
            return None  # "<object> missing"
        data = self._batch.stdout.read(int(header[2]) + 1)[:-1]
        return _decode(data) if header[1] == b"blob" else None

    def close(self) -> None:
        if self._batch is not None:
            self._batch.communicate()
            self._batch = None


@dataclass
class ScanResult:
    """Every reference found, the files and lines read, and the Python files that did not parse."""

    references: list[Reference] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    unparsable: list[str] = field(default_factory=list)

    @property
    def keys(self) -> dict[str, list[Reference]]:
        out: dict[str, list[Reference]] = {}
        for ref in self.references:
            if ref.key is not None:
                out.setdefault(ref.key, []).append(ref)
        return out

    @property
    def dynamic(self) -> list[Reference]:
        return [r for r in self.references if r.dynamic]


def _module_index(paths: Iterable[str]) -> dict[str, str]:
    """Dotted module name -> file, also by every suffix (``src.app.flags`` is importable as ``app.flags``)."""
    index: dict[str, str] = {}
    for path in sorted(paths, key=lambda p: p.count("/")):
        parts = module_name(path).split(".")
        for start in range(len(parts)):
            index.setdefault(".".join(parts[start:]), path)
    return index


def scan(source: FileSource, config: RefsConfig = RefsConfig()) -> ScanResult:
    """Find every flag reference in ``source``: Python files that may read flags are parsed, other files matched
    against the patterns that apply to them; modules other files import constants from are parsed on demand."""
    paths = [p for p in source.files() if not config.excluded(p)]
    python_paths = [p for p in paths if p.endswith(".py")]
    index = _module_index(python_paths)
    parsed: dict[str, PythonModule] = {}
    triggers = config.python.triggers()
    result = ScanResult()

    def module(path: str, text: str | None = None) -> PythonModule | None:
        if path not in parsed:
            text = source.read(path) if text is None else text
            if text is None:
                return None
            parsed[path] = scan_python(text, path, config.python)
        return parsed[path]

    def lookup(module_path: str, name: str) -> str | None:
        path = index.get(module_path)
        found = module(path) if path else None
        return found.constants.get(name) if found else None

    for path in paths:
        is_python = path.endswith(".py")
        patterns = [p for p in config.patterns if p.applies_to(path)]
        if not is_python and not patterns:
            continue
        text = source.read(path)
        if text is None:
            continue
        result.files += 1
        result.lines += text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if is_python and any(trigger in text for trigger in triggers):
            scanned = module(path, text)
            if scanned.syntax_error:
                result.unparsable.append(f"{path}: {scanned.syntax_error}")
            result.references += resolve_python(scanned, lookup)
        if patterns:
            result.references += find_pattern_refs(text, path, patterns)
    return result

"""Stand-ins for an application's packages, so its Alembic revisions import without the application installed.

``install(["airflow", "uuid6"])`` adds a finder at the end of ``sys.meta_path``: modules that exist on disk (the
extracted migrations package) import for real; any other module under those names is a stub whose attributes are
permissive objects (callable, subclassable, iterable, usable as decorators and as SQL expressions).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types


class Stub:
    """Any attribute, call or subclass of an application object the revisions touch."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._args = args

    def __getattr__(self, name: str) -> Stub:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub()

    def __call__(self, *args: object, **kwargs: object) -> object:
        if len(args) == 1 and callable(args[0]) and not kwargs and not isinstance(args[0], Stub):
            return args[0]  # used as a decorator
        return Stub()

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (object,)

    def __iter__(self):
        return iter(())

    def __clause_element__(self) -> object:
        # where a revision builds SQL from the app's models (SqlRun.status.in_(...)), a neutral SQL expression
        import sqlalchemy

        return sqlalchemy.literal_column("stub")

    def __str__(self) -> str:
        return "stub"

    def __bool__(self) -> bool:
        return False


class _Module(types.ModuleType):
    def __getattr__(self, name: str) -> Stub:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub()


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, prefixes: list[str]) -> None:
        self.prefixes = tuple(prefixes)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.prefixes:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module) -> None:
        return None


def install(prefixes: list[str]) -> None:
    sys.meta_path.append(StubFinder(prefixes))

"""The root command: help without heavy imports, exit codes from errors."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from rollwise import cli
from rollwise.errors import ConfigError, InconclusiveError, RegressionError


def test_help_lists_the_command_groups(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("gate", "canary", "migrate", "flags"):
        assert f"  {name} " in out


def test_help_imports_no_heavy_module():
    code = "import sys; from rollwise.cli import main; main(['--help']); print(sorted(sys.modules))"
    modules = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("scipy", "sqlalchemy", "alembic", "redis", "httpx", "jinja2", "numpy"):
        assert f"'{heavy}'" not in modules, f"rollwise --help imports {heavy}"


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert "rollwise, version" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "code"),
    [(RegressionError("p95 612 > 500"), 1), (ConfigError("bad", file="r.yml", line=3, key="slos"), 2),
     (InconclusiveError("no data"), 3)],
    ids=["regression", "config", "inconclusive"],
)
def test_errors_become_exit_codes(monkeypatch, capsys, error, code):
    @click.command()
    def boom():
        raise error

    monkeypatch.setitem(cli.COMMANDS, "boom", ("tests_boom", "boom", "raises"))
    monkeypatch.setitem(sys.modules, "tests_boom", type(sys)("tests_boom"))
    sys.modules["tests_boom"].boom = boom
    assert cli.main(["boom"]) == code
    assert capsys.readouterr().err.startswith("rollwise: ")


def test_unknown_command_is_a_usage_error(capsys):
    assert cli.main(["nope"]) == 2
    assert "No such command 'nope'" in capsys.readouterr().err


def test_config_error_names_file_line_key_and_fix():
    error = ConfigError("unknown key 'objectiv'", file="rollwise.yml", line=7, key="slos[0].objectiv",
                        fix="did you mean 'objective'?")
    assert str(error) == "rollwise.yml:7: slos[0].objectiv: unknown key 'objectiv'\n  fix: did you mean 'objective'?"
    assert error.exit_code == 2

"""The ``rollwise`` command: a root click group whose sub-commands load only when they run.

Each capability keeps its own click group in ``rollwise.<capability>.cli``; importing them lazily keeps
``rollwise --help`` free of scipy, SQLAlchemy and friends.
"""

from __future__ import annotations

import importlib
import sys

import click

from rollwise import __version__, ghactions, outcome
from rollwise.errors import Crashed, RollwiseError

#: command name -> ("module", "attribute", "one-line help shown by rollwise --help")
COMMANDS: dict[str, tuple[str, str, str]] = {
    "gate": ("rollwise.gate.cli", "gate", "Judge a canary against its baseline and SLOs (slo-gate)."),
    "canary": ("rollwise.canary.cli", "canary", "Run or undo a phased canary rollout (canary-deploy)."),
    "migrate": ("rollwise.migrate.cli", "migrate", "Lint, plan, apply or roll back Alembic migrations."),
    "flags": ("rollwise.flags.cli", "flags", "Read and change feature flags (flag-toggle)."),
}


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that sub-command is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # `rollwise --help` lists commands from the table and imports nothing.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rollwise")
def cli() -> None:
    """Progressive delivery: canary deploys, SLO gates, safe migrations and feature flags.

    Exit codes: 0 success, 1 regression found and acted on, 2 bad usage or configuration
    (nothing changed), 3 inconclusive (never reported as success), 4 internal error (a bug).
    """


def command_name(argv: list[str]) -> str:
    """The sub-command words of a command line (``canary run``), for messages."""
    words = []
    for arg in argv:
        if arg.startswith("-") or len(words) == 2:
            break
        words.append(arg)
    return " ".join(words) or "(no command)"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn any :class:`RollwiseError` into its exit code, and any other exception into 4."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ghactions.install_logging()
    try:
        result = cli.main(args=argv, prog_name="rollwise", standalone_mode=False)
    except RollwiseError as exc:
        click.echo(f"rollwise: {exc.message}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("rollwise: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except Crashed as exc:  # the service put things back first and the CLI published what it did
        return outcome.crashed(command_name(argv), exc.__cause__ or exc)
    except Exception as exc:  # a bug: never exit 1, which workflows read as "rollback"
        return outcome.crashed(command_name(argv), exc)
    # A command may return its exit code (e.g. 3 after rendering an inconclusive judgement).
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``rollwise flags import --from flagd FILE``: print FILE translated to flags.yml (exit 2 on what cannot be)."""

from __future__ import annotations

import importlib

import click

from rollwise.errors import ConfigError

#: --from value -> module with ``translate(text, file) -> Imported``
SOURCES = {"flagd": "rollwise.flags.importers.flagd", "growthbook": "rollwise.flags.importers.growthbook",
           "unleash": "rollwise.flags.importers.unleash"}


def render(imported) -> str:
    """The flags.yml text: notes as comments on top, then the document, checked by rollwise's own validation."""
    import yaml

    from rollwise.flags.validation import parse_flagset_text

    body = yaml.safe_dump(imported.document(), sort_keys=False, allow_unicode=True, width=120)
    parse_flagset_text(body, f"{imported.source} (translated)")
    header = [f"# translated from {imported.source} by `rollwise flags import`"]
    header += [f"# note: {note}" for note in imported.notes]
    return "\n".join(header) + "\n" + body


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "source", type=click.Choice(sorted(SOURCES)), required=True,
              help="the format FILE is in")
def import_command(file: str, source: str) -> None:
    """Translate FILE from another flag system into flags.yml on standard output.

    Refuses (exit 2, nothing printed) any flag it cannot translate faithfully, naming the flag and the expression.
    """
    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}", file=file, fix="check the path") from None
    imported = importlib.import_module(SOURCES[source]).translate(text, file)
    click.echo(render(imported), nl=False)

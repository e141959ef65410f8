#!/usr/bin/env python3
"""Generate the reference pages in docs/reference/ from the action.yml files and the JSON Schemas.

    python scripts/gen_docs.py          # write the pages
    python scripts/gen_docs.py --check  # exit 1 when a page is out of date (run by the tests)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jinja2
import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "reference"
OWNER = "<owner>"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "scripts" / "templates"), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["cell"] = lambda v: " ".join(str(v).split()).replace("|", "\\|") if v not in (None, "") else "—"
    return env


def actions() -> list[tuple[str, str, dict]]:
    """(page name, uses: reference, metadata) for the root action and each action under actions/."""
    found = [("rollwise", f"{OWNER}/rollwise@v1", ROOT / "action.yml")]
    found += [(p.parent.name, f"{OWNER}/rollwise/actions/{p.parent.name}@v1", p)
              for p in sorted(ROOT.glob("actions/*/action.yml"))]
    return [(name, uses, yaml.safe_load(path.read_text())) for name, uses, path in found]


def schema_rows(schema: dict, root: dict, prefix: str = "") -> list[dict]:
    """Flatten a JSON Schema into one row per key: path, type, default, allowed values, description."""
    rows = []
    for name, spec in (schema.get("properties") or {}).items():
        spec = _resolve(spec, root)
        path = f"{prefix}.{name}" if prefix else name
        kind = spec.get("type") or ("one of" if "oneOf" in spec or "anyOf" in spec else "")
        allowed = spec.get("enum")
        rows.append({
            "path": path, "type": "/".join(kind) if isinstance(kind, list) else kind,
            "required": name in (schema.get("required") or []), "default": spec.get("default"),
            "allowed": ", ".join(map(str, allowed)) if allowed else "", "description": spec.get("description", ""),
        })
        if spec.get("type") == "object" or "properties" in spec:
            rows += schema_rows(spec, root, path)
        items = _resolve(spec.get("items") or {}, root)
        if items.get("properties"):
            rows += schema_rows(items, root, path + "[]")
        additional = spec.get("additionalProperties")
        if isinstance(additional, dict) and _resolve(additional, root).get("properties"):
            rows += schema_rows(_resolve(additional, root), root, path + ".<name>")
    return rows


def _resolve(spec: dict, root: dict) -> dict:
    ref = spec.get("$ref") if isinstance(spec, dict) else None
    if not ref or not ref.startswith("#/"):
        return spec
    target = root
    for part in ref[2:].split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in spec.items() if k != "$ref"}}


def pages() -> dict[Path, str]:
    """Every generated page and its content."""
    env = _env()
    out: dict[Path, str] = {}
    listed = actions()
    for name, uses, meta in listed:
        out[OUT / "actions" / f"{name}.md"] = env.get_template("action.md.j2").render(name=name, uses=uses, meta=meta)
    schemas = sorted((ROOT / "src" / "rollwise" / "schemas").glob("*.schema.json"))
    loaded = []
    for path in schemas:
        schema = json.loads(path.read_text())
        name = path.name.removesuffix(".schema.json")
        loaded.append((name, schema))
        out[OUT / "config" / f"{name}.md"] = env.get_template("config.md.j2").render(
            name=name, file=path.relative_to(ROOT), schema=schema, rows=schema_rows(schema, schema))
    out[OUT / "README.md"] = env.get_template("index.md.j2").render(actions=listed, schemas=loaded)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale pages instead of writing them")
    args = parser.parse_args()
    stale = []
    for path, text in pages().items():
        if path.exists() and path.read_text() == text:
            continue
        if args.check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print("out of date (run python scripts/gen_docs.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""nginx: weighted upstream servers written to an included file, checked with ``nginx -t``, then reloaded.

A failed check or reload puts the previous file back, so nginx never runs with a half-written split. With
``weight_url`` (a location that returns ``$rollwise_canary_weight``) the router waits until nginx serves the
new weight and reports the weight nginx itself returns.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jinja2

from rollwise import templating
from rollwise.canary.adapters.routers.base import Router, RouterError, split

_SERVERS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
            "description": "host:port of the servers, e.g. 127.0.0.1:8001"}
_COMMAND = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


#: fresh connections in a row that must see the new weight before a reload counts as done
CONFIRMATIONS = 5


class NginxRouter(Router):
    name = "nginx"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "upstream_file", "baseline", "canary"],
        "properties": {
            "type": {"const": "nginx"},
            "upstream_file": {"type": "string", "description": "file included in nginx's http block that rollwise rewrites"},
            "upstream": {"type": "string", "pattern": "^[A-Za-z0-9_]+$", "description": "upstream name (default app)"},
            "baseline": _SERVERS,
            "canary": _SERVERS,
            "conf": {"type": "string", "description": "main nginx.conf, passed as -c to nginx -t and nginx -s reload"},
            "prefix": {"type": "string", "description": "nginx prefix, passed as -p"},
            "nginx": {"type": "string", "description": "nginx executable (default: nginx on PATH, then /usr/sbin/nginx)"},
            "template": {"type": "string", "description": "your own Jinja2 template for the upstream file"},
            "test_command": _COMMAND,
            "reload_command": _COMMAND,
            "weight_url": {"type": "string", "pattern": "^https?://",
                           "description": "URL where nginx returns $rollwise_canary_weight, to confirm a reload"},
            "confirm_timeout": {"type": "number", "exclusiveMinimum": 0},
        },
    }

    #: the nginx variable holding the canary weight in the generated file
    weight_variable = "rollwise_canary_weight"

    def set_weight(self, weight: int) -> int:
        target = self.path(self.options["upstream_file"])
        previous = target.read_bytes() if target.exists() else None
        _write_atomically(target, self.render(weight))
        try:
            self.run(self._command("test_command", "-t"), "checking the configuration (nginx -t)")
            self.run(self._command("reload_command", "-s", "reload"), "reloading nginx")
        except RouterError:
            # put the last good file back so a later reload cannot pick up the rejected one
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                _write_atomically(target, previous.decode())
            raise
        if self.options.get("weight_url"):
            return self._confirm(weight)
        return weight

    def render(self, weight: int) -> str:
        baseline_weight, canary_weight = split(weight)
        context = {
            "upstream": self.options.get("upstream", "app"),
            "baseline": _servers(self.options["baseline"]),
            "canary": _servers(self.options["canary"]),
            "baseline_weight": baseline_weight,
            "canary_weight": canary_weight,
            "weight_variable": self.weight_variable,
        }
        if self.options.get("template"):
            source = self.path(self.options["template"]).read_text(encoding="utf-8")
            template = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                                          lstrip_blocks=True).from_string(source)
            return template.render(**context)
        return templating.render("canary/nginx-upstream.conf.j2", **context)

    def describe(self) -> str:
        return f"nginx upstream {self.options.get('upstream', 'app')} in {self.path(self.options['upstream_file'])}"

    def _binary(self) -> str:
        found = self.options.get("nginx") or shutil.which("nginx")
        if not found and os.path.exists("/usr/sbin/nginx"):
            found = "/usr/sbin/nginx"
        return found or "nginx"

    def _command(self, option: str, *action: str) -> str | list[str]:
        if self.options.get(option):
            return self.options[option]
        command = [self._binary(), *action]
        if self.options.get("prefix"):
            command += ["-p", str(self.path(self.options["prefix"]))]
        if self.options.get("conf"):
            command += ["-c", str(self.path(self.options["conf"]))]
        return command

    def _confirm(self, weight: int) -> int:
        """Poll ``weight_url`` until nginx's workers serve the new weight (a reload is asynchronous).

        Old workers may still accept a connection or two right after the reload, so the new weight must be seen
        on several fresh connections in a row.
        """
        url = self.options["weight_url"]
        deadline = time.monotonic() + float(self.options.get("confirm_timeout", 10))
        with httpx.Client(timeout=2, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            return self._poll(client, url, weight, deadline)

    def _poll(self, client: httpx.Client, url: str, weight: int, deadline: float) -> int:
        seen, streak = "nothing", 0
        while True:
            try:
                seen = client.get(url).text.strip()
                streak = streak + 1 if seen == str(weight) else 0
                if streak >= CONFIRMATIONS:
                    return int(seen)
            except httpx.HTTPError as exc:
                seen, streak = f"an error ({exc})", 0
            if time.monotonic() > deadline:
                raise RouterError(f"nginx router: after the reload {url} still returns {seen}, not weight {weight}; "
                                  "check that the status location returns $rollwise_canary_weight")
            time.sleep(0.02)


def _servers(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)

"""``rollwise flags refs|check|run-schedule``: the lifecycle commands, a skin over ``codecheck`` and ``scheduler``.

Exit codes: refs 0; check 0 clean or warnings only, 1 an error (a key code reads that flags.yml lacks);
run-schedule 0 (applied or nothing due); 2 bad input (nothing written); 3 a conflict or an unreachable store.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import click

from rollwise.errors import ConfigError

COMMENT_MARKER = "<!-- rollwise:flags-check -->"


def _opt(*decls: str, env: str, **kwargs):
    return click.option(*decls, envvar=env, show_envvar=True, **kwargs)


def _now(value: str | None):
    """The clock: the real one, or a fixed time given with --now (to rehearse a schedule or a check)."""
    if not value:
        return lambda: datetime.now(timezone.utc)
    from rollwise.flags.schedule import parse_at

    moment = parse_at(value)
    if moment is None:
        raise ConfigError(f"--now '{value}' is not a time with a time zone", fix="write e.g. 2026-12-01T09:00:00Z")
    return lambda: moment


def _relative(root: str, file: str) -> str:
    """A path from the working directory, as annotations and editors want it."""
    return os.path.normpath(os.path.join(root, file))


ROOT = _opt("--root", env="ROLLWISE_ROOT", default=".", show_default=True, type=click.Path(file_okay=False),
            help="Directory to scan (the files git tracks or would track; .gitignore applies).")
CONFIG = _opt("--refs-config", "refs_config", env="ROLLWISE_REFS_CONFIG", default=None,
              type=click.Path(dir_okay=False), help="Patterns and Python rules (default: <root>/.rollwise/coderefs.yml "
                                                    "if present).")
REPORT = _opt("--report", env="ROLLWISE_REPORT", default=None, type=click.Path(dir_okay=False),
              help="Write the JSON report here.")


@click.command("refs")
@ROOT
@CONFIG
@REPORT
def refs_command(root, refs_config, report) -> int:
    """List every flag key the code reads: key, file, line and the call."""
    from rollwise import ghactions, reporting
    from rollwise.flags.codecheck import find_references
    from rollwise.flags.refs_config import load_refs_config

    result = find_references(root, load_refs_config(refs_config, root))
    refs = [r.to_dict() for r in result.references]
    keys = sorted(result.keys)
    payload = {"schema": "rollwise/flags-refs/v1", "root": root, "files": result.files, "lines": result.lines,
               "keys": keys, "references": refs, "unparsable": result.unparsable}
    if report:
        reporting.write_json(report, payload)
    ghactions.append_summary(reporting.render("flags/refs.md.j2", **payload), report_hint=report)
    ghactions.set_outputs({"keys": json.dumps(keys), "references": str(len(refs))})
    for ref in result.references:
        click.echo(f"{ref.key or '(dynamic ' + (ref.glob or '*') + ')'}\t{_relative(root, ref.file)}:{ref.line}\t"
                   f"{ref.call}")
    click.echo(f"{len(refs)} reference(s) to {len(keys)} flag(s) in {result.files} file(s), {result.lines} lines",
               err=True)
    return 0


@click.command("check")
@_opt("--file", "flags_file", env="ROLLWISE_FLAGS_FILE", default="flags.yml", show_default=True,
      type=click.Path(dir_okay=False), help="Flags as code.")
@ROOT
@_opt("--store", "store_url", env="ROLLWISE_FLAGS_STORE", default=None, metavar="URL",
      help="Flag store whose definitions and audit log tell how long a flag has served one variant (stale flags).")
@_opt("--base", env="ROLLWISE_BASE_REF", default=None,
      help="Git ref of the pull request's base: report the references this change adds or removes.")
@_opt("--stale-after", env="ROLLWISE_STALE_AFTER", default="30d", show_default=True,
      help="Default for flags without stale_after: how long one variant for everyone makes a read stale.")
@_opt("--now", env="ROLLWISE_NOW", default=None, help="Judge as of this RFC 3339 time (default: now).")
@CONFIG
@REPORT
@_opt("--github-status/--no-github-status", env="ROLLWISE_GITHUB_STATUS", default=False,
      help="Set the commit status rollwise/flags-check (needs GITHUB_TOKEN).")
@_opt("--github-comment/--no-github-comment", env="ROLLWISE_GITHUB_COMMENT", default=False,
      help="Create or update one PR comment with the findings (needs GITHUB_TOKEN).")
def check_command(flags_file, root, store_url, base, stale_after, now, refs_config, report, github_status,
                  github_comment) -> int:
    """Check code against flags.yml: undefined keys (error, exit 1), unused and stale flags (warnings), references
    added or removed since --base (notices)."""
    from rollwise import ghactions, reporting
    from rollwise.flags import codecheck, service
    from rollwise.gate.config import parse_duration

    try:
        default_stale = timedelta(seconds=parse_duration(stale_after))
    except ValueError as exc:
        raise ConfigError(f"--stale-after: {exc}", fix="write a duration such as 30d, 2w or 12h") from None
    store = service.open_store(store_url) if store_url else None
    try:
        result = codecheck.check(flags_file, root, store=store, base=base, stale_after=default_stale,
                                 config_path=refs_config, now=_now(now))
    finally:
        if store is not None:
            store.close()
    findings = [{**f.to_dict(), "file": _relative(root, f.file) if f.file and f.file != result.flags_file else f.file}
                for f in result.findings]
    counts = result.counts
    payload: dict[str, Any] = {
        "schema": "rollwise/flags-check/v1", "status": result.status, "flags_file": result.flags_file,
        "base": base, "store": result.store, "counts": counts, "findings": findings,
        "references": [r.to_dict() for r in result.scan.references], "files": result.scan.files,
        "lines": result.scan.lines,
    }
    summary = reporting.render("flags/check.md.j2", marker=COMMENT_MARKER, **payload)
    ghactions.annotate([ghactions.Annotation(f["severity"], f["message"] + (f"\nfix: {f['fix']}" if f["fix"] else ""),
                                             f["file"], f["line"], title=f"flag {f['rule']}: {f['key']}")
                        for f in findings], more_in=report or "the job summary")
    if github_status or github_comment:
        from rollwise.github import report_to_pull_request

        description = (f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['notice']} notice(s) "
                       f"in {len(result.defined)} flag(s)")
        report_to_pull_request("flags-check", "failure" if result.exit_code else "success", description, summary,
                               COMMENT_MARKER, status=github_status, comment=github_comment)
    if report:
        reporting.write_json(report, payload)
    ghactions.append_summary(summary, report_hint=report)
    ghactions.set_outputs({"status": result.status, "errors": counts["error"], "warnings": counts["warning"],
                           "findings": json.dumps([{k: f[k] for k in ("rule", "severity", "key", "file", "line")}
                                                   for f in findings])})
    click.echo(f"flags check {result.status}: {counts['error']} error(s), {counts['warning']} warning(s), "
               f"{counts['notice']} notice(s); {len(result.scan.references)} reference(s) in {result.scan.files} "
               "file(s)", err=True)
    return result.exit_code


@click.command("run-schedule")
@_opt("--store", "store_url", env="ROLLWISE_FLAGS_STORE", required=True, metavar="URL",
      help="Flag store (redis://..., file://flags.yml) whose flags carry the schedule.")
@_opt("--flag", "keys", env="ROLLWISE_FLAG", multiple=True, default=(),
      help="Only this flag (repeatable; default: every flag with a schedule).")
@_opt("--dry-run", env="ROLLWISE_DRY_RUN", is_flag=True, help="List what is due, write nothing.")
@_opt("--now", env="ROLLWISE_NOW", default=None, help="Treat this RFC 3339 time as now (rehearse with --dry-run).")
@_opt("--actor", env="ROLLWISE_ACTOR", default=None, help="Who makes the change (default $GITHUB_ACTOR or $USER).")
@_opt("--reason", env="ROLLWISE_REASON", default="", help="Why (kept in the audit log with each entry's marker).")
@REPORT
def run_schedule_command(store_url, keys, dry_run, now, actor, reason, report) -> int:
    """Apply the schedule: entries whose time has come and that the audit log does not show as applied, each as
    an audited compare-and-set. Running it twice changes nothing the second time."""
    from urllib.parse import urlsplit

    from rollwise import ghactions, reporting
    from rollwise.flags import service
    from rollwise.flags.changes import Audit
    from rollwise.flags.scheduler import run_schedule
    from rollwise.flags.stores.base import redact

    ghactions.mask(urlsplit(store_url).password)
    keys = [k for value in keys for k in value.replace(",", " ").split()]
    clock = _now(now)
    if now and not dry_run:
        raise ConfigError("--now rehearses a schedule and needs --dry-run",
                          fix="add --dry-run, or drop --now to apply what is due now")
    store = service.open_store(store_url)
    try:
        run = run_schedule(store, Audit.from_environment(actor=actor, reason=reason), dry_run=dry_run, keys=keys,
                           now=clock)
    finally:
        store.close()
    steps = [s.to_dict() for s in run.steps]
    payload = {"schema": "rollwise/flags-schedule/v1", "status": run.status, "store": redact(store_url),
               "now": run.now.isoformat(), "version": run.version, "steps": steps}
    if report:
        reporting.write_json(report, payload)
    ghactions.append_summary(reporting.render("flags/schedule.md.j2", **payload), report_hint=report)
    ghactions.set_outputs({"status": run.status, "version": run.version,
                           "changed": "true" if run.applied else "false",
                           "applied": json.dumps([s["id"] for s in steps if s["status"] == "applied"])})
    for step in steps:
        click.echo(f"{step['status']:<9} {step['at']}  {step['key']}: {step['change']}")
    click.echo(f"run-schedule {run.status}: {len(run.applied)} applied, version {run.version}", err=True)
    return 0


COMMANDS = (refs_command, check_command, run_schedule_command)

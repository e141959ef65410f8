"""``rollwise flags``: read and change feature flags in a store (the flag-toggle action runs these).

Exit codes: 0 done (or nothing to do), 2 invalid flags.yml or usage (nothing written), 3 a compare-and-set
conflict, an unreachable store, or clients that did not confirm in time, 4 internal error.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from urllib.parse import urlsplit

import click

from rollwise.errors import ConfigError, RollwiseError


def _store_option(f):
    return click.option("--store", "store_url", envvar="ROLLWISE_FLAGS_STORE", required=True, metavar="URL",
                        help="redis://host:6379, rediss://..., redis+sentinel://host:26379/name or file://flags.yml "
                             "[env ROLLWISE_FLAGS_STORE]")(f)


def _report_option(f):
    return click.option("--report", envvar="ROLLWISE_REPORT", type=click.Path(dir_okay=False), default=None,
                        help="write a JSON report here [env ROLLWISE_REPORT]")(f)


def _change_options(f):
    options = [
        click.option("--actor", envvar="ROLLWISE_ACTOR", default=None, help="who makes the change [env ROLLWISE_ACTOR; "
                     "default $GITHUB_ACTOR or $USER]"),
        click.option("--reason", envvar="ROLLWISE_REASON", default="", help="why (kept in the audit log) [env ROLLWISE_REASON]"),
        click.option("--run-url", envvar="ROLLWISE_RUN_URL", default=None,
                     help="workflow run URL for the audit log [env ROLLWISE_RUN_URL; default from GITHUB_* variables]"),
        click.option("--sha", envvar="ROLLWISE_SHA", default=None, help="git SHA for the audit log [env ROLLWISE_SHA; default $GITHUB_SHA]"),
        click.option("--wait-clients", envvar="ROLLWISE_WAIT_CLIENTS", type=click.IntRange(min=0), default=0,
                     help="wait until this many clients applied the change [env ROLLWISE_WAIT_CLIENTS]"),
        click.option("--wait-timeout", envvar="ROLLWISE_WAIT_TIMEOUT", type=click.FloatRange(min=0), default=30.0,
                     show_default=True, help="seconds to wait for --wait-clients [env ROLLWISE_WAIT_TIMEOUT]"),
        _report_option,
        _store_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _expect_option(f):
    return click.option("--expect-version", envvar="ROLLWISE_EXPECT_VERSION", type=int, default=None,
                        help="fail with a conflict (exit 3) unless the flag is still at this version "
                             "[env ROLLWISE_EXPECT_VERSION]")(f)


@click.group()
def flags() -> None:
    """Read and change feature flags: get, set, kill, rollout, sync, diff, history.

    Every change is an atomic compare-and-set with an audit entry (actor, reason, run URL, SHA, before/after)
    and is pushed to running clients. Exit codes: 0 done, 2 invalid input (nothing written), 3 conflict or
    store unreachable.
    """


def _audit(actor, reason, run_url, sha):
    from rollwise.flags.model.changes import Audit

    return Audit.from_environment(actor=actor, reason=reason, run_url=run_url, sha=sha)


def _finish(title: str, store_url: str, report: str | None, run, wait_clients: int = 0,
            wait_timeout: float = 30.0) -> int:
    """Run a change, then report it (summary, outputs, JSON) whatever happened; return the exit code."""
    from rollwise import ghactions
    from rollwise.flags import report as report_
    from rollwise.flags import service
    from rollwise.flags.ports import redact
    from rollwise.outcome import PROCEED, decision_for, publish

    ghactions.mask(urlsplit(store_url).password)
    payload = report_.change_payload(redact(store_url))
    error: RollwiseError | None = None
    store = None
    try:
        store = service.open_store(store_url)
        if wait_clients and hasattr(store, "request_acks"):
            store.request_acks = True
        result = run(store)
        payload.update(version=result.version, changes=[c.to_dict() for c in result.changes], affected=result.affected,
                       audit=asdict(result.audit) if result.audit else None,
                       status="dry-run" if result.dry_run else ("changed" if result.changes else "unchanged"))
        if wait_clients and result.changed:
            payload["acks"] = service.wait_for_clients(store, result.version, wait_clients, wait_timeout)
    except RollwiseError as exc:
        error = exc
        payload["message"] = exc.message.replace(store_url, redact(store_url))
        if isinstance(exc, service.ConflictError):
            payload["status"] = "conflict"
        elif isinstance(exc, service.StoreUnavailable):
            payload["status"] = "unavailable"
        elif exc.exit_code == 3:
            payload["status"] = "unconfirmed"  # committed, but not enough clients applied it in time
        else:
            payload["status"] = "invalid" if exc.exit_code == 2 else "error"
    finally:
        if store is not None:
            store.close()
    annotations = []
    if isinstance(error, ConfigError) and error.location.file and ghactions.in_actions():
        annotations.append(ghactions.Annotation("error", error.problem, error.location.file, error.location.line,
                                                title="flags.yml"))
    decision = PROCEED if error is None else decision_for(error.exit_code)
    publish(report_.change_outcome(decision, title, payload, annotations), report)
    if error is not None:
        raise error
    if payload["status"] == "changed":
        click.echo(f"{title}: version {payload['version']} ({len(payload['changes'])} change(s))")
    else:
        click.echo(f"{title}: {payload['status']} (version {payload['version']})")
    return 0


@flags.command("set")
@click.argument("key")
@click.option("--enabled/--disabled", "enabled", envvar="ROLLWISE_FLAG_ENABLED", required=True,
              help="turn the flag on or off [env ROLLWISE_FLAG_ENABLED=true|false]")
@_expect_option
@_change_options
def set_command(key, enabled, expect_version, store_url, report, actor, reason, run_url, sha, wait_clients,
                wait_timeout):
    """Turn flag KEY on (--enabled) or off (--disabled)."""
    from rollwise.flags import service

    audit = _audit(actor, reason, run_url, sha)
    return _finish(f"flag `{key}` {'enabled' if enabled else 'disabled'}", store_url, report,
                   lambda store: service.set_enabled(store, key, enabled, audit, expected_version=expect_version),
                   wait_clients, wait_timeout)


@flags.command("kill")
@click.argument("key")
@_expect_option
@_change_options
def kill_command(key, expect_version, store_url, report, actor, reason, run_url, sha, wait_clients, wait_timeout):
    """Kill switch: disable flag KEY for everyone (it serves its off variant or the code default)."""
    from rollwise.flags import service

    audit = _audit(actor, reason, run_url, sha)
    return _finish(f"kill switch on `{key}`", store_url, report,
                   lambda store: service.kill(store, key, audit, expected_version=expect_version),
                   wait_clients, wait_timeout)


@flags.command("rollout")
@click.argument("key")
@click.argument("percentage", type=click.FloatRange(0, 100))
@click.option("--variant", envvar="ROLLWISE_FLAG_VARIANT", default=None,
              help="variant to roll out (default: the one valued true) [env ROLLWISE_FLAG_VARIANT]")
@click.option("--rule", envvar="ROLLWISE_FLAG_RULE", default=None,
              help="change this rule's split instead of the flag default [env ROLLWISE_FLAG_RULE]")
@_expect_option
@_change_options
def rollout_command(key, percentage, variant, rule, expect_version, store_url, report, actor, reason, run_url, sha,
                    wait_clients, wait_timeout):
    """Serve a variant of KEY to PERCENTAGE % of users (sticky: raising it keeps everyone already in)."""
    from rollwise.flags import service

    audit = _audit(actor, reason, run_url, sha)
    return _finish(f"rollout of `{key}` to {percentage:g} %", store_url, report,
                   lambda store: service.set_rollout(store, key, percentage, audit, variant=variant, rule=rule,
                                                     expected_version=expect_version),
                   wait_clients, wait_timeout)


@flags.command("sync")
@click.option("--file", "flags_file", envvar="ROLLWISE_FLAGS_FILE", default="flags.yml", show_default=True,
              type=click.Path(dir_okay=False), help="flags as code [env ROLLWISE_FLAGS_FILE]")
@click.option("--dry-run", envvar="ROLLWISE_DRY_RUN", is_flag=True, help="show the diff, write nothing [env ROLLWISE_DRY_RUN]")
@click.option("--prune/--no-prune", envvar="ROLLWISE_PRUNE", default=True, show_default=True,
              help="delete flags the file no longer has [env ROLLWISE_PRUNE]")
@_change_options
def sync_command(flags_file, dry_run, prune, store_url, report, actor, reason, run_url, sha, wait_clients, wait_timeout):
    """Make the store hold exactly FILE: validated first, only changed flags written, in one atomic step."""
    from rollwise.flags import service

    audit = _audit(actor, reason, run_url, sha)
    return _finish(f"sync of `{flags_file}`", store_url, report,
                   lambda store: service.sync(store, flags_file, audit, dry_run=dry_run, prune=prune),
                   wait_clients, wait_timeout)


@flags.command("diff")
@click.option("--file", "flags_file", envvar="ROLLWISE_FLAGS_FILE", default="flags.yml", show_default=True,
              type=click.Path(dir_okay=False), help="flags as code [env ROLLWISE_FLAGS_FILE]")
@click.option("--prune/--no-prune", envvar="ROLLWISE_PRUNE", default=True, show_default=True,
              help="count flags missing from the file as deletions [env ROLLWISE_PRUNE]")
@_report_option
@_store_option
def diff_command(flags_file, prune, report, store_url):
    """Show what `sync` would change (same as sync --dry-run). Exit 0 either way."""
    from rollwise.flags import service

    return _finish(f"diff of `{flags_file}`", store_url, report,
                   lambda store: service.sync(store, flags_file, None, dry_run=True, prune=prune))


@flags.command("get")
@click.argument("key", required=False)
@click.option("--context", "context_json", envvar="ROLLWISE_FLAG_CONTEXT", default=None,
              help='evaluate for this JSON context, e.g. \'{"targetingKey": "u1", "country": "DE"}\'')
@_store_option
def get_command(key, context_json, store_url):
    """Print flag KEY's definition and version (all flags without KEY); with --context, how it evaluates."""
    from rollwise.flags import service
    from rollwise.flags.model.evaluate import evaluate

    store = service.open_store(store_url)
    try:
        snapshot = store.load()
    finally:
        store.close()
    if key is None:
        body = {"version": snapshot.version,
                "flags": {k: {"version": snapshot.flag_version(k), "enabled": f.enabled}
                          for k, f in snapshot.flagset.flags.items()},
                "unreadable": dict(snapshot.bad)}
    else:
        if key not in snapshot.raw_flags:
            raise ConfigError(f"flag '{key}' does not exist in {store.url}"
                              + (f" (unreadable: {snapshot.bad[key]})" if key in snapshot.bad else ""),
                              fix="list flags with `rollwise flags get` (no key)")
        body = {"key": key, "version": snapshot.flag_version(key), "store_version": snapshot.version}
        if context_json is None:
            body["definition"] = snapshot.raw_flags[key]
        else:
            try:
                context = json.loads(context_json)
            except ValueError as exc:
                raise ConfigError(f"--context is not JSON: {exc}",
                                  fix='pass an object such as \'{"targetingKey": "u1"}\'') from None
            result = evaluate(snapshot.flagset, key, context)
            body["evaluation"] = {"value": result.value, "variant": result.variant, "reason": result.reason,
                                  "rule": result.rule, "error_code": result.error_code}
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@flags.command("history")
@click.argument("key", required=False)
@click.option("--limit", envvar="ROLLWISE_HISTORY_LIMIT", type=click.IntRange(min=1), default=20, show_default=True)
@_report_option
@_store_option
def history_command(key, limit, report, store_url):
    """The audit log, newest first (only changes to KEY when given)."""
    from rollwise.flags import report as report_
    from rollwise.flags import service
    from rollwise.flags.ports import redact
    from rollwise.outcome import publish

    store = service.open_store(store_url)
    try:
        entries = [e.to_dict() for e in service.history(store, key, limit)]
    finally:
        store.close()
    publish(report_.history_outcome(redact(store_url), key, entries), report)
    for entry in entries:
        keys = ", ".join(f"{c['action']} {c['key']}" for c in entry["changes"])
        click.echo(f"v{entry['version']}  {entry['at']}  {entry['actor']}  {keys}  {entry['reason']}")



@flags.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "source", required=True, type=click.Choice(["flagd", "growthbook", "unleash"]),
              help="the system FILE comes from")
def import_command(file, source):
    """Print FILE (another system's flag definitions) translated into flags.yml.

    Refuses (exit 2, nothing printed) any flag it cannot translate faithfully, naming the flag and the expression.
    """
    from rollwise.flags.config import import_definitions

    click.echo(import_definitions(file, source), nl=False)

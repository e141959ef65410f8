"""Run a composite ``action.yml`` (or a workflow job's steps) with bash, the way the GitHub runner does.

What it reproduces: inputs with defaults, ``${{ }}`` in ``env:``/``with:``/``run:``/``if:``/``working-directory``,
contexts ``inputs github runner env steps`` (and ``secrets vars job matrix`` for workflows), per-step
``GITHUB_OUTPUT``/``GITHUB_STEP_SUMMARY`` files, ``GITHUB_ENV``/``GITHUB_PATH`` carried to later steps,
``GITHUB_ACTION_PATH``, ``bash --noprofile --norc -eo pipefail``, step status and ``continue-on-error``, local
``uses: ./path`` composite actions. Workflow commands (``::error``, ``::add-mask::``) printed by steps are collected.
Remote ``uses:`` steps are not executed; they are listed in ``ActionResult.skipped_uses``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from support.expressions import condition, interpolate, to_string

HEREDOC = re.compile(r"^([^=\n<]+)<<(.+)$")
COMMAND = re.compile(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$")


@dataclass
class StepRecord:
    """What happened to one step."""

    id: str | None
    name: str
    outcome: str  # success | failure | skipped
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionResult:
    """The result of running an action or a job."""

    exit_code: int
    outputs: dict[str, Any]
    summary: str
    log: str
    steps: list[StepRecord]
    annotations: list[tuple[str, str, str]]  # (level, properties, message)
    masks: list[str]
    env: dict[str, str]
    skipped_uses: list[str]

    def step(self, step_id: str) -> StepRecord:
        return next(s for s in self.steps if s.id == step_id)


def parse_file_commands(text: str) -> dict[str, str]:
    """Parse a ``GITHUB_OUTPUT``/``GITHUB_ENV`` file: ``k=v`` lines and ``k<<DELIM`` heredocs."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        heredoc = HEREDOC.match(line)
        if heredoc:
            name, delimiter = heredoc.group(1), heredoc.group(2)
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ValueError(f"matching delimiter not found '{delimiter}'")
            index += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise ValueError(f"invalid format '{line}'")
    return values


class Runner:
    """Holds the job-level state (env, files, summary, log) across the steps it runs."""

    def __init__(self, workspace: Path, env: dict[str, str] | None, github: dict[str, Any] | None,
                 secrets: dict[str, str] | None = None, timeout: float = 900) -> None:
        self.workspace = Path(workspace)
        self.temp = Path(tempfile.mkdtemp(prefix="runner-temp-"))
        self.tool_cache = Path(os.environ.get("ROLLWISE_TEST_TOOL_CACHE") or self.temp / "toolcache")
        self.timeout = timeout
        self.base_env = dict(os.environ if env is None else env)
        self.github = {
            "workspace": str(self.workspace), "token": "ghs_test_token", "repository": "acme/shop",
            "sha": "0" * 40, "ref": "refs/heads/main", "event_name": "push", "run_id": "1", "run_attempt": "1",
            "server_url": "https://github.com", "api_url": "https://api.github.com", "actor": "octocat",
            "workflow": "test", "job": "test", "event": {}, **(github or {}),
        }
        self.secrets = secrets or {}
        self.job_env: dict[str, str] = {}
        self.path_prepend: list[str] = []
        self.summary: list[str] = []
        self.log: list[str] = []
        self.annotations: list[tuple[str, str, str]] = []
        self.masks: list[str] = []
        self.skipped_uses: list[str] = []

    def contexts(self, inputs: dict, steps: dict, env: dict, extra: dict | None = None) -> dict:
        return {
            "inputs": inputs, "github": self.github, "env": env, "steps": steps, "secrets": self.secrets,
            "runner": {"temp": str(self.temp), "tool_cache": str(self.tool_cache), "os": "Linux", "arch": "X64",
                       "name": "test-runner", "debug": ""},
            "vars": {}, "job": {"status": "success"}, "matrix": {}, **(extra or {}),
        }

    def process_env(self, step_env: dict[str, str], action_path: Path | None) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(self.job_env)
        env.update({
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(self.temp), "RUNNER_TOOL_CACHE": str(self.tool_cache), "RUNNER_OS": "Linux",
            "GITHUB_REPOSITORY": self.github["repository"], "GITHUB_SHA": self.github["sha"],
            "GITHUB_RUN_ID": str(self.github["run_id"]), "GITHUB_SERVER_URL": self.github["server_url"],
            "GITHUB_API_URL": self.github["api_url"], "GITHUB_EVENT_NAME": self.github["event_name"],
            "GITHUB_REF": self.github["ref"], "GITHUB_ACTOR": self.github["actor"],
        })
        if action_path is not None:
            env["GITHUB_ACTION_PATH"] = str(action_path)
        env.update(step_env)
        if self.path_prepend:
            env["PATH"] = os.pathsep.join(reversed(self.path_prepend)) + os.pathsep + env.get("PATH", "")
        return env

    def run_steps(self, steps: list[dict], inputs: dict, action_path: Path | None, level_env: dict,
                  extra_contexts: dict | None = None) -> tuple[str, dict, list[StepRecord]]:
        """Run steps in order; returns the final status, the steps context and the records."""
        status = "success"
        steps_ctx: dict[str, dict] = {}
        records: list[StepRecord] = []
        for index, step in enumerate(steps):
            step_id = step.get("id") or f"__{index}"
            name = step.get("name") or step.get("run", step.get("uses", ""))[:40]
            env_ctx = {**self.job_env, **level_env}
            ctx = self.contexts(inputs, steps_ctx, env_ctx, extra_contexts)
            step_env = {k: to_string(interpolate(v, ctx, status)) for k, v in (step.get("env") or {}).items()}
            ctx["env"] = {**env_ctx, **step_env}
            if not condition(step.get("if"), ctx, status):
                steps_ctx[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                records.append(StepRecord(step.get("id"), name, "skipped"))
                continue
            if "uses" in step:
                # a step's env: reaches every step of the composite action it runs
                outcome, outputs, code = self.run_uses(step, ctx, status, {**level_env, **step_env})
            else:
                outcome, outputs, code = self.run_script(step, ctx, status, {**level_env, **step_env}, action_path)
            conclusion = outcome
            if outcome == "failure" and truthy_flag(interpolate(step.get("continue-on-error", False), ctx, status)):
                conclusion = "success"
            steps_ctx[step_id] = {"outputs": outputs, "outcome": outcome, "conclusion": conclusion}
            records.append(StepRecord(step.get("id"), name, outcome, code, outputs))
            if conclusion == "failure":
                status = "failure"
        return status, steps_ctx, records

    def run_script(self, step: dict, ctx: dict, status: str, env: dict, action_path: Path | None):
        shell = step.get("shell", "bash")
        if shell != "bash":
            raise NotImplementedError(f"shell {shell!r} is not supported by the test runner")
        script = to_string(interpolate(step["run"], ctx, status))
        files = {name: self.temp / f"{name.lower()}_{uuid.uuid4().hex}" for name in
                 ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")}
        for path in files.values():
            path.touch()
        script_file = self.temp / f"step_{uuid.uuid4().hex}.sh"
        script_file.write_text(script)
        proc_env = self.process_env(env, action_path)
        proc_env.update({name: str(path) for name, path in files.items()})
        workdir = interpolate(step.get("working-directory"), ctx, status) or self.workspace
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=str(self.workspace / workdir) if not os.path.isabs(str(workdir)) else str(workdir),
            env=proc_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            timeout=self.timeout, text=True,
        )
        self.log.append(completed.stdout)
        for line in completed.stdout.splitlines():
            command = COMMAND.match(line)
            if not command:
                continue
            verb, props, message = command.groups()
            if verb == "add-mask":
                self.masks.append(message)
            elif verb in ("error", "warning", "notice"):
                self.annotations.append((verb, props or "", message))
        outputs = parse_file_commands(files["GITHUB_OUTPUT"].read_text())
        self.job_env.update(parse_file_commands(files["GITHUB_ENV"].read_text()))
        self.path_prepend += [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        summary = files["GITHUB_STEP_SUMMARY"].read_text()
        if summary:
            self.summary.append(summary)
        return ("success" if completed.returncode == 0 else "failure"), outputs, completed.returncode

    def run_uses(self, step: dict, ctx: dict, status: str, env: dict[str, str]):
        target = str(step["uses"])
        if not target.startswith("./"):
            self.skipped_uses.append(target)
            return "success", {}, None
        with_ = {k: to_string(interpolate(v, ctx, status)) for k, v in (step.get("with") or {}).items()}
        result = self.run_action(self.workspace / target, with_, env)
        return ("success" if result[0] == 0 else "failure"), result[1], result[0]

    def run_action(self, action_dir: Path, inputs: dict[str, Any],
                   env: dict[str, str] | None = None) -> tuple[int, dict, list[StepRecord]]:
        action_dir = Path(action_dir).resolve()
        meta = yaml.safe_load((action_dir / "action.yml").read_text())
        declared = meta.get("inputs") or {}
        unknown = set(inputs) - set(declared)
        if unknown:
            # the runner only warns; a test that passes an undeclared input has a typo
            raise ValueError(f"unexpected input(s) {sorted(unknown)}; valid: {sorted(declared)}")
        resolved: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in inputs:
                resolved[name] = to_string(inputs[name])
            elif (spec or {}).get("default") is not None:
                resolved[name] = to_string(interpolate(str(spec["default"]), self.contexts({}, {}, self.job_env)))
            else:
                resolved[name] = ""
        runs = meta["runs"]
        if runs.get("using") != "composite":
            raise NotImplementedError("only composite actions are supported")
        status, steps_ctx, records = self.run_steps(runs["steps"], resolved, action_dir, dict(env or {}))
        ctx = self.contexts(resolved, steps_ctx, {**self.job_env, **(env or {})})
        outputs = {name: to_string(interpolate((spec or {}).get("value", ""), ctx, status))
                   for name, spec in (meta.get("outputs") or {}).items()}
        return (0 if status == "success" else 1), outputs, records

    def result(self, exit_code: int, outputs: dict, records: list[StepRecord]) -> ActionResult:
        return ActionResult(exit_code, outputs, "".join(self.summary), "".join(self.log), records,
                            self.annotations, self.masks, dict(self.job_env), self.skipped_uses)


def truthy_flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def run_action(action_dir: str | Path, inputs: dict[str, Any] | None = None, *, env: dict[str, str] | None = None,
               workdir: str | Path | None = None, github: dict[str, Any] | None = None,
               timeout: float = 900) -> ActionResult:
    """Run the composite action in ``action_dir`` with ``inputs``; ``workdir`` is ``GITHUB_WORKSPACE``.

    ``env`` replaces the inherited process environment when given (the runner's own variables are always set).
    """
    runner = Runner(Path(workdir or os.getcwd()), env, github, timeout=timeout)
    code, outputs, records = runner.run_action(Path(action_dir), inputs or {})
    return runner.result(code, outputs, records)


def _workflow_inputs(doc: dict, inputs: dict[str, Any] | None) -> dict[str, Any]:
    on = doc.get(True, doc.get("on")) or {}
    declared: dict[str, Any] = {}
    for trigger in ("workflow_call", "workflow_dispatch"):
        if isinstance(on, dict) and isinstance(on.get(trigger), dict):
            declared.update(on[trigger].get("inputs") or {})
    unknown = set(inputs or {}) - set(declared)
    if unknown:
        raise ValueError(f"unexpected input(s) {sorted(unknown)}; valid: {sorted(declared)}")
    return {name: (inputs or {}).get(name, (spec or {}).get("default", "")) for name, spec in declared.items()}


def _job_order(jobs: dict) -> list[str]:
    order: list[str] = []
    pending = dict(jobs)
    while pending:
        ready = [name for name, spec in pending.items()
                 if all(need in order for need in _needs(spec))]
        if not ready:
            raise ValueError(f"jobs with unmet or cyclic needs: {sorted(pending)}")
        for name in ready:
            order.append(name)
            del pending[name]
    return order


def _needs(spec: dict) -> list[str]:
    needs = (spec or {}).get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def run_workflow(workflow: str | Path, *, inputs: dict[str, Any] | None = None,
                 secrets: dict[str, str] | None = None, env: dict[str, str] | None = None,
                 workdir: str | Path | None = None, github: dict[str, Any] | None = None,
                 jobs: list[str] | None = None, timeout: float = 1800) -> dict[str, ActionResult | None]:
    """Run a workflow's jobs in ``needs`` order on one machine, like a runner per job.

    Job-level ``if:`` is evaluated with the ``needs`` context (results and outputs); a job that does not run maps
    to None. ``jobs`` limits the run to those jobs (the others count as skipped). Each job gets a fresh runner
    (its own env, temp dir and summary) in the same ``workdir``, as jobs on separate runners would.
    """
    doc = yaml.safe_load(Path(workflow).read_text())
    resolved = _workflow_inputs(doc, inputs)
    results: dict[str, ActionResult | None] = {}
    needs_ctx: dict[str, dict] = {}
    for name in _job_order(doc["jobs"]):
        spec = doc["jobs"][name]
        needed = [needs_ctx[n] for n in _needs(spec)]
        status = "success"
        if any(n["result"] in ("failure", "cancelled") for n in needed):
            status = "failure"
        elif any(n["result"] == "skipped" for n in needed):
            status = "skipped"
        runner = Runner(Path(workdir or os.getcwd()), env, github, secrets=secrets, timeout=timeout)
        ctx = runner.contexts(resolved, {}, {}, {"needs": {n: needs_ctx[n] for n in _needs(spec)}})
        selected = jobs is None or name in jobs
        if not selected or not condition(spec.get("if"), ctx, status):
            results[name] = None
            needs_ctx[name] = {"result": "skipped", "outputs": {}}
            continue
        level_env = {k: to_string(interpolate(v, ctx)) for k, v in (doc.get("env") or {}).items()}
        ctx["env"] = dict(level_env)
        level_env.update({k: to_string(interpolate(v, ctx)) for k, v in (spec.get("env") or {}).items()})
        extra = {"needs": ctx["needs"]}
        job_status, steps_ctx, records = runner.run_steps(spec.get("steps") or [], resolved, None, level_env, extra)
        ctx = runner.contexts(resolved, steps_ctx, level_env, extra)
        outputs = {key: to_string(interpolate(value, ctx, job_status))
                   for key, value in (spec.get("outputs") or {}).items()}
        result = runner.result(0 if job_status == "success" else 1, outputs, records)
        results[name] = result
        needs_ctx[name] = {"result": job_status, "outputs": outputs}
    return results


def checkout(source: Path, destination: Path) -> Path:
    """Copy the files git tracks in ``source`` to ``destination``, as actions/checkout would leave them."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=source, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (Path(source) / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(source) / name, destination / name)
    return destination

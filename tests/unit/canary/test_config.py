"""The canary: section of rollwise.yml: defaults, durations, and located errors."""

import textwrap

import pytest

from rollwise.canary.config import load_plan
from rollwise.errors import ConfigError

BASE = """
version: rollwise/v1
canary:
  router: {type: command, command: "echo {weight}"}
"""


def write(tmp_path, text):
    path = tmp_path / "rollwise.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_defaults(tmp_path):
    plan = load_plan(write(tmp_path, BASE))
    assert [phase.weight for phase in plan.phases] == [5, 25, 50, 100]
    assert plan.phases[0].analysis.interval == 60
    assert plan.router.type == "command" and plan.router.options == {"command": "echo {weight}"}
    assert plan.canary_selector == '{track="canary"}'


def test_per_phase_analysis_overrides_the_default(tmp_path):
    plan = load_plan(write(tmp_path, BASE + """\
  phases: [10, {weight: 100, analysis: {count: 1}}]
  analysis: {interval: 2s, warmup: 500ms, count: 3, failure_limit: 1}
"""))
    first, last = plan.phases
    assert (first.analysis.count, first.analysis.interval, first.analysis.warmup) == (3, 2.0, 0.5)
    assert (last.analysis.count, last.analysis.interval, last.analysis.failure_limit) == (1, 2.0, 1)


@pytest.mark.parametrize(
    ("extra", "message", "line"),
    [
        ("  phases: [5, 50, 25, 100]\n", "canary.phases[2]: phase weights must increase: 25 after 50", 5),
        ("  phases: [5, 50]\n", "canary.phases[1]: the last phase has weight 50, not 100", 5),
        ("  analysis: {intervall: 3s}\n", "canary.analysis.intervall: unknown key 'intervall'\n  fix: did you mean 'interval'?", 5),
        ("  kill_switch: {flags: [checkout]}\n", "canary.kill_switch.flags: kill_switch lists flags but names no store", 5),
        ("  warmup: {endpoints: [{path: /}], canary_url: 'http://127.0.0.1:1'}\n",
         "canary.warmup: generated warm-up traffic needs baseline_url", 5),
        ("  warmup: {script: missing.js}\n", "canary.warmup.script: k6 script not found", 5),
    ],
    ids=["weights-decrease", "not-ending-at-100", "typo", "flags-without-store", "missing-url", "missing-script"],
)
def test_errors_name_file_line_and_key(tmp_path, extra, message, line):
    path = write(tmp_path, BASE + extra)
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert caught.value.exit_code == 2
    assert f"{path}:{line}: {message}" in caught.value.message


def test_unknown_router_suggests_the_closest(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_plan(write(tmp_path, BASE.replace("type: command", "type: ngnix")))
    assert "canary.router.type: unknown router type 'ngnix'" in caught.value.message
    assert "did you mean 'nginx'?" in caught.value.message


def test_router_options_are_checked_by_the_router(tmp_path):
    text = BASE.replace('{type: command, command: "echo {weight}"}', "{type: nginx, upstream_file: up.conf, baseline: a}")
    with pytest.raises(ConfigError, match="canary.router: 'canary' is a required property"):
        load_plan(write(tmp_path, text))


def test_missing_section(tmp_path):
    with pytest.raises(ConfigError, match="no 'canary:' section"):
        load_plan(write(tmp_path, "version: rollwise/v1\n"))

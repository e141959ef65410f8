"""The test runner for composite actions behaves like the GitHub runner on the features the actions use."""

from __future__ import annotations

import pytest

from support.actionrunner import parse_file_commands, run_action
from support.expressions import condition, evaluate, interpolate

ACTION = """\
name: sample
description: exercises the runner
inputs:
  greeting:
    description: what to say
    default: hello
  fail:
    description: make the second step fail
    default: "false"
outputs:
  said:
    description: what was said
    value: ${{ steps.say.outputs.said }}
  recovered:
    description: whether the always() step ran
    value: ${{ steps.cleanup.outputs.ran }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        GREETING: ${{ inputs.greeting }}
      run: |
        printf 'said<<EOF\\n%s\\nworld\\nEOF\\n' "$GREETING" >> "$GITHUB_OUTPUT"
        echo "CARRIED=yes" >> "$GITHUB_ENV"
        echo "## $GREETING" >> "$GITHUB_STEP_SUMMARY"
        echo "::add-mask::topsecret"
    - id: second
      shell: bash
      env:
        FAIL: ${{ inputs.fail }}
      run: |
        test "$CARRIED" = yes
        test "$(basename "$GITHUB_ACTION_PATH")" = sample
        [ "$FAIL" != true ]
    - id: skipped-on-failure
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
    - id: cleanup
      if: always() && steps.second.outcome == 'failure'
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
"""


@pytest.fixture()
def sample(tmp_path):
    action = tmp_path / "sample"
    action.mkdir()
    (action / "action.yml").write_text(ACTION)
    return action


def test_success_path(sample, tmp_path):
    result = run_action(sample, {"greeting": "hi"}, workdir=tmp_path)
    assert result.exit_code == 0
    assert result.outputs == {"said": "hi\nworld", "recovered": ""}
    assert result.summary == "## hi\n"
    assert result.masks == ["topsecret"]
    assert [s.outcome for s in result.steps] == ["success", "success", "success", "skipped"]


def test_failure_skips_later_steps_but_not_always(sample, tmp_path):
    result = run_action(sample, {"fail": "true"}, workdir=tmp_path)
    assert result.exit_code == 1
    assert [s.outcome for s in result.steps] == ["success", "failure", "skipped", "success"]
    assert result.outputs["recovered"] == "yes"
    assert result.outputs["said"] == "hello\nworld"


def test_undeclared_input_is_refused(sample, tmp_path):
    with pytest.raises(ValueError, match="unexpected input"):
        run_action(sample, {"greting": "typo"}, workdir=tmp_path)


def test_file_commands():
    assert parse_file_commands("a=1\nb<<X\nline\nX\nc=x=y\n") == {"a": "1", "b": "line", "c": "x=y"}
    with pytest.raises(ValueError, match="delimiter"):
        parse_file_commands("b<<X\nline\n")


@pytest.mark.parametrize(
    ("expression", "status", "expected"),
    [
        ("inputs.mode == 'APPLY'", "success", True),  # string comparison ignores case, like the runner
        ("inputs.mode == 'apply'", "failure", False),  # implicit success() &&
        ("failure()", "failure", True),
        ("!cancelled() && inputs.count > 2", "success", True),
        ("contains(fromJSON('[\"a\",\"b\"]'), 'b')", "success", True),
        ("startsWith(github.ref, 'refs/tags/')", "success", False),
    ],
    ids=["eq-case", "implicit-success", "failure", "numeric", "contains-json", "startswith"],
)
def test_conditions(expression, status, expected):
    ctx = {"inputs": {"mode": "apply", "count": "3"}, "github": {"ref": "refs/heads/main"}}
    assert condition(expression, ctx, status) is expected


def test_interpolation_keeps_types_for_whole_expressions():
    ctx = {"inputs": {"n": "2"}, "steps": {"a": {"outputs": {"x": "y"}}}}
    assert interpolate("${{ 1 == 1 }}", ctx) is True
    assert interpolate("n=${{ inputs.n }}, x=${{ steps.a.outputs.x }}", ctx) == "n=2, x=y"
    assert evaluate("format('{0}-{1}', inputs.n, 'z')", ctx) == "2-z"


WORKFLOW = """\
name: sample
on:
  workflow_call:
    inputs:
      mode: {type: string, default: fast}
      broken: {type: boolean, default: false}
permissions: {}
env:
  MODE: ${{ inputs.mode }}
jobs:
  first:
    runs-on: ubuntu-latest
    outputs:
      value: ${{ steps.make.outputs.value }}
    steps:
      - id: make
        env:
          BROKEN: ${{ inputs.broken }}
        run: |
          echo "value=$MODE-1" >> "$GITHUB_OUTPUT"
          [ "$BROKEN" != true ]
  skipped:
    if: inputs.mode == 'slow'
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  second:
    needs: [first, skipped]
    if: ${{ !cancelled() && !contains(needs.*.result, 'failure') }}
    runs-on: ubuntu-latest
    outputs:
      seen: ${{ steps.read.outputs.seen }}
    steps:
      - id: read
        env:
          VALUE: ${{ needs.first.outputs.value }}
        run: echo "seen=$VALUE" >> "$GITHUB_OUTPUT"
  report:
    needs: [first, second]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - env:
          RESULTS: ${{ needs.first.result }}/${{ needs.second.result }}
        run: echo "$RESULTS" >> "$GITHUB_STEP_SUMMARY"
"""


def test_workflow_jobs_run_in_needs_order_with_conditions(tmp_path):
    path = tmp_path / "wf.yml"
    path.write_text(WORKFLOW)
    from support.actionrunner import run_workflow

    jobs = run_workflow(path, inputs={"mode": "fast"}, workdir=tmp_path)
    assert jobs["skipped"] is None
    assert jobs["second"].outputs == {"seen": "fast-1"}
    assert jobs["report"].summary == "success/success\n"

    broken = run_workflow(path, inputs={"broken": True}, workdir=tmp_path)
    assert broken["first"].exit_code == 1
    assert broken["second"] is None
    assert broken["report"].summary == "failure/skipped\n"

"""Which release a revert goes back to, whether it takes the fast path, and when it does nothing."""

from __future__ import annotations

import pytest

from rollwise.errors import ConfigError, InconclusiveError
from rollwise.release.model import (
    REVERT,
    Release,
    RevertPolicy,
    Status,
    choose_revert,
    current,
    find,
    superseded,
)


def release(number, sha, *states, kind="rollout", reverted=None, version=None):
    payload = {"kind": kind, "version": version or f"v{number}"}
    if reverted:
        payload["revert"] = reverted
    return Release(number, "staging", sha * 40 if len(sha) == 1 else sha, sha * 40 if len(sha) == 1 else sha,
                   f"2026-01-01T00:00:{number:02d}Z", payload,
                   statuses=tuple(Status(state, "") for state in ("in_progress", *states)))


GOOD = release(1, "a", "success", "inactive")
BAD = release(2, "b", "success")


def test_the_last_good_release_before_the_current_one_is_chosen_on_the_fast_path():
    plan = choose_revert([GOOD, BAD])
    assert (plan.current.id, plan.target.id, plan.fast, plan.age, plan.unchanged) == (2, 1, True, 1, False)
    assert plan.why == "the last good release before v2 (#2, bbbbbbb)"


def test_failed_rollouts_are_never_targets_and_do_not_count_for_the_window():
    failed = release(3, "c", "failure")
    now = release(4, "d", "success")
    plan = choose_revert([GOOD, BAD, failed, now])
    assert (plan.target.id, plan.age) == (2, 1)


@pytest.mark.parametrize(("window", "fast", "to", "expected"), [
    (3, True, "1", (True, 2)), (2, True, "1", (False, 2)), (3, False, "2", (False, 1))],
    ids=["inside-window", "beyond-window", "fast-path-off"])
def test_the_window_decides_between_fast_path_and_phases(window, fast, to, expected):
    releases = [GOOD, release(2, "b", "success", "inactive"), release(3, "c", "success")]
    plan = choose_revert(releases, RevertPolicy(fast=fast, window=window), to=to)
    assert (plan.fast, plan.age) == expected


def test_after_a_revert_a_second_revert_changes_nothing():
    revert = release(3, "a", "success", kind=REVERT, reverted={"from": 2, "to": 1})
    releases = [GOOD, release(2, "b", "success", "inactive"), revert]
    plan = choose_revert(releases)
    assert plan.unchanged and plan.target.id == 3
    assert "already a revert" in plan.why


def test_a_release_reverted_away_from_is_skipped_later():
    revert = release(3, "a", "success", "inactive", kind=REVERT, reverted={"from": 2, "to": 1})
    newer = release(4, "c", "success")
    plan = choose_revert([GOOD, release(2, "b", "success", "inactive"), revert, newer])
    assert plan.target.id == 3 and plan.target.sha == "a" * 40


def test_a_rolled_back_newest_rollout_leaves_nothing_to_revert():
    plan = choose_revert([GOOD, release(2, "b", "failure")])
    assert plan.unchanged and plan.target.id == 1
    assert "was rolled back" in plan.why


def test_a_running_rollout_refuses_the_revert_with_exit_3():
    with pytest.raises(InconclusiveError, match="still rolling out") as caught:
        choose_revert([GOOD, BAD, release(3, "c")])
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(("releases", "to", "message"), [
    ([], None, "was ever promoted"),
    ([BAD], None, "no promoted release before"),
    ([GOOD, BAD], "9", "no release '9'"),
    ([GOOD, BAD, release(3, "c", "failure")], "3", "was never promoted"),
], ids=["empty", "only-one", "unknown-to", "to-failed"])
def test_no_target_is_a_usage_error(releases, to, message):
    with pytest.raises(ConfigError, match=message) as caught:
        choose_revert(releases, to=to)
    assert caught.value.exit_code == 2 and caught.value.fix


def test_find_by_id_or_sha_prefix():
    releases = [GOOD, BAD]
    assert find(releases, "#2") is BAD and find(releases, "1") is GOOD
    assert find(releases, "aaaaaaa") is GOOD and find(releases, "aaaa") is None


def test_current_and_superseded():
    releases = [GOOD, release(2, "b", "success")]
    new = release(3, "c", "success")
    assert current([*releases, release(4, "d")]).id == 2
    assert [r.id for r in superseded([*releases, new], new)] == [2]


def test_outcomes_read_from_the_statuses():
    assert [r.outcome for r in (GOOD, BAD, release(3, "c", "failure"), release(4, "d"))] == [
        "superseded", "live", "rolled back", "running"]


def test_when_the_only_rollout_was_rolled_back_nothing_runs_and_nothing_is_reverted():
    plan = choose_revert([release(1, "a", "failure")])
    assert plan.unchanged and plan.nothing_runs and plan.current is None
    assert "was ever promoted" in plan.why

"""Canary state files and GitHub API replies, generated: exit 0-3 and never a traceback; the sticky comment is
only ever edited when this token wrote it."""

from __future__ import annotations

import json

import httpx
from boundary import run
from hypothesis import given
from hypothesis import strategies as st

from rollwise.github import ACTIONS_BOT, GitHub, PullRequest

VALID_STATE = {"schema": "rollwise/canary-state/v1", "status": "held", "started": "2024-05-01T12:00:00Z",
               "weight": 5, "phase": 1, "base_dir": ".", "router": {"type": "command", "options": {
                   "command": "echo {weight}"}},
               "commands": {"rollback": None, "promote": None, "timeout": 10},
               "kill_switch": {"store": None, "flags": []}, "events": []}
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                 st.text(max_size=8), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                           st.integers(), max_size=2))
#: keys whose values may be replaced; the router's command is never generated (it would run)
BENDABLE = ["schema", "status", "started", "weight", "phase", "base_dir", "router", "router.type", "router.options",
            "commands", "commands.timeout", "commands.rollback", "kill_switch", "kill_switch.flags", "events"]


@given(changes=st.dictionaries(st.sampled_from(BENDABLE), JUNK, min_size=1, max_size=4),
       drop=st.lists(st.sampled_from(["router", "status", "weight", "commands"]), max_size=2))
def test_any_state_file_is_undone_or_refused(tmp_path_factory, changes, drop):
    tmp = tmp_path_factory.mktemp("state")
    state = json.loads(json.dumps(VALID_STATE))
    state["base_dir"] = str(tmp)
    for key, value in changes.items():
        if isinstance(value, str) and key.startswith(("commands", "router")):
            value = "true"  # any command that gets run is harmless
        head, _, tail = key.partition(".")
        if tail and isinstance(state.get(head), dict):
            state[head][tail] = value
        elif not tail:
            state[head] = value
    for key in drop:
        state.pop(key, None)
    path = tmp / "state.json"
    path.write_text(json.dumps(state))
    run(["canary", "rollback", "--state-file", str(path), "--report", str(tmp / "r.json")], tmp / "r.json")


REPLY = st.one_of(
    st.lists(st.one_of(
        st.fixed_dictionaries({"id": st.one_of(st.integers(1, 5), st.text(max_size=2), st.none()),
                               "body": st.one_of(st.just("<!-- m -->\nold"), st.text(max_size=5), st.none(),
                                                 st.integers()),
                               "user": st.one_of(st.fixed_dictionaries({"login": st.sampled_from(
                                   [ACTIONS_BOT, "mallory", "GitHub-Actions[bot]", ""])}), st.none(), st.text(max_size=3))}),
        JUNK), max_size=4),
    JUNK,
)
STATUS = st.sampled_from([200, 200, 201, 204, 301, 401, 403, 404, 422, 500, 502])


@given(user=st.tuples(STATUS, JUNK), comments=st.tuples(STATUS, REPLY), write=st.tuples(STATUS, JUNK), raw=st.booleans())
def test_any_github_reply_is_a_bool_and_never_a_hijack(user, comments, write, raw):
    edited = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        status, body = user if path == "/user" else comments if request.method == "GET" else write
        if request.method == "PATCH":
            edited.append(path.rsplit("/", 1)[1])
        content = b"<html>not json</html>" if raw and request.method != "GET" else json.dumps(body).encode()
        return httpx.Response(status, content=content)

    github = GitHub("ghs_x", "slo-gate", api_url="http://gh.test", client=httpx.Client(transport=httpx.MockTransport(handler)))
    pr = PullRequest("acme/shop", "a" * 40, 7, None)
    assert github.set_status(pr, "success", "proceed") in (True, False)
    assert github.upsert_comment(pr, "<!-- m -->\nnew", "<!-- m -->") in (True, False)
    me = (user[1].get("login") if user[0] == 200 and isinstance(user[1], dict) else
          ACTIONS_BOT if user[0] in (401, 403) else None)
    listed = comments[1] if comments[0] < 300 and isinstance(comments[1], list) else []
    ours = {str(c["id"]) for c in listed if isinstance(c, dict) and isinstance(c.get("user"), dict)
            and me and str(c["user"].get("login") or "").lower() == str(me).lower()}
    assert set(edited) <= ours

"""Command-line options of `rollwise gate` and `rollwise migrate lint`: any text, exit 0-3, never a traceback."""

from __future__ import annotations

import re

from boundary import run
from hypothesis import given
from hypothesis import strategies as st
from test_config_properties import CONFIG_LINES, T0, k6_file

NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["nan", "inf", "-inf", "NaN", "1e999", "-0", "", " ", "2024-05-01T12:00:00Z", "2024-05-01T12:00:00",
                     "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z", "10m", "-10m", "1.5h", "0s", "999999999w",
                     "30d", "1e3s", "10 m"]),
    st.from_regex(r"\A-?[0-9]{1,12}(\.[0-9]{1,4})?(ms|s|m|h|d|w)?\Z"),
)


@given(options=st.dictionaries(st.sampled_from(["--start", "--end", "--window", "--step", "--warmup"]), NUMBERISH,
                               min_size=1, max_size=5))
def test_time_and_duration_options(tmp_path_factory, options):
    tmp = tmp_path_factory.mktemp("opt")
    (tmp / "rollwise.yml").write_text("\n".join(CONFIG_LINES) + "\n")
    args = [item for pair in options.items() for item in pair]
    run(["gate", "--config", str(tmp / "rollwise.yml"), "--k6-results", k6_file(tmp), *args,
         "--report", str(tmp / "r.json")], tmp / "r.json")


@given(url=st.one_of(
    st.from_regex(r"\A(ftp|file|redis|gopher|javascript|http\+unix|ws)://[a-z0-9.:@\[\]%-]{0,20}\Z"),
    st.from_regex(r"\Ahttps?://(\[[0-9a-f:]{0,8}|[a-z]{1,5}:[1-9][0-9]{5,8}|:[0-9]{1,3}|@|%zz@)\Z"),
    st.text(min_size=1, max_size=20).filter(lambda t: not re.match(r"(?i)https?://[a-z0-9]", t.strip())),
    st.from_regex(r"\Ahttps?://[a-z]{1,5}:0{1,5}\Z"),
))
def test_prometheus_url_that_cannot_be_used_is_exit_2_at_once(tmp_path_factory, url):
    tmp = tmp_path_factory.mktemp("url")
    (tmp / "rollwise.yml").write_text("\n".join(CONFIG_LINES) + "\n")
    code = run(["gate", "--config", str(tmp / "rollwise.yml"), "--prometheus-url", url, "--start", str(T0),
                "--end", str(T0 + 60), "--report", str(tmp / "r.json")], tmp / "r.json")
    assert code == 2


@given(text=st.one_of(st.text(max_size=12), st.from_regex(r"\A(base|head|000[0-6]|[0-9a-f]{1,4})?:(base|head|000[0-6])?\Z")))
def test_lint_range(repo_root, tmp_path_factory, monkeypatch, text):
    tmp = tmp_path_factory.mktemp("lint")
    monkeypatch.chdir(repo_root / "examples" / "migrate")
    run(["migrate", "lint", "--range", text, "--no-squawk", "--report", str(tmp / "r.json")], tmp / "r.json")


@given(percentage=NUMBERISH, wait=NUMBERISH)
def test_flag_rollout_percentage_and_wait_timeout(tmp_path_factory, percentage, wait):
    tmp = tmp_path_factory.mktemp("rollout")
    store = tmp / "flags.yml"
    store.write_text("version: rollwise/flags/v1\nrevision: 1\nflags:\n  checkout: {default: false}\n")
    code = run(["flags", "rollout", "checkout", percentage, "--wait-timeout", wait, "--store", f"file://{store}",
                "--actor", "t", "--report", str(tmp / "r.json")], tmp / "none.json", watched=[store])
    assert code in (0, 2)

"""The shared YAML loader's limits: size, depth, alias expansion, duplicate keys and non-finite numbers."""

from __future__ import annotations

import time

import pytest

from rollwise.errors import ConfigError
from rollwise.yamlsource import MAX_BYTES, load_yaml, parse_yaml, parse_yaml_all

#: 9 levels of 9 aliases: 9**9 values once expanded, from about 340 bytes
BOMB = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


def problem(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "r.yml")
    return caught.value


def test_alias_bomb_is_refused_at_once():
    started = time.process_time()
    error = problem(BOMB)
    assert time.process_time() - started < 1.0
    assert "aliases expand" in error.problem and error.location.file == "r.yml" and error.location.line


def test_modest_aliases_and_merge_keys_still_work():
    doc = parse_yaml("base: &b {timeout: 10s, retries: 2}\none:\n  <<: *b\n  retries: 3\nlist: [*b, *b]\n")
    assert doc.data["one"] == {"timeout": "10s", "retries": 3} and len(doc.data["list"]) == 2


def test_deep_nesting_is_refused_without_recursion_error():
    error = problem("x: " + "[" * 5000 + "]" * 5000)
    assert "deeper than" in error.problem


def test_oversized_file_is_refused_before_parsing(tmp_path):
    big = tmp_path / "big.yml"
    big.write_text("x: " + "a" * (MAX_BYTES + 10))
    with pytest.raises(ConfigError, match="larger than"):
        load_yaml(big)


def test_non_utf8_file_names_its_line(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"version: rollwise/v1\nname: \xff\n")
    with pytest.raises(ConfigError) as caught:
        load_yaml(bad)
    assert caught.value.location.line == 2 and "UTF-8" in caught.value.problem


@pytest.mark.parametrize("text,line,key", [
    ("gate:\n  alpha: 0.05\n  alpha: 0.5\n", 3, "gate.alpha"),
    ("slos:\n  - name: a\n    critical: true\n    critical: false\n", 4, "slos[0].critical"),
    ("{a: 1, a: 2}\n", 1, "a"),
], ids=["nested", "in-a-list", "flow"])
def test_duplicate_key_names_both_lines(text, line, key):
    error = problem(text)
    assert (error.location.line, error.location.key) == (line, key)
    assert "written twice" in error.problem and error.fix


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.Inf", "+.inf", "1.0e+999", "1" + "0" * 30])
def test_non_finite_or_huge_numbers_are_refused_wherever_they_are(value):
    error = problem(f"gate:\n  alpha: 0.05\nslos:\n  - weight: {value}\n")
    assert (error.location.line, error.location.key) == (4, "slos[0].weight")


@pytest.mark.parametrize("value,expected", [("'.nan'", ".nan"), ("0x1F", 31), ("1_000", 1000), ("-2.5", -2.5)])
def test_quoted_and_ordinary_numbers_pass(value, expected):
    assert parse_yaml(f"x: {value}\n").data == {"x": expected}


def test_several_documents_each_checked():
    docs = parse_yaml_all("a: 1\n---\nb: 2\n")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    with pytest.raises(ConfigError, match="more than one YAML document"):
        parse_yaml("a: 1\n---\nb: 2\n")
    with pytest.raises(ConfigError, match="written twice"):
        parse_yaml_all("a: 1\n---\nb: 2\nb: 3\n")

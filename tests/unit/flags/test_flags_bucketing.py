"""Bucketing: golden vectors (byte-exact spec), uniformity (chi-square) and stickiness as percentages grow."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from scipy import stats

from rollwise.flags.config import parse_flagset_text
from rollwise.flags.model.bucketing import BUCKETS, bucket, choose, stickiness_value
from rollwise.flags.model.evaluate import evaluate

VECTORS = json.loads((Path(__file__).parent / "bucketing_vectors.json").read_text(encoding="utf-8"))["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['note']}" for v in VECTORS])
def test_golden_vectors(vector):
    assert bucket(vector["salt"], vector["value"]) == vector["bucket"]
    # the documented formula, computed independently of the module
    digest = hashlib.sha256((vector["salt"] + "." + vector["value"]).encode("utf-8")).digest()
    assert f"{int.from_bytes(digest[:8], 'big'):016x}" == vector["hash64"]
    assert (int(vector["hash64"], 16) * 100_000) >> 64 == vector["bucket"]


def test_vectors_cover_boundaries_and_non_ascii():
    buckets = {v["bucket"] for v in VECTORS}
    assert {0, 24999, 25000, 99999} <= buckets
    assert any(not v["value"].isascii() for v in VECTORS) and any(not v["salt"].isascii() for v in VECTORS)


@pytest.mark.parametrize(("vector_bucket", "inside"), [(24999, True), (25000, False)], ids=["24999-in", "25000-out"])
def test_boundary_bucket_against_a_25_percent_split(vector_bucket, inside):
    vector = next(v for v in VECTORS if v["bucket"] == vector_bucket)
    split = (("true", 25_000), ("false", BUCKETS))
    assert (choose(split, vector["bucket"]) == "true") is inside


def test_buckets_are_uniform_chi_square():
    counts = [0] * 100
    for i in range(100_000):
        counts[bucket("uniformity", f"user-{i}") * 100 // BUCKETS] += 1
    result = stats.chisquare(counts)
    assert result.pvalue > 0.001, f"chi-square {result.statistic:.1f}, p={result.pvalue:.2g}: buckets are not uniform"


def test_split_fractions_are_uniform_across_variants_chi_square():
    flags = parse_flagset_text("""
flags:
  colour:
    variants: {red: "#f00", green: "#0f0", blue: "#00f", grey: "#888"}
    default: {rollout: {red: 10, green: 20, blue: 30, grey: 40}}
""")
    counts = {"red": 0, "green": 0, "blue": 0, "grey": 0}
    n = 40_000
    for i in range(n):
        counts[evaluate(flags, "colour", {"targetingKey": f"u{i}"}).variant] += 1
    expected = [n * p for p in (0.1, 0.2, 0.3, 0.4)]
    assert stats.chisquare(list(counts.values()), expected).pvalue > 0.001


def test_rollout_is_sticky_as_the_percentage_grows():
    users = [f"user-{i}" for i in range(20_000)]
    previous: set[str] = set()
    for percent in (1, 5, 10, 25, 50, 75, 100):
        flags = parse_flagset_text(f"flags:\n  f:\n    default: {{rollout: {{true: {percent}, false: {100 - percent}}}}}\n")
        enabled = {u for u in users if evaluate(flags, "f", {"targetingKey": u}).value is True}
        assert previous <= enabled, f"{len(previous - enabled)} users dropped out when growing to {percent} %"
        assert abs(len(enabled) / len(users) - percent / 100) < 0.015
        previous = enabled


def test_salts_decorrelate_flags():
    users = [f"user-{i}" for i in range(20_000)]
    a = {u for u in users if bucket("flag-a", u) < 50_000}
    b = {u for u in users if bucket("flag-b", u) < 50_000}
    # independent 50 % cohorts overlap on about 25 % of users
    assert abs(len(a & b) / len(users) - 0.25) < 0.02


@pytest.mark.parametrize(("raw", "expected"), [("u1", "u1"), (42, "42"), ("", None), (True, None), (1.5, None), (None, None)],
                         ids=["string", "int", "empty", "bool", "float", "none"])
def test_stickiness_value(raw, expected):
    assert stickiness_value(raw) == expected

"""flags.yml validation: every refusal names file, line, key and a fix."""

from __future__ import annotations

import textwrap

import pytest

from rollwise.errors import ConfigError
from rollwise.flags.config import load_flagset, parse_flagset_text

VALID = """\
version: rollwise/flags/v1
segments:
  staff:
    include: [alice]
    conditions:
      - {attribute: email, op: ends_with, value: "@example.com"}
flags:
  payments-v2: {enabled: true, default: true}
  new-checkout:
    description: the new checkout flow
    off: false
    prerequisites:
      - flag: payments-v2
    targets:
      true: [qa-1]
    rules:
      - name: staff
        segments: [staff]
        serve: true
      - name: eu
        conditions:
          - {attribute: country, op: in, values: [DE, FR]}
          - {attribute: app_version, op: semver_gte, value: 2.3.0}
        serve: {rollout: {true: 25, false: 75}, by: userId}
    default: false
  banner:
    variants: {none: "", spring: "Spring sale", summer: "Summer sale"}
    default: none
    rules:
      - conditions: [{attribute: signup, op: after, value: "2026-01-01T00:00:00Z"}]
        serve: spring
"""

CASES = [
    # (name, yaml, line, key fragment, problem fragment, fix fragment)
    ("unknown-prerequisite", """\
flags:
  a:
    prerequisites:
      - flag: paymnets
  payments: {}
""", 4, "flags.a.prerequisites[0].flag", "prerequisite flag 'paymnets' does not exist", "did you mean 'payments'"),
    ("cycle", """\
flags:
  a:
    prerequisites: [{flag: b}]
  b:
    prerequisites: [{flag: c}]
  c:
    prerequisites: [{flag: a}]
""", 3, "flags.a.prerequisites", "prerequisite cycle: a -> b -> c -> a", "remove one of these prerequisites"),
    ("self-cycle", """\
flags:
  a:
    prerequisites: [{flag: a}]
""", 3, "flags.a.prerequisites", "prerequisite cycle: a -> a", "cannot depend on itself"),
    ("over-100", """\
flags:
  a:
    default:
      rollout:
        true: 125
        false: 0
""", 5, "flags.a.default.rollout.true", "percentage 125 for 'true' is outside 0..100", "adding up to 100"),
    ("sum-not-100", """\
flags:
  a:
    default:
      rollout: {true: 60, false: 50}
""", 4, "flags.a.default.rollout", "add up to 110, not 100", "exactly 100"),
    ("unknown-variant", """\
flags:
  banner:
    variants: {none: "", spring: "Spring"}
    default: sprung
""", 4, "flags.banner.default", "unknown variant 'sprung'", "did you mean 'spring'"),
    ("unknown-variant-in-rule", """\
flags:
  banner:
    variants: {none: "", spring: "Spring"}
    default: none
    rules:
      - conditions: [{attribute: country, op: in, values: [DE]}]
        serve: {variant: winter}
""", 7, "flags.banner.rules[0].serve.variant", "unknown variant 'winter'", "use one of: none, spring"),
    ("bad-regex", """\
flags:
  a:
    rules:
      - conditions:
          - attribute: email
            op: matches
            value: "(unclosed"
        serve: true
""", 7, "flags.a.rules[0].conditions[0].value", "invalid regular expression", "fix the pattern"),
    ("unknown-segment", """\
segments:
  staff: {include: [alice]}
flags:
  a:
    rules:
      - segments: [stuff]
        serve: true
""", 6, "flags.a.rules[0].segments[0]", "unknown segment 'stuff'", "did you mean 'staff'"),
    ("bad-semver", """\
flags:
  a:
    rules:
      - conditions: [{attribute: v, op: semver_gt, value: "two"}]
        serve: true
""", 4, "flags.a.rules[0].conditions[0].value", "'two' is not a semantic version", "2.3.0"),
    ("misspelled-key", """\
flags:
  a:
    enabeld: false
""", 3, "flags.a.enabeld", "unknown key 'enabeld'", "did you mean 'enabled'"),
    ("mixed-variant-types", """\
flags:
  a:
    variants: {one: 1, two: "2"}
    default: one
""", 3, "flags.a.variants.two", "variant 'two' is a string but 'one' is a number", "same type"),
    ("unknown-operator", """\
flags:
  a:
    rules:
      - conditions: [{attribute: v, op: greater, value: 1}]
        serve: true
""", 4, "flags.a.rules[0].conditions[0].op", "'greater' is not one of", "use one of: in, not_in"),
    ("prerequisite-variant", """\
flags:
  a:
    prerequisites: [{flag: b, variants: [blue]}]
  b:
    variants: {red: 1, green: 2}
    default: red
""", 3, "flags.a.prerequisites[0].variants[0]", "unknown variant 'blue'", "use one of: red, green"),
    ("no-default", """\
flags:
  a:
    variants: {red: 1, green: 2}
""", 2, "flags.a", "has no default", "add `default: <variant>`"),
]


def test_valid_file_parses(tmp_path):
    path = tmp_path / "flags.yml"
    path.write_text(VALID)
    flags = load_flagset(path)
    assert set(flags.flags) == {"payments-v2", "new-checkout", "banner"}
    checkout = flags.flags["new-checkout"]
    assert checkout.rules[1].serve.percentages() == {"true": 25.0, "false": 75.0}
    assert checkout.rules[1].serve.by == "userId"
    assert checkout.targets == {"qa-1": "true"}


@pytest.mark.parametrize(("name", "text", "line", "key", "problem", "fix"), CASES, ids=[c[0] for c in CASES])
def test_refusals_are_located(tmp_path, name, text, line, key, problem, fix):
    path = tmp_path / "flags.yml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        load_flagset(path)
    error = caught.value
    assert error.exit_code == 2
    assert error.location.file == str(path)
    assert error.location.key == key, error.message
    assert error.location.line == line, error.message
    assert problem in error.problem
    assert fix in (error.fix or ""), error.fix


def test_yaml_booleans_name_the_boolean_variants():
    flags = parse_flagset_text("flags:\n  a:\n    default: on\n    off: off\n")
    assert flags.flags["a"].default.variant == "true" and flags.flags["a"].off == "false"


def test_unquoted_dates_become_text_so_stores_can_hold_them():
    flags = parse_flagset_text("flags:\n  a:\n    rules:\n      - conditions: [{attribute: d, op: before, value: 2026-07-01}]\n"
                               "        serve: true\n")
    assert flags.flags["a"].raw["rules"][0]["conditions"][0]["value"] == "2026-07-01"

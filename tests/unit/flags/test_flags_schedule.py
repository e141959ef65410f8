"""Schedule entries in flags.yml: validation with file, line and fix; which entries are due; the audit markers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rollwise.errors import ConfigError
from rollwise.flags.config import parse_flagset_text
from rollwise.flags.model import schedule
from rollwise.flags.model.changes import Audit, AuditEntry

HEAD = "version: rollwise/flags/v1\nflags:\n  f:\n"


@pytest.mark.parametrize("body, message", [
    ("    schedule:\n      - {at: 2026-12-01T09:00:00, rollout: 25}\n",
     "flags.yml:5: flags.f.schedule[0].at: '2026-12-01T09:00:00' is not a time with a time zone\n"
     "  fix: write an RFC 3339 time such as 2026-12-01T09:00:00Z"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z}\n",
     "flags.yml:5: flags.f.schedule[0]: an entry makes exactly one change; it has none"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 25, enabled: true}\n",
     "an entry makes exactly one change; it has enabled and rollout"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 25}\n      - {at: 2026-12-01T10:00:00+01:00, "
     "enabled: false}\n", "flags.yml:6: flags.f.schedule[1].at: schedule[0] is at the same time"),
    ("    variants: {a: x, b: y}\n    default: a\n    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 25}\n",
     "flag 'f' has no variant valued true to roll out\n  fix: name the variant: `variant: <name>`"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 25, variant: ture}\n",
     "flags.yml:5: flags.f.schedule[0].variant: unknown variant 'ture'"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 25, rule: beta}\n",
     "flag 'f' has no rule 'beta'\n  fix: name one of: (the flag has no rules)"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 125}\n", "125 is greater than the maximum of 100"),
    ("    schedule:\n      - {at: 2026-12-01T09:00:00Z, enable: true}\n",
     "unknown key 'enable'\n  fix: did you mean 'enabled'?"),
], ids=["no-zone", "no-change", "two-changes", "same-time", "no-true-variant", "variant", "rule", "percent", "typo"])
def test_bad_schedule_entries_are_refused_where_they_are(body, message):
    with pytest.raises(ConfigError) as caught:
        parse_flagset_text(HEAD + body)
    assert message in str(caught.value)


def test_entries_are_read_in_time_order_with_stable_ids():
    flagset = parse_flagset_text(HEAD + "    schedule:\n      - {at: 2026-12-03T10:00:00+01:00, rollout: 50}\n"
                                 "      - {at: 2026-12-01T09:00:00Z, enabled: true}\n")
    changes = schedule.entries("f", flagset.flags["f"].raw)
    assert [(c.id, c.describe()) for c in changes] == [("f@2026-12-01T09:00:00Z", "enable"),
                                                       ("f@2026-12-03T09:00:00Z", "rollout to 50 %")]


def test_due_skips_entries_the_audit_log_shows_as_applied():
    flagset = parse_flagset_text(HEAD + "    schedule:\n      - {at: 2026-12-01T09:00:00Z, rollout: 25}\n"
                                 "      - {at: 2026-12-02T09:00:00Z, rollout: 50}\n"
                                 "      - {at: 2026-12-09T09:00:00Z, rollout: 100}\n")
    changes = schedule.entries("f", flagset.flags["f"].raw)
    log = [AuditEntry(3, "2026-12-01T09:05:00+00:00", Audit("ci", f"nightly; scheduled x {changes[0].marker}"))]
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    assert schedule.applied(log) == {"f@2026-12-01T09:00:00Z"}
    assert [c.id for c in schedule.due(changes, schedule.applied(log), now)] == ["f@2026-12-02T09:00:00Z"]
    assert [c.id for c in schedule.upcoming(changes, now)] == ["f@2026-12-09T09:00:00Z"]

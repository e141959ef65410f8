"""Error budget and multi-window burn-rate rules (SRE workbook factors 14.4 and 6 for 30 days)."""

from __future__ import annotations

import pytest

from rollwise.gate.model import Objective, RatioSli, Slo, Tolerance
from rollwise.gate.model.burn_rate import RULES, assess_budget, budget_windows

DAY = 86400.0
PERIOD = 30 * DAY
SLO = Slo("availability", RatioSli("e", "t"), Objective(target=0.999), Tolerance())


def test_factors_match_the_workbook_for_30_days_and_scale_with_the_period():
    assert [round(r.factor(PERIOD), 3) for r in RULES] == [14.4, 6.0]
    assert [round(r.factor(28 * DAY), 2) for r in RULES] == [13.44, 5.6]


def measured(period_ratio: float, burn: dict[str, float]) -> dict[float, tuple[float, float]]:
    labels = {PERIOD: "30d", 3600.0: "1h", 300.0: "5m", 21600.0: "6h", 1800.0: "30m"}
    out = {}
    for seconds in budget_windows(PERIOD):
        ratio = period_ratio if seconds == PERIOD else burn.get(labels[seconds], 0.0) * 0.001
        out[seconds] = (ratio * 1_000_000, 1_000_000.0)
    return out


@pytest.mark.parametrize("period_ratio,burn,decision,status", [
    (0.0002, {"1h": 1, "5m": 1, "6h": 1, "30m": 1}, "proceed", "ok"),
    (0.0012, {}, "rollback", "exhausted"),
    (0.0002, {"1h": 15, "5m": 20}, "rollback", "burning"),
    (0.0002, {"1h": 15, "5m": 2}, "proceed", "ok"),  # the short window has recovered: no page
    (0.0002, {"6h": 7, "30m": 6.5}, "rollback", "burning"),
], ids=["healthy", "exhausted", "fast-burn", "recovered", "slow-burn"])
def test_budget_rules(period_ratio, burn, decision, status):
    result = assess_budget([SLO], {"availability": measured(period_ratio, burn)}, PERIOD, 0.0)
    assert result.decision == decision
    assert result.slos[0].status == status
    assert result.to_dict()["schema"] == "rollwise/gate-budget/v1"


def test_no_traffic_or_unreadable_data_is_inconclusive():
    empty = {w: (None, None) for w in budget_windows(PERIOD)}
    assert assess_budget([SLO], {"availability": empty}, PERIOD, 0.0).decision == "inconclusive"
    broken = {w: "ConnectError" for w in budget_windows(PERIOD)}
    result = assess_budget([SLO], {"availability": broken}, PERIOD, 0.0)
    assert result.decision == "inconclusive" and "ConnectError" in result.reason

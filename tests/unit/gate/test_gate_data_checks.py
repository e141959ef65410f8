"""Data no decision may rest on: the per-step counts of the stratified test are checked like the totals."""

from __future__ import annotations

import math

import pytest

from rollwise.gate.model import Objective, RatioSli, Slo, Tolerance, TrackData
from rollwise.gate.model.data_checks import data_problem

ERRORS = Slo("errors", RatioSli("errors", "total"), Objective(target=0.99), Tolerance(0.1, 0.001))


@pytest.mark.parametrize("step", [(60.0, math.nan, 100.0), (60.0, 1.0, math.inf), (60.0, -5.0, 100.0)],
                         ids=["nan-bad", "inf-total", "negative-bad"])
def test_a_broken_step_makes_the_data_unusable(step):
    data = TrackData(bad=1.0, total=100.0, steps=[(0.0, 0.0, 50.0), step])
    assert "per-step counts" in data_problem(ERRORS, data)


def test_finite_steps_pass():
    data = TrackData(bad=1.0, total=100.0, steps=[(0.0, 0.0, 50.0), (60.0, 1.0, 50.0)])
    assert data_problem(ERRORS, data) is None

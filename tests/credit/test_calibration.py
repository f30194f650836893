"""Recalibration of the scorecard's PDs on the out-of-time outcomes, and the
cross-fitting that keeps the validation of those PDs honest."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from workbench import credit
from workbench.credit._calibration import (
    Recalibration,
    crossfit,
    crossfit_folds,
    fit_recalibration,
    logit,
)


def _simulated(a: float, b: float, n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    d = rng.normal(-3.0, 1.0, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(a + b * d)))).astype(int)
    return y, d


def test_logistic_recovers_intercept_and_slope() -> None:
    y, d = _simulated(0.5, 0.7)
    r = fit_recalibration(y, d, "logistic")
    assert r.method == "logistic"
    assert r.intercept == pytest.approx(0.5, abs=0.15)
    assert r.slope == pytest.approx(0.7, abs=0.05)


def test_a_well_calibrated_score_is_left_almost_as_is() -> None:
    y, d = _simulated(0.0, 1.0, seed=1)
    r = fit_recalibration(y, d, "logistic")
    assert r.intercept == pytest.approx(0.0, abs=0.15)
    assert r.slope == pytest.approx(1.0, abs=0.1)


def test_intercept_only_matches_the_observed_default_count() -> None:
    y, d = _simulated(1.0, 1.0, n=5_000, seed=2)
    r = fit_recalibration(y, d, "intercept")
    assert r.slope == 1.0
    assert r.pd(d).sum() == pytest.approx(y.sum(), rel=1e-6)


def test_few_defaults_fall_back_to_the_intercept() -> None:
    y = np.array([1] * 3 + [0] * 97)
    d = np.linspace(-4, -1, 100)
    r = fit_recalibration(y, d, "logistic", min_rows=10)
    assert (r.method, r.slope) == ("intercept", 1.0)


def test_a_reversing_slope_is_refused() -> None:
    rng = np.random.default_rng(0)
    d = np.linspace(-4, -1, 400)
    y = (rng.random(400) < 1 / (1 + np.exp(2.0 + (d + 2.5)))).astype(int)  # riskier: fewer
    assert fit_recalibration(y, d, "logistic", min_rows=5).method == "intercept"


def test_separated_outcomes_fall_back_to_the_intercept() -> None:
    d = np.linspace(-4, -1, 200)
    y = (d > -1.5).astype(int)  # no finite maximum-likelihood slope
    assert fit_recalibration(y, d, "logistic", min_rows=5).method == "intercept"


@pytest.mark.parametrize("y", [np.zeros(50, int), np.ones(50, int)])
def test_one_class_or_none_leaves_the_pds(y: np.ndarray) -> None:
    d = np.linspace(-4, -1, 50)
    r = fit_recalibration(y, d, "logistic")
    assert r == Recalibration(n=50, defaults=int(y.sum()))
    assert np.allclose(r.pd(d), 1 / (1 + np.exp(-d)))
    assert fit_recalibration(np.r_[y[:-1], 1 - y[-1]], d, "none").method == "none"


def test_unknown_method_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="recalibration method 'isotonic'"):
        fit_recalibration(np.array([0, 1]), np.zeros(2), "isotonic")


def test_points_and_pd_agree_with_the_scorecard_scaling() -> None:
    r = Recalibration(-0.3, 0.8, "logistic", 10, 2)
    d = np.array([-4.0, -2.0])
    factor = 20 / np.log(2)
    offset = 600 - factor * np.log(50)
    points = r.points(d, offset, factor)
    assert np.allclose(logit(r.pd(d)), (offset - points) / factor)


def test_crossfit_never_uses_a_customers_own_outcome() -> None:
    """By construction: with the folds fixed, flipping one customer's outcome cannot
    move its own cross-fitted PD (its fold's map was fitted on the other folds),
    while it does move the PDs of the other folds."""
    y, d = _simulated(0.4, 0.8, n=2_000, seed=3)
    fold_of = np.arange(len(y)) % 5
    base, _ = crossfit_folds(y, d, fold_of, "logistic", min_rows=10)
    for i in (0, 17, 999):
        flipped = y.copy()
        flipped[i] = 1 - flipped[i]
        again, _ = crossfit_folds(flipped, d, fold_of, "logistic", min_rows=10)
        assert again[i] == base[i]
        assert not np.array_equal(again[fold_of != fold_of[i]], base[fold_of != fold_of[i]])


def test_crossfit_pds_are_calibrated_in_the_large() -> None:
    y, d = _simulated(0.8, 1.0, n=4_000, seed=4)
    cf = crossfit(y, d, "intercept", folds=4, seed=0, min_rows=10)
    assert cf is not None
    pd_, base = cf
    assert pd_.shape == base.shape == y.shape
    assert np.all((base > 0) & (base < 1))
    assert abs(pd_.mean() - y.mean()) < 0.01
    assert abs((1 / (1 + np.exp(-d))).mean() - y.mean()) > 0.02  # before: off


def test_crossfit_needs_two_of_each_class() -> None:
    assert crossfit(np.array([1, 0, 0, 0]), np.zeros(4), "logistic", folds=5, seed=0,
                    min_rows=1) is None


def test_out_of_time_row_is_the_scorecard_as_fitted(sample_dir: Any, sample_result: Any) -> None:
    """The headline out-of-time row does not move with the recalibration: it is the
    development scorecard's, on later outcomes only."""
    from workbench import sources

    frames = sources.load(sample_dir, tables=list(credit.TABLES))
    none = credit.analyze(frames, "2026-Q3", recalibration="none")
    v = sample_result.tables["validation"]
    assert {"out_of_time", "out_of_time_recalibrated"} <= set(v["sample"].to_list())
    assert "out_of_time_recalibrated" not in none.tables["validation"]["sample"].to_list()
    a = v.filter(pl.col("sample") == "out_of_time")
    b = none.tables["validation"].filter(pl.col("sample") == "out_of_time")
    assert a.equals(b)


def test_grade_bands_hold_after_recalibration_on_the_sample(sample_result: Any) -> None:
    t = sample_result.tables
    assert t["recalibration"]["method"][0] == "logistic"
    after = t["reliability_by_grade"].filter(pl.col("customers") > 0)
    assert (after["assessment"] == "within band").all(), after
    before = t["reliability_by_grade_before"]
    assert before["customers"].sum() == after["customers"].sum()
    m = sample_result.metrics
    assert m["grades_above_pd_band"] == 0
    assert m["oot_brier_skill_recalibrated"] > 0.1

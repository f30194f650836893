from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from workbench.credit._validation import (
    discrimination,
    gini,
    ks_statistic,
    psi,
    psi_from_bins,
    psi_label,
    reliability_table,
    roc_auc,
)


def _scores(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(500) < 0.2).astype(int)
    risk = rng.normal(size=500) + 1.2 * y
    return y, risk


def test_auc_matches_sklearn_and_mann_whitney() -> None:
    y, risk = _scores()
    assert roc_auc(y, risk) == pytest.approx(roc_auc_score(y, risk))
    u = stats.mannwhitneyu(risk[y == 1], risk[y == 0]).statistic
    assert roc_auc(y, risk) == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()))
    assert gini(y, risk) == pytest.approx(2 * roc_auc(y, risk) - 1)


def test_ks_matches_the_two_sample_statistic() -> None:
    y, risk = _scores()
    two_sample = stats.ks_2samp(risk[y == 1], risk[y == 0]).statistic
    assert ks_statistic(y, risk) == pytest.approx(two_sample)


def test_ks_by_hand() -> None:
    # bads at 3, 4; goods at 1, 2, 3.5: cut above 3.5 catches 1/2 bads, 0 goods;
    # cut at 3 catches 2/2 bads and 1/3 goods → KS = max(0.5, 2/3) = 2/3.
    y = np.array([0, 0, 0, 1, 1])
    risk = np.array([1.0, 2.0, 3.5, 3.0, 4.0])
    assert ks_statistic(y, risk) == pytest.approx(2 / 3)


def test_one_class_gives_nan() -> None:
    assert np.isnan(roc_auc(np.zeros(5), np.arange(5.0)))
    assert np.isnan(ks_statistic(np.ones(5), np.arange(5.0)))
    assert discrimination(np.zeros(3), np.arange(3.0))["n"] == 3


def test_psi_by_hand() -> None:
    expected = np.arange(100.0)  # deciles: 10 % per bin
    actual = np.concatenate([np.full(50, 5.0), np.full(50, 95.0)])  # bins 1 and 10 only
    e, a = 0.1, 0.5
    floor = 1e-4
    hand = 2 * (a - e) * np.log(a / e) + 8 * (floor - e) * np.log(floor / e)
    assert psi(expected, actual) == pytest.approx(hand)
    assert psi(expected, expected) == pytest.approx(0.0)
    assert [psi_label(v) for v in (0.05, 0.2, 0.3)] == ["stable", "shift", "major shift"]


def test_psi_counts_missing_as_a_bin() -> None:
    base = np.arange(10.0)
    with_missing = np.append(base[:5], [np.nan] * 5)
    assert psi(base, with_missing) > 0.25
    assert psi_from_bins(np.array([0, 1]), np.array([0, 1]), 2) == pytest.approx(0.0)


def test_reliability_table() -> None:
    pd_ = np.linspace(0.01, 0.5, 100)
    y = (np.arange(100) % 4 == 0).astype(int)
    t = reliability_table(y, pd_, n_bins=4)
    assert t["customers"].to_list() == [25] * 4
    assert t["defaults"].sum() == 25
    assert t["mean_pd"].to_list() == sorted(t["mean_pd"].to_list())
    assert all(lo <= r <= hi for lo, r, hi in t.select("ci_low", "observed_rate", "ci_high").rows())

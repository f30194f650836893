from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from workbench.stats import (
    benjamini_hochberg,
    bootstrap_ci,
    holm,
    rate_difference_test,
    two_proportion_ci,
    wilson_interval,
)


def test_bh_agrees_with_scipy() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(size=50) ** 3
    assert np.allclose(benjamini_hochberg(p), st.false_discovery_control(p, method="bh"))


def test_corrections_keep_nan_and_never_lower_p() -> None:
    p = np.array([0.2, np.nan, 0.001, 0.04])
    for f in (benjamini_hochberg, holm):
        adj = f(p)
        assert np.isnan(adj[1])
        ok = ~np.isnan(p)
        assert (adj[ok] >= p[ok]).all() and (adj[ok] <= 1).all()
    assert np.isnan(benjamini_hochberg([])).all()


def test_holm_is_stricter_than_bh() -> None:
    p = np.array([0.001, 0.01, 0.02, 0.03, 0.04])
    assert (holm(p) >= benjamini_hochberg(p)).all()


def test_wilson_covers_the_truth_at_nominal_rate() -> None:
    rng = np.random.default_rng(2)
    k = rng.binomial(40, 0.1, size=4000)
    _, lo, hi = wilson_interval(k, np.full(4000, 40))
    coverage = ((lo <= 0.1) & (0.1 <= hi)).mean()
    assert 0.93 <= coverage <= 0.99


def test_wilson_zero_n_is_nan() -> None:
    p, lo, hi = wilson_interval(0, 0)
    assert np.isnan(p) and np.isnan(lo)


def test_two_proportion_ci_contains_difference_and_excludes_zero_when_clear() -> None:
    ci = two_proportion_ci(30, 100, 10, 100)
    assert ci.low < 0.2 < ci.high and ci.low > 0
    ci = two_proportion_ci(11, 100, 10, 100)
    assert ci.low < 0 < ci.high


def test_rate_difference_test_is_one_sided() -> None:
    assert rate_difference_test(30, 100, 10, 100) < 0.01
    assert rate_difference_test(10, 100, 30, 100) > 0.99  # better treated: never flagged


def test_bootstrap_over_clusters_is_seeded_and_covers_mean() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(5.0, 1.0, size=300)
    ci = bootstrap_ci(lambda idx: values[idx].mean(), values, seed=4, n_resamples=500)
    again = bootstrap_ci(lambda idx: values[idx].mean(), values, seed=4, n_resamples=500)
    assert ci == again
    assert ci.low < values.mean() < ci.high
    assert ci.high - ci.low == pytest.approx(2 * 1.96 / np.sqrt(300), rel=0.25)

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


def test_jeffreys_interval_is_the_beta_posterior_interval() -> None:
    from workbench.credit._validation import jeffreys_interval

    rate, lo, hi = jeffreys_interval(7, 100)
    assert rate == 0.07
    assert lo == pytest.approx(stats.beta.ppf(0.025, 7.5, 93.5))
    assert hi == pytest.approx(stats.beta.ppf(0.975, 7.5, 93.5))
    assert jeffreys_interval(0, 50)[1] == 0.0 and jeffreys_interval(50, 50)[2] == 1.0
    assert all(np.isnan(v) for v in jeffreys_interval(0, 0))
    # Close to Wilson away from the edges.
    from workbench.stats import wilson_interval

    assert jeffreys_interval(30, 200)[1] == pytest.approx(wilson_interval(30, 200)[1], abs=0.01)


def test_brier_and_its_skill_by_hand() -> None:
    from workbench.credit._validation import brier, calibration

    y = np.array([0, 0, 1, 0])
    pd_ = np.array([0.1, 0.2, 0.7, 0.0])
    assert brier(y, pd_) == pytest.approx((0.01 + 0.04 + 0.09 + 0.0) / 4)
    c = calibration(y, pd_, reference_rate=0.25)
    ref = (3 * 0.25**2 + 0.75**2) / 4
    assert c["brier_reference"] == pytest.approx(ref)
    assert c["brier_skill"] == pytest.approx(1 - 0.035 / ref)
    assert c["mean_pd"] == pytest.approx(0.25)
    assert calibration(y, np.full(4, 0.25), 0.25)["brier_skill"] == pytest.approx(0.0)


def test_grade_reliability_against_the_pd_bands() -> None:
    """Above band when even the interval's low end exceeds the band (PDs too low),
    below when its high end is under it, within when they meet; empty grades say so."""
    import polars as pl

    from workbench.credit._validation import grade_reliability

    bands = pl.DataFrame({"grade": ["AA", "A", "BBB", "BB"],
                          "pd_low": [0.0, 0.02, 0.05, 0.10], "pd_high": [0.02, 0.05, 0.10, 1.0]})
    grades = ["A"] * 100 + ["BBB"] * 100 + ["BB"] * 400
    y = np.zeros(600)
    y[:15] = 1  # A: 15 % where the band admits 2-5 %
    y[100:107] = 1  # BBB: 7 %, in its band
    # BB: 0 of 400 where the band starts at 10 %
    pd_ = np.r_[np.full(100, 0.03), np.full(100, 0.07), np.full(400, 0.2)]
    t = grade_reliability(y, pd_, grades, bands)
    got = dict(zip(t["grade"], t["assessment"], strict=True))
    assert got == {"AA": "no customers", "A": "above band", "BBB": "within band",
                   "BB": "below band"}
    row = t.filter(pl.col("grade") == "A").row(0, named=True)
    assert (row["customers"], row["defaults"], row["observed_rate"]) == (100, 15, 0.15)
    assert row["ci_low"] > 0.05 and row["rate_in_band"] is False
    assert t.filter(pl.col("grade") == "BBB")["rate_in_band"].item() is True
    # A grade at its band's edge: 2 of 100 in (2 %, 5 %] is not in the band as a point,
    # but its interval meets it.
    edge = grade_reliability(np.r_[np.ones(2), np.zeros(98)], np.full(100, 0.03),
                             ["A"] * 100, bands)
    assert edge.filter(pl.col("grade") == "A")["assessment"].item() == "within band"


def test_flat_features_are_named() -> None:
    import polars as pl

    from workbench.credit._features import FEATURES
    from workbench.credit._validation import flat_features

    dev = pl.DataFrame({f: [1.0, 2.0, None] for f in FEATURES}).with_columns(
        pl.lit(0.0).alias("invoices_12m"), pl.lit(None, pl.Float64).alias("overdue_cny"))
    assert flat_features(dev) == ["invoices_12m", "overdue_cny"]


def test_an_out_of_time_sample_that_is_not_later_raises() -> None:
    import datetime as dt

    import polars as pl

    from workbench.credit._validation import check_time_order

    dev = pl.DataFrame({"label_date": [dt.date(2025, 10, 1)]})
    check_time_order(dev, pl.DataFrame({"feature_date": [dt.date(2025, 10, 1)]}))
    with pytest.raises(ValueError, match=r"out_of_time\.feature_date 2025-07-01 is before "
                                         r"development\.label_date 2025-10-01"):
        check_time_order(dev, pl.DataFrame({"feature_date": [dt.date(2025, 7, 1)]}))

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from workbench.credit import MonotoneBinner, Scorecard


@parametrize_with_checks([MonotoneBinner(), Scorecard()])
def test_sklearn_estimator_contract(estimator, check) -> None:  # noqa: ANN001
    check(estimator)


def _data(n: int = 2000, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    late = rng.gamma(1.5, 10, n)  # riskier when larger
    age = rng.uniform(0, 30, n)  # safer when larger
    noise = rng.normal(size=n)
    logit = -2.5 + 0.06 * late - 0.08 * age
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    age_missing = np.where(rng.random(n) < 0.1, np.nan, age)
    X = pl.DataFrame({"late_days": late, "years": age_missing, "noise": noise})
    return X, y


def test_woe_is_monotone_in_the_bad_rate_direction() -> None:
    X, y = _data()
    b = MonotoneBinner(n_prebins=20).fit(X, y)
    late, years = 0, 1
    assert np.all(np.diff(b.woe_[late]) < 0)  # more days late → lower WoE (riskier)
    assert np.all(np.diff(b.woe_[years]) > 0)  # older → safer
    assert b.direction_[late] == -1 and b.direction_[years] == 1
    table = b.bin_table().filter(pl.col("feature") == "late_days", pl.col("label") != "missing")
    rates = table["bad_rate"].to_list()
    assert rates == sorted(rates)  # bad rate rises bin by bin
    assert b.iv_[late] > b.iv_[2] and b.iv_[years] > b.iv_[2]
    assert b.woe_missing_[years] != 0.0 and b.woe_missing_[late] == 0.0


def test_forced_direction_and_polars_output() -> None:
    X, y = _data()
    b = MonotoneBinner(monotonic="ascending").fit(X.select("late_days"), y)
    assert len(b.woe_[0]) == 1 or np.all(np.diff(b.woe_[0]) > 0)
    out = MonotoneBinner().set_output(transform="polars").fit(X, y).transform(X)
    assert isinstance(out, pl.DataFrame) and out.columns == ["late_days", "years", "noise"]
    assert list(MonotoneBinner().fit(X, y).get_feature_names_out()) == out.columns
    with pytest.raises(ValueError, match="monotonic"):
        MonotoneBinner(monotonic="up").fit(X, y)


def test_woe_formula_on_a_hand_example() -> None:
    X = np.array([[0.0]] * 6 + [[1.0]] * 4)
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1, 1, 1])
    b = MonotoneBinner(n_prebins=2, min_bin_share=0.0, smoothing=0.0).fit(X, y)
    # bin ≤ 0: 5 goods / 1 bad; bin > 0: 1 good / 3 bads; totals 6 goods / 4 bads
    expected = [np.log((5 / 6) / (1 / 4)), np.log((1 / 6) / (3 / 4))]
    np.testing.assert_allclose(b.woe_[0], expected)
    iv = (5 / 6 - 1 / 4) * expected[0] + (1 / 6 - 3 / 4) * expected[1]
    assert b.iv_[0] == pytest.approx(iv)


def test_points_scaling_doubling_the_odds_adds_pdo() -> None:
    X, y = _data()
    card = Scorecard(base_score=600, base_odds=50, pdo=20).fit(X, y)
    pts = card.predict_points(X)
    p_bad = card.predict_proba(X)[:, 1]
    odds = (1 - p_bad) / p_bad
    np.testing.assert_allclose(pts, 600 + 20 * np.log2(odds / 50), rtol=1e-9)
    # Two customers whose odds differ by a factor 2 are pdo points apart.
    i, j = np.argsort(pts)[[10, -10]]
    assert pts[j] - pts[i] == pytest.approx(20 * np.log2(odds[j] / odds[i]))
    # Feature points and the intercept add up to the score.
    np.testing.assert_allclose(card.feature_points(X).sum(axis=1) + card.intercept_points_, pts)
    # Rescaling changes points, not probabilities.
    other = Scorecard(base_score=500, base_odds=20, pdo=40).fit(X, y)
    np.testing.assert_allclose(other.predict_proba(X), card.predict_proba(X))
    np.testing.assert_allclose(other.predict_points(X), 500 + 40 * np.log2(odds / 20), rtol=1e-9)


def test_reason_codes_name_the_costliest_features_first() -> None:
    X, y = _data()
    card = Scorecard(n_reasons=2).fit(X, y)
    lost = card.points_lost(X)
    codes = card.reason_codes(X)
    names = card.feature_names_out()
    for row, lost_row in zip(codes, lost, strict=True):
        assert [lost for _, lost in row] == sorted((v for _, v in row), reverse=True)
        if row:
            assert row[0][0] == names[int(np.argmax(lost_row))]
            assert row[0][1] == pytest.approx(lost_row.max())
    best = pl.DataFrame({"late_days": [0.0], "years": [29.0], "noise": [0.0]})
    worst = pl.DataFrame({"late_days": [200.0], "years": [0.5], "noise": [0.0]})
    assert [n for n, _ in card.reason_codes(worst)[0]] == ["late_days", "years"] or [
        n for n, _ in card.reason_codes(worst)[0]
    ] == ["years", "late_days"]
    assert all(name == "noise" for name, _ in card.reason_codes(best)[0])
    assert card.predict_points(best)[0] > card.predict_points(worst)[0]


def test_coefficients_keep_the_woe_sign_and_the_table_has_points() -> None:
    X, y = _data()
    card = Scorecard(min_iv=0.02).fit(X, y)
    assert np.all(card.coef_ <= 0)  # higher WoE = safer: never a positive coefficient
    assert not card.selected_[2]  # noise has no information value
    table = card.scorecard_table()
    assert {"feature", "label", "woe", "coef", "points"} <= set(table.columns)
    assert table.filter(pl.col("feature") == "noise")["points"].abs().max() == 0


def test_scorecard_is_binary_and_checks_fitted() -> None:
    X, y = _data(200)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        Scorecard().fit(X, np.arange(200) % 3)
    with pytest.raises(NotFittedError):
        Scorecard().predict_points(X)
    card = Scorecard().fit(X, np.where(y == 1, "bad", "good"))
    assert list(card.classes_) == ["bad", "good"]  # classes_[1] ("good") is the modelled class


def _three_bin_table() -> tuple[np.ndarray, np.ndarray]:
    """x = 0, 1, 2 with 40/10, 30/20 and 10/40 goods/bads (bad rate 0.2, 0.4, 0.8)."""
    counts = [(0.0, 40, 10), (1.0, 30, 20), (2.0, 10, 40)]
    x, y = [], []
    for value, goods, bads in counts:
        x += [value] * (goods + bads)
        y += [0] * goods + [1] * bads
    return np.array(x).reshape(-1, 1), np.array(y)


def test_woe_and_iv_against_a_hand_computation_on_three_bins() -> None:
    """Convention: WoE = ln(%good / %bad) per bin (higher = safer),
    IV = Σ (%good − %bad) · WoE. Hand computation with G = 80 goods, B = 70 bads:

    ==== ====== ======== ========= ===================
    bin  %good  %bad     WoE       IV part
    ==== ====== ======== ========= ===================
    x=0  0.500  0.142857  1.252763 0.447415
    x=1  0.375  0.285714  0.271934 0.024280
    x=2  0.125  0.571429 −1.519826 0.678494
    ==== ====== ======== ========= ===================
    IV = 1.150189 ("very strong" by the usual > 0.5 rule).
    """
    X, y = _three_bin_table()
    b = MonotoneBinner(n_prebins=3, min_bin_share=0.0, smoothing=0.0).fit(X, y)
    e0, e1 = b.bin_edges_[0]  # interpolated quantile edges: one value per bin
    assert 0.0 <= e0 < 1.0 <= e1 < 2.0
    np.testing.assert_allclose(b.woe_[0], [1.252763, 0.271934, -1.519826], atol=5e-7)
    assert b.iv_[0] == pytest.approx(1.150189, abs=5e-7)
    table = b.bin_table()
    assert table["count"].to_list() == [50, 50, 50, 0]
    assert table["bads"].to_list() == [10, 20, 40, 0]
    np.testing.assert_allclose(table["iv"].to_list()[:3], [0.447415, 0.024280, 0.678494], atol=5e-7)
    assert b.direction_[0] == -1  # WoE falls as x rises
    # Independent recomputation with plain Python from the counts alone.
    import math

    g, bd = [40, 30, 10], [10, 20, 40]
    woe = [math.log((gi / 80) / (bi / 70)) for gi, bi in zip(g, bd, strict=True)]
    iv = sum((gi / 80 - bi / 70) * w for gi, bi, w in zip(g, bd, woe, strict=True))
    np.testing.assert_allclose(b.woe_[0], woe, rtol=1e-12)
    assert b.iv_[0] == pytest.approx(iv, rel=1e-12)
    # With smoothing a, every bin gets a pseudo-count: ln(((g+a)/(G+3a)) / ((b+a)/(B+3a))).
    a = 0.5
    s = MonotoneBinner(n_prebins=3, min_bin_share=0.0, smoothing=a).fit(X, y)
    expected = [
        math.log(((gi + a) / (80 + 3 * a)) / ((bi + a) / (70 + 3 * a)))
        for gi, bi in zip(g, bd, strict=True)
    ]
    np.testing.assert_allclose(s.woe_[0], expected, rtol=1e-12)
    # transform maps each value to its bin's WoE
    np.testing.assert_allclose(b.transform(np.array([[0.0], [1.0], [2.0], [np.nan]]))[:, 0],
                               [*woe, 0.0], rtol=1e-12)


def test_points_scaling_by_hand() -> None:
    """factor = pdo / ln 2, offset = base_score − factor · ln(base_odds).
    For 600 points at 50:1 and pdo 20: factor = 20 / 0.693147 = 28.853901,
    offset = 600 − 28.853901 · ln 50 (3.912023) = 600 − 112.877124 = 487.122876.
    Odds 50:1 → 600, 100:1 → 620, 25:1 → 580, 1:1 → 487.12."""
    X, y = _three_bin_table()
    card = Scorecard(base_score=600, base_odds=50, pdo=20, n_prebins=3, min_bin_share=0.0).fit(X, y)
    assert card.factor_ == pytest.approx(28.853901, abs=1e-6)
    assert card.offset_ == pytest.approx(487.122876, abs=1e-6)
    cases = ((50, 600.0), (100, 620.0), (25, 580.0), (1, 487.122876), (200, 640.0))
    for odds_good, points in cases:
        log_odds_bad = -np.log(odds_good)
        assert card.offset_ - card.factor_ * log_odds_bad == pytest.approx(points, abs=1e-6)
    # The fitted card follows the same arithmetic row by row.
    d = card.decision_function(X)
    np.testing.assert_allclose(card.predict_points(X), 487.122876 - 28.853901 * d, atol=1e-4)
    # Bin points: −factor · coef · WoE, and they add up with the intercept points.
    np.testing.assert_allclose(
        card.points_[0][:3], -card.factor_ * card.coef_[0] * card.binner_.woe_[0]
    )
    assert card.intercept_points_ == pytest.approx(card.offset_ - card.factor_ * card.intercept_)

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from workbench.credit.scorecard import MonotoneBinner, Scorecard


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

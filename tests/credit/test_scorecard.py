from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from workbench.credit import MonotoneBinner, Scorecard, roc_auc


@parametrize_with_checks(
    [
        MonotoneBinner(),
        Scorecard(),
        # The new options on the checks' numeric arrays: unconstrained bins, a special
        # code that the checks' data contain, a column read as categories.
        MonotoneBinner(monotonic="none", special_values=[0.0], categorical_features=[0]),
        Scorecard(monotonic="none", special_values=[-999.0, "NA"], min_category_count=5),
        Scorecard(categorical_features=[0], special_values=[0.0], min_category_count=5),
    ]
)
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


# --- numeric results kept exactly (numbers from the implementation before categories) ---


def test_numeric_only_results_are_unchanged() -> None:
    X, y = _data()
    card = Scorecard().fit(X, y)
    edges = [
        [2.9207083197, 5.0914709006, 9.164663111, 11.7102820383, 23.363823123, 31.6198129644],
        [2.8657369489, 5.5980214824, 8.9151382192, 12.0300015667, 18.3691606859, 24.3417813073],
        [-1.3156779727, -0.8611001507, 1.2903550557],
    ]
    woe = [
        [1.4560560508, 0.6830670263, 0.550272678, 0.3105601763, 0.0468979825, -0.2494556917,
         -1.3814901143],
        [-0.9420536542, -0.6407603924, -0.5614650671, 0.1228257589, 0.2144772312, 0.2989279377,
         1.0098886848],
        [0.2261830788, 0.1541153473, -0.0352896668, -0.0972583227],
    ]
    for j in range(3):
        np.testing.assert_allclose(card.binner_.bin_edges_[j], edges[j], atol=1e-9)
        np.testing.assert_allclose(card.binner_.woe_[j], woe[j], atol=1e-9)
    np.testing.assert_allclose(card.binner_.woe_missing_, [0.0, 0.5958813542, 0.0], atol=1e-9)
    np.testing.assert_allclose(card.coef_, [-1.0337716908, -1.0285889106, -0.5608979329],
                               atol=1e-8)
    np.testing.assert_allclose(
        card.predict_points(X[:5]),
        [530.45800278, 573.03672358, 600.33879985, 493.7282234, 551.34951204], atol=1e-6,
    )
    assert list(card.binner_.n_bins_) == [8, 8, 5]  # regular bins + missing, no specials
    assert not card.binner_.categorical_.any()


def test_a_feature_missing_in_every_fit_row_scores_nothing_later() -> None:
    """Fix: its empty value bin used to get the smoothing's WoE ln((B + a)/(G + a))
    (−2.18 here) for any value met after fit (e.g. registry facts that exist only
    from a later date; only the regression's ~0 coefficient on a constant column
    kept it out of the points). A bin without fit rows now has WoE 0.
    """
    X, y = _data(500)
    X = X.with_columns(pl.lit(None, dtype=pl.Float64).alias("later"))
    b = MonotoneBinner().fit(X, y)
    assert b.woe_[3].tolist() == [0.0] and b.woe_missing_[3] == 0.0 and b.iv_[3] == 0.0
    assert b.transform(X.with_columns(pl.lit(5.0).alias("later")))[:, 3].tolist() == [0.0] * 500


# --- categorical features --------------------------------------------------------------

RISK = {"retail": -1.0, "it": -0.5, "wholesale": 0.0, "real_estate": 0.6, "construction": 1.2}
SHARES = [0.3, 0.25, 0.2, 0.15, 0.1]


def _cat_data(
    n: int = 20_000, seed: int = 0, signal: bool = True
) -> tuple[pl.DataFrame, np.ndarray]:
    """``industry`` (5 common sections with planted log-odds effects ``RISK``, 20 rare
    codes R00…R19 of ~5 rows each, 5 % missing), ``x`` (numeric, riskier when
    larger; 4 % carry the special code −999, riskier) and a default flag.
    ``signal=False``: the industry says nothing about default.
    """
    rng = np.random.default_rng(seed)
    industry = np.asarray(list(RISK))[rng.choice(5, n, p=SHARES)].astype(object)
    rare = rng.random(n) < 0.005
    industry[rare] = [f"R{i:02d}" for i in rng.integers(0, 20, rare.sum())]
    missing = rng.random(n) < 0.05
    industry[missing] = None
    effect = np.array([RISK.get(c, 2.0) if c is not None else 0.8 for c in industry])
    x = rng.normal(size=n)
    special = rng.random(n) < 0.04
    logit = -2.0 + 0.8 * x + 1.5 * special + (effect if signal else 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pl.DataFrame(
        {"industry": pl.Series(industry.tolist(), dtype=pl.String),
         "x": np.where(special, -999.0, x)}
    )
    return X, y


def _category_woe(b: MonotoneBinner, j: int, categories: list[str | None]) -> np.ndarray:
    X = pl.DataFrame({"industry": pl.Series(categories, dtype=pl.String),
                      "x": np.zeros(len(categories))})
    return b.transform(X)[:, j]


def test_planted_category_signal_is_found_and_scored() -> None:
    X, y = _cat_data()
    b = MonotoneBinner().fit(X, y)
    assert list(b.categorical_) == [True, False]
    assert b.categories_[1] is None and "construction" in b.categories_[0]
    woe = _category_woe(b, 0, list(RISK))
    # Planted effects rise retail < it < wholesale < real_estate < construction: WoE falls.
    assert np.all(np.diff(woe) < 0)
    table = b.bin_table().filter(pl.col("feature") == "industry")
    regular = table.head(len(b.woe_[0]) - 1)  # the bad-rate-ordered bins, before "other"
    assert regular["bad_rate"].to_list() == sorted(regular["bad_rate"].to_list())
    assert np.all(np.diff(b.woe_[0][:-1]) < 0)
    assert b.iv_[0] > 0.1
    card = Scorecard().fit(X, y)
    Xt, yt = _cat_data(seed=1)
    pts = card.predict_points(
        pl.DataFrame({"industry": ["retail", "construction"], "x": [0.0, 0.0]})
    )
    assert pts[0] > pts[1] + 20  # exp(2.2) ≈ 9× the odds: about 60 points at pdo 20
    only_industry = Scorecard().fit(X.select("industry"), y)
    assert roc_auc(yt, only_industry.predict_proba(Xt.select("industry"))[:, 1]) > 0.65


def test_category_without_signal_has_no_weight() -> None:
    X, y = _cat_data(signal=False)
    b = MonotoneBinner().fit(X, y)
    assert b.iv_[0] < 0.02 < b.iv_[1]
    card = Scorecard(min_iv=0.02).fit(X, y)
    assert not card.selected_[0] and card.selected_[1]


def test_unseen_category_scores_as_the_rare_ones() -> None:
    X, y = _cat_data()
    b = MonotoneBinner().fit(X, y)
    other = len(b.woe_[0]) - 1
    assert b.bin_labels(0)[other] == "other (rare or unseen)"
    new = pl.DataFrame({"industry": ["never_seen", "R03", "retail"], "x": [0.0, 0.0, 0.0]})
    idx = b.bin_index(new)[:, 0]
    assert idx[0] == idx[1] == other and idx[2] != other
    w = b.transform(new)[:, 0]
    assert w[0] == w[1] == b.woe_[0][other] < 0  # the rare codes were planted risky
    # With no rare category in fit the other bin is empty: an unseen one scores WoE 0.
    common = ~X["industry"].str.starts_with("R").fill_null(False).to_numpy()
    b2 = MonotoneBinner().fit(X.filter(common), y[common])
    assert b2.counts_[0][0][len(b2.woe_[0]) - 1] == 0
    assert b2.transform(new)[0, 0] == 0.0


def test_missing_category_has_its_own_bin() -> None:
    X, y = _cat_data()
    b = MonotoneBinner().fit(X, y)
    miss = len(b.woe_[0])
    assert b.bin_labels(0)[miss] == "missing"
    n_missing = X["industry"].null_count()
    assert b.bin_table().filter(pl.col("feature") == "industry")["count"][miss] == n_missing
    assert b.woe_missing_[0] < 0  # missing industry was planted riskier
    assert _category_woe(b, 0, [None])[0] == b.woe_missing_[0]
    # No missing value in fit: a missing one later scores the population's odds.
    b2 = MonotoneBinner().fit(X.drop_nulls(), y[X["industry"].is_not_null().to_numpy()])
    assert b2.woe_missing_[0] == 0.0 and _category_woe(b2, 0, [None])[0] == 0.0
    # pandas' None and NaN are missing too.
    Xp = pd.DataFrame({"industry": pd.Series([None, np.nan, "retail"], dtype=object),
                       "x": [0.0, 0.0, 0.0]})
    assert list(b.bin_index(Xp)[:, 0]) == [miss, miss, b.bin_index(Xp[2:])[0, 0]]


def test_rare_categories_are_pooled_below_the_documented_minimum() -> None:
    counts = {"A": 500, "B": 400, "C": 29, "D": 30, "E": 31}  # n = 990: minimum max(30, 9.9)
    rng = np.random.default_rng(3)
    cats = [c for c, k in counts.items() for _ in range(k)]
    X = pl.DataFrame({"c": cats})
    y = (rng.random(len(cats)) < 0.3).astype(int)
    b = MonotoneBinner().fit(X, y)
    other = len(b.woe_[0]) - 1
    idx = dict(zip(cats, b.bin_index(X)[:, 0], strict=True))
    assert idx["C"] == other  # 29 rows < 30: rare
    assert idx["D"] != other and idx["E"] != other  # 30 rows is enough
    # A common category keeps a bin of its own however small its share (D: 3 %).
    assert len({idx["A"], idx["B"], idx["D"], idx["E"]}) == 4
    assert b.counts_[0][0][other] + b.counts_[0][1][other] == 29
    # The share applies when it asks for more: 5 % of 990 = 49.5 rows.
    b = MonotoneBinner(min_category_share=0.05).fit(X, y)
    other = len(b.woe_[0]) - 1
    assert {c for c, i in zip(cats, b.bin_index(X)[:, 0], strict=True) if i == other} == {
        "C", "D", "E"
    }
    with pytest.raises(ValueError, match="min_category_share"):
        MonotoneBinner(min_category_share=1.5).fit(X, y)


def _shapes(n: int = 20_000, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """``up`` raises risk, ``down`` lowers it, ``u`` is riskiest at both ends."""
    rng = np.random.default_rng(seed)
    up, down, u = rng.normal(size=(3, n))
    logit = -2.0 + 0.7 * up - 0.7 * down + 0.8 * (u**2 - 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pl.DataFrame({"up": up, "down": down, "u": u}), y


def test_monotonic_constraint_per_feature() -> None:
    X, y = _shapes()
    b = MonotoneBinner(n_prebins=10).fit(X, y)  # "auto": every feature monotone
    assert list(b.direction_) == [-1, 1, b.direction_[2]] and b.direction_[2] != 0
    assert all(np.all(np.diff(w) * d > 0) for w, d in zip(b.woe_, b.direction_, strict=True))
    forced = MonotoneBinner(monotonic={"up": "ascending", "u": "none"}).fit(X, y)
    w_up, w_down, w_u = forced.woe_
    assert len(w_up) == 1 or np.all(np.diff(w_up) > 0)  # forced against the data: merged
    assert np.all(np.diff(w_down) > 0)  # not named: "auto"
    steps = np.diff(w_u)
    assert (steps > 0).any() and (steps < 0).any()  # "none" keeps the U shape
    assert forced.iv_[2] > b.iv_[2]  # and with it more of the information
    assert list(forced.direction_) == [0 if len(w_up) == 1 else 1, 1, 0]
    card = Scorecard(monotonic={"u": "none"}).fit(X, y)
    assert card.binner_.direction_[2] == 0
    desc = MonotoneBinner(monotonic="descending").fit(X, y)
    assert np.all(np.diff(desc.woe_[0]) < 0) and len(desc.woe_[1]) == 1
    with pytest.raises(ValueError, match=r"unknown feature\(s\) \['upp'\]"):
        MonotoneBinner(monotonic={"upp": "ascending"}).fit(X, y)
    with pytest.raises(ValueError, match="monotonic must be"):
        MonotoneBinner(monotonic={"up": "rising"}).fit(X, y)
    Xc, yc = _cat_data(2000)
    with pytest.raises(ValueError, match="categorical feature 'industry'"):
        MonotoneBinner(monotonic={"industry": "ascending"}).fit(Xc, yc)


def test_special_values_get_bins_of_their_own() -> None:
    X, y = _cat_data()
    is_special = (X["x"] == -999.0).to_numpy()
    b = MonotoneBinner(special_values=[-999, -998]).fit(X, y)
    labels = b.bin_labels(1)
    assert labels[-3:] == ["missing", "special -999", "special -998"]
    assert b.special_values_[1] == (-999.0, -998.0) and b.special_values_[0] == ()
    assert b.bin_edges_[1][0] > -5  # the code does not stretch the regular bins
    idx = b.bin_index(X)[:, 1]
    n_reg = len(b.woe_[1])
    assert np.all(idx[is_special] == n_reg + 1) and np.all(idx[~is_special] < n_reg)
    assert b.woe_special_[1][0] < -0.5  # planted riskier than the rest
    assert b.woe_special_[1][1] == 0.0  # -998 never seen in fit: the population's odds
    new = pl.DataFrame({"industry": ["retail"], "x": [-998.0]})
    assert b.bin_index(new)[0, 1] == n_reg + 2 and b.transform(new)[0, 1] == 0.0
    # Without the code, -999 sits in the lowest bin with the lowest real values.
    plain = MonotoneBinner().fit(X, y)
    low = plain.bin_table().filter(pl.col("feature") == "x")["count"][0]
    assert low > is_special.sum()
    assert b.iv_[1] > plain.iv_[1]
    # Categorical codes by feature: "UNKNOWN" kept apart even though it is rare.
    Xu = X.with_columns(
        pl.when(pl.int_range(pl.len()) < 15).then(pl.lit("UNKNOWN")).otherwise("industry")
        .alias("industry")
    )
    bu = MonotoneBinner(special_values={"industry": ["UNKNOWN"], "x": [-999]}).fit(Xu, y)
    assert bu.bin_labels(0)[-1] == "special UNKNOWN"
    assert bu.counts_[0][0][-1] + bu.counts_[0][1][-1] == 15
    card = Scorecard(special_values=[-999]).fit(X, y)
    assert card.points_[1].shape == (card.binner_.n_bins_[1],)
    for bad in ("abc", {"x": ["abc"]}, [float("nan")]):
        with pytest.raises(ValueError, match="special_values"):
            MonotoneBinner(special_values=bad).fit(X, y)


def _variants(X: pl.DataFrame) -> dict[str, object]:
    cats = sorted(X["industry"].drop_nulls().unique().to_list())
    pdf = X.to_pandas()
    return {
        "polars String": X,
        "polars Categorical": X.with_columns(pl.col("industry").cast(pl.Categorical)),
        "polars Enum": X.with_columns(pl.col("industry").cast(pl.Enum(cats))),
        "pandas object": pdf.assign(industry=pdf["industry"].astype(object)),
        "pandas category": pdf.assign(industry=pdf["industry"].astype("category")),
        "pandas string": pdf.assign(industry=pdf["industry"].astype("string")),
    }


def test_polars_and_pandas_inputs_agree() -> None:
    X, y = _cat_data(5000)
    Xt, _ = _cat_data(2000, seed=1)
    ref = Scorecard(special_values=[-999]).fit(X, y)
    ref_p = ref.predict_proba(Xt)
    test_inputs = _variants(Xt)
    for name, Xv in _variants(X).items():
        card = Scorecard(special_values=[-999]).fit(Xv, y)
        assert card.scorecard_table().equals(ref.scorecard_table()), name
        np.testing.assert_array_equal(card.predict_proba(test_inputs[name]), ref_p)
        assert list(card.feature_names_in_) == ["industry", "x"]
    # A fitted card scores the other library's frame too.
    np.testing.assert_array_equal(ref.predict_proba(Xt.to_pandas()), ref_p)
    # An industry code stored as a number is binned by category when named so.
    Xn = pl.DataFrame({"code": np.where(X["industry"] == "construction", 4110, 5110),
                       "x": X["x"]})
    b = MonotoneBinner(categorical_features=["code"]).fit(Xn, y)
    assert b.categorical_[0] and b.categories_[0] == ["4110", "5110"]
    bn = MonotoneBinner(categorical_features=[0]).fit(Xn.to_numpy(), y)
    np.testing.assert_array_equal(bn.transform(Xn.to_numpy()), b.transform(Xn))


def test_bad_input_is_named() -> None:
    X, y = _cat_data(500)
    with pytest.raises(ValueError, match=r"column 'x' has infinite values in 2 row\(s\).*\[3, 7\]"):
        MonotoneBinner().fit(X.with_columns(
            pl.when(pl.int_range(pl.len()).is_in([3, 7])).then(np.inf).otherwise("x").alias("x")
        ), y)
    dated = X.with_columns(pl.lit(dt.date(2026, 1, 1)).alias("since"))
    with pytest.raises(ValueError, match="column 'since' has dtype Date"):
        Scorecard().fit(dated, y)
    card = Scorecard().fit(X, y)
    with (
        pytest.warns(UserWarning, match="feature names"),
        pytest.raises(ValueError, match="feature 'industry' was categorical in fit"),
    ):
        card.predict(np.array([["retail", 0.0]], dtype=object))
    with pytest.raises(ValueError, match="column 'x' was numeric in fit"):
        card.predict(X.with_columns(pl.col("x").cast(pl.String)))
    with pytest.raises(ValueError, match=r"categorical_features names unknown feature\(s\)"):
        Scorecard(categorical_features=["nope"]).fit(X, y)


def test_categorical_transform_and_reason_codes() -> None:
    X, y = _cat_data(5000)
    b = MonotoneBinner().set_output(transform="polars").fit(X, y)
    out = b.transform(X)
    assert isinstance(out, pl.DataFrame) and out.columns == ["industry", "x"]
    card = Scorecard().fit(X, y)
    worst = pl.DataFrame({"industry": ["construction"], "x": [3.0]})
    names = [n for n, _ in card.reason_codes(worst)[0]]
    assert set(names) == {"industry", "x"}
    table = card.scorecard_table().filter(pl.col("feature") == "industry")
    assert "construction" in " ".join(table["label"].to_list())
    np.testing.assert_allclose(
        card.feature_points(X).sum(axis=1) + card.intercept_points_, card.predict_points(X)
    )


# --- agreement with optbinning ---------------------------------------------------------


# optbinning 1.0.0 uses pandas idioms that pandas 3 deprecates (its warnings, not ours).
@pytest.mark.filterwarnings("ignore:Setting an item of incompatible dtype")
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_agrees_with_optbinning() -> None:
    optbinning = pytest.importorskip("optbinning")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = _cat_data()
    Xt, yt = _cat_data(seed=1)
    ours = Scorecard(special_values=[-999]).fit(X, y)
    process = optbinning.BinningProcess(
        ["industry", "x"], categorical_variables=["industry"], special_codes=[-999.0],
        binning_fit_params={"industry": {"cat_cutoff": 0.01},
                            "x": {"monotonic_trend": "auto_asc_desc"}},
    )
    theirs = make_pipeline(process, LogisticRegression(max_iter=1000)).fit(X.to_pandas(), y)
    # Same convention (WoE = ln(%good / %bad)) and the same order of the sections.
    probe = pl.DataFrame({"industry": list(RISK), "x": np.zeros(5)})
    w_ours = ours.binner_.transform(probe)[:, 0]
    w_theirs = process.transform(probe.to_pandas(), metric="woe")["industry"].to_numpy()
    assert np.all(np.diff(w_ours) < 0) and np.all(np.diff(w_theirs) < 0)
    np.testing.assert_allclose(w_ours, w_theirs, atol=0.01)
    # Similar information values and the same discrimination on fresh rows.
    iv_theirs = process.summary().set_index("name")["iv"].astype(float)
    np.testing.assert_allclose(ours.binner_.iv_, iv_theirs[["industry", "x"]], rtol=0.1)
    auc_ours = roc_auc(yt, ours.predict_proba(Xt)[:, 1])
    auc_theirs = roc_auc(yt, theirs.predict_proba(Xt.to_pandas())[:, 1])
    assert auc_ours >= auc_theirs - 0.005

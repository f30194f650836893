"""Issue #13's statistics: attributes at order time, cells, cross-fitted materiality."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from workbench.attributes import attribute_sets
from workbench.pricing import Settings, order_units
from workbench.pricing._audit import audit
from workbench.pricing._estimator import _build, _prepare, _residuals
from workbench.pricing._materiality import (
    crossfit_effects,
    crossfit_permutation_p,
    crossfit_tests,
    customer_folds,
)
from workbench.pricing._synthetic import ios_sku_mask, synthetic_frames
from workbench.pricing._units import day_cells


def _units(**kw):
    return order_units(synthetic_frames(**kw), "2026-Q3")


def test_tenure_band_is_taken_at_order_time():
    units = _units(seed=3, customers=400, orders=6000)
    frames = synthetic_frames(seed=3, customers=400, orders=6000)
    signup = frames["customers"].select("customer_id", "signup_date").collect()
    u = units.join(signup, on="customer_id")
    # Whole calendar months from signup (always the 15th here) to the order.
    at = u["ordered_at"]
    expected = (
        (at.dt.year() * 12 + at.dt.month()).cast(pl.Int64)
        - (u["signup_date"].dt.year() * 12 + u["signup_date"].dt.month()).cast(pl.Int64)
        - (at.dt.day() < 15).cast(pl.Int64)
    )
    assert (u["tenure_months"] == expected).all()
    # Customers who cross 36 months during the quarter are in two bands, by order date.
    crossing = u.filter(pl.col("tenure_band").is_in(["24-35m", "36m+"])).group_by(
        "customer_id").agg(pl.col("tenure_band").n_unique().alias("bands"),
                           pl.col("ordered_at").filter(pl.col("tenure_band") == "36m+").min()
                           .alias("first_36"),
                           pl.col("ordered_at").filter(pl.col("tenure_band") == "24-35m").max()
                           .alias("last_24"))
    two = crossing.filter(pl.col("bands") == 2)
    assert two.height > 0
    assert (two["last_24"] < two["first_36"]).all()


def test_age_band_is_taken_in_the_year_of_the_order():
    units = _units(seed=3, customers=200, orders=2000)
    frames = synthetic_frames(seed=3, customers=200, orders=2000)
    birth = frames["customers"].select("customer_id", "birth_year").collect()
    u = units.join(birth, on="customer_id")
    age = 2026 - u["birth_year"]  # every order of the quarter is in 2026
    assert u.filter(age.is_between(25, 34))["age_band"].unique().to_list() == ["25-34"]
    assert u.filter(age == 24)["age_band"].unique().to_list() == ["18-24"]


def test_cells_are_iso_weeks_and_days_are_kept():
    units = _units(seed=3, customers=200, orders=3000)
    # 2026-07-01 is a Wednesday: the first window holds Wed 1 – Sun 5 July.
    first = units.filter(pl.col("window") == units["window"].min())
    assert first["ordered_at"].dt.date().max() <= dt.date(2026, 7, 5)
    week = units.group_by("cell").agg(pl.col("ordered_at").dt.week().n_unique().alias("weeks"),
                                      pl.col("sku").n_unique().alias("skus"))
    assert (week["weeks"] == 1).all() and (week["skus"] == 1).all()
    cells = day_cells(units)
    days = units.with_columns(pl.Series("d", cells["cell_ch"])).group_by("d").agg(
        pl.col("day").n_unique(), pl.col("channel").n_unique(), pl.col("sku").n_unique())
    assert (days["day"] == 1).all() and (days["channel"] == 1).all() and (days["sku"] == 1).all()
    assert units.with_columns(pl.Series("d", cells["cell_ch"]))["d"].n_unique() == units.select(
        "sku", "day", "channel").n_unique()


def test_a_cell_of_one_customer_is_not_informative():
    units = pl.DataFrame({
        "cust": [0, 0, 1, 2], "cell": [1, 1, 2, 2], "cell_ch": [1, 1, 2, 2],
        "sku": ["A", "A", "B", "B"], "log_premium": [0.1, 0.0, 0.1, 0.0],
        "device_os": ["ios", "android", "ios", "android"],
    })
    s = Settings(metrics=("log_premium",))
    data = _prepare(units, [("device_os",)], s)
    st = _build(data, ("device_os",), "log_premium", s)
    assert sorted(st.rows.tolist()) == [2, 3]  # cell 1 compares customer 0 with themself
    one = Settings(metrics=("log_premium",), min_cell_customers=1)
    assert _build(data, ("device_os",), "log_premium", one).rows.size == 4


def test_folds_split_customers_in_halves_reproducibly():
    f = customer_folds(1001, seed=3)
    assert abs(int(f.sum()) - 500) <= 1
    assert np.array_equal(f, customer_folds(1001, seed=3))
    assert not np.array_equal(f, customer_folds(1001, seed=4))


def _ios_struct(units: pl.DataFrame, metric: str = "log_premium"):
    s = Settings(metrics=(metric,))
    data = _prepare(units, [("device_os",)], s)
    st = _build(data, ("device_os",), metric, s)
    return data, st, st.labels.index("device_os=ios")


def test_material_effect_recovers_a_premium_on_a_third_of_skus():
    """The all-sku β dilutes a 4 % premium on a third of skus; the cross-fitted
    premium on the affected skus recovers it without the selection's inflation."""
    units = _units(seed=1, ios_premium=0.04, skus=60)
    data, st, ios = _ios_struct(units)
    y = data.metric["log_premium"]
    beta = _residuals(st, y).a[ios] / st.b[ios]
    fold = customer_folds(data.n_cust, 0)
    (effect, picked), = crossfit_effects(st, data, y[st.rows], [ios], fold, 0.05)
    # A shift per cell (the round's residuals instead of the outcome) changes nothing.
    (same, _), = crossfit_effects(st, data, _residuals(st, y).e, [ios], fold, 0.05)
    assert abs(same - effect) < 1e-12
    assert beta < 0.03  # diluted
    assert 0.034 < effect < 0.046  # log(1.04) = 0.039
    assert 0 < picked <= int(ios_sku_mask(60).sum()) + 3


def test_material_effect_has_no_winners_curse_on_clean_data():
    """On clean data the premium on the skus that look significant on all the data
    is positive by construction; measured on the other half of the customers it is
    centred on zero."""
    selected, crossfit = [], []
    for seed in range(6):
        units = _units(seed=200 + seed, customers=600, orders=8000, noise_sd=0.01, skus=60)
        data, st, ios = _ios_struct(units)
        y = data.metric["log_premium"]
        rd = _residuals(st, y)
        from workbench.pricing._estimator import _sku_effects

        se = _sku_effects(st, data, rd, 0.5, only=np.array([ios]))
        top = se.filter(pl.col("z") > 1.0)
        selected.append(float(top["a"].sum() / top["b"].sum()))
        fold = customer_folds(data.n_cust, seed)
        # A liberal selection level, so that each half selects some (noise) skus.
        (effect, _), = crossfit_effects(st, data, rd.e, [ios], fold, 0.5)
        crossfit.append(effect if effect is not None else 0.0)
    assert min(selected) > 0.002  # the winner's curse: noise picked for being high
    assert abs(float(np.mean(crossfit))) < 0.5 * float(np.mean(selected))


def test_flagged_groups_carry_day_level_evidence_and_one_p_value():
    units = _units(seed=1, ios_premium=0.04, customers=800, orders=12000)
    d = audit(units, attribute_sets(["device_os"], False),
              Settings(n_permutations=50, n_placebo=5))
    ios = d.flagged.filter(pl.col("label") == "device_os=ios").row(0, named=True)
    assert ios["beta_day"] > 0 and ios["orders_matched_day"] < ios["n_inf"]
    assert abs(ios["beta_day"] - ios["beta"]) < 4 * max(ios["se_perm_day"], ios["se_perm"])
    assert "customer-clustered (CR1 sandwich)" in ios["p_value_method"]
    assert 0.01 <= ios["material_effect"] and ios["material_skus"] > 0


def _tenure_struct(units: pl.DataFrame):
    s = Settings(metrics=("log_premium",))
    data = _prepare(units, [("tenure_band",)], s)
    st = _build(data, ("tenure_band",), "log_premium", s)
    return data, st, st.labels.index("tenure_band=36m+")


def test_crossfit_test_finds_a_premium_confined_to_few_skus():
    """3 % on 3 of 60 skus: diluted to an all-sku z below any corrected threshold,
    undiluted on the skus the other half of the customers selected."""
    units = _units(seed=11, skus=60, tenure_premium=0.03, tenure_months=36, tenure_skus=3,
                   noise_sd=0.01)
    data, st, g = _tenure_struct(units)
    rd = _residuals(st, data.metric["log_premium"])
    z_all = rd.a[g] / np.sqrt(rd.vperm[g])
    fold = customer_folds(data.n_cust, 0)
    (fit,) = crossfit_tests(st, data, rd.e, [g], fold, 0.05)
    (perm_only,) = crossfit_tests(st, data, rd.e, [g], fold, 0.05, clustered=False)
    assert z_all < 3.0 < 5.0 < fit.z <= perm_only.z  # the clustered sd is never smaller
    assert 0.02 < fit.effect < 0.04  # log(1.03) = 0.0296
    p = crossfit_permutation_p(st, data, rd.e, g, fold, 0.05, 99, np.random.default_rng(1))
    assert p == 0.01  # no shuffle reaches the observed z


def test_crossfit_test_is_calibrated_on_clean_data():
    """No premium: the cross-fitted z stays small (usually no sku is selected at
    all) and its permutation p-value is not small."""
    zs, ps = [], []
    for seed in range(4):
        units = _units(seed=300 + seed, skus=60, noise_sd=0.01)
        data, st, g = _tenure_struct(units)
        rd = _residuals(st, data.metric["log_premium"])
        fold = customer_folds(data.n_cust, seed)
        (fit,) = crossfit_tests(st, data, rd.e, [g], fold, 0.05)
        zs.append(fit.z)
        ps.append(crossfit_permutation_p(st, data, rd.e, g, fold, 0.05, 49,
                                         np.random.default_rng(seed)))
    assert max(zs) < 2.5
    assert min(ps) > 0.05


def test_a_group_is_tested_by_both_statistics_bonferroni():
    from workbench.pricing._multiplicity import two_statistics_p

    p = two_statistics_p(np.array([0.001, 0.3, 0.3, np.nan]), np.array([np.nan, 3.0, -1.0, 2.0]))
    assert p[0] == 0.001  # no cross-fitted statistic: the all-sku p alone
    assert p[1] == pytest.approx(2 * 0.0013499, rel=1e-3)
    assert p[2] == 0.6 and np.isnan(p[3])

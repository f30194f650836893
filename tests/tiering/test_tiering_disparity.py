"""Group disparity: statistics checked against independent computations."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from fairlearn.metrics import MetricFrame, false_negative_rate, selection_rate
from scipy import stats as st

from tests.tiering.conftest import T, assignment, customer, of, orders_for
from workbench.attributes import group_label
from workbench.stats import benjamini_hochberg, bootstrap_ci, rate_difference_test
from workbench.tiering import (
    METRICS,
    age_band,
    analyze,
    fisher_one_sided,
    group_disparity,
    hidden_benefit_rate,
    metric_frame,
    under_tiered_rate,
)

UNDER = METRICS[0]


def synthetic_units(n: int, seed: int, *, gap: float = 0.0, group_share: float = 0.0,
                    base: float = 0.10) -> pl.DataFrame:
    """Customers with realistic attributes; under-tiering at ``base`` for everyone,
    ``base + gap`` for the first ``group_share`` of them (marked ``province=99``)."""
    rng = np.random.default_rng(seed)
    planted = np.arange(n) < int(n * group_share)
    province = np.where(planted, "99", rng.choice([f"{i}" for i in range(11, 20)], n))
    individual = rng.random(n) < 0.8
    gender = np.where(individual, rng.choice(["f", "m"], n), None)
    birth = np.where(individual, rng.integers(1950, 2006, n), None)
    qualifies = rng.random(n) < 0.5
    rate = np.where(planted, base + gap, base)
    return pl.DataFrame(
        {
            "gender": pl.Series(gender.tolist(), dtype=pl.String),
            "birth_year": pl.Series(birth.tolist(), dtype=pl.Int64),
            "province": province.astype(str),
            "customer_type": np.where(individual, "individual", "enterprise"),
            "subsidiary_id": rng.choice(["S1", "S2", "S3", "S4"], n),
            "qualifies_above_lowest": qualifies,
            "is_under_tiered": qualifies & (rng.random(n) < rate),
            "has_hidden_benefit": rng.random(n) < 0.03,
            "benefit_spell": [True] * n,  # one spell per customer: no band changes
        }
    ).with_columns(age_band(pl.col("birth_year"), 2026).alias("age_band"))


# ------------------------------------------------------------ hand-computed case
def test_hand_computed_small_case() -> None:
    # f: 6 of 10 qualifying under-tiered; m: 2 of 10. One non-qualifying each.
    units = pl.DataFrame({
        "gender": ["f"] * 11 + ["m"] * 11,
        "qualifies_above_lowest": ([True] * 10 + [False]) * 2,
        "is_under_tiered": [True] * 6 + [False] * 5 + [True] * 2 + [False] * 9,
        "has_hidden_benefit": [False] * 22,
        "benefit_spell": [True] * 22,
    })
    t = group_disparity(units, attributes=["gender"], intersections=False, min_group_size=5,
                        min_difference=0.05, n_bootstrap=500, seed=1)
    f = t.filter((pl.col("group") == "gender=f") & (pl.col("metric") == "under_tiered_rate"))
    row = f.row(0, named=True)
    assert (row["n_group"], row["k_group"], row["n_rest"], row["k_rest"]) == (10, 6, 10, 2)
    assert row["rate_group"] == pytest.approx(0.6) and row["rate_rest"] == pytest.approx(0.2)
    assert row["difference"] == pytest.approx(0.4) and row["ratio"] == pytest.approx(3.0)
    assert row["favourable_ratio"] == pytest.approx(0.4 / 0.8)
    assert row["four_fifths_breach"] is True
    # Fisher exact one-sided by hand: P(X ≥ 6), X ~ Hypergeom(20, 8, 10)
    by_hand = sum(st.hypergeom.pmf(x, 20, 8, 10) for x in range(6, 9))
    assert row["p_value"] == pytest.approx(by_hand)
    assert row["p_value"] == pytest.approx(rate_difference_test(6, 10, 2, 10))
    assert row["difference_ci_low"] < 0.4 < row["difference_ci_high"]
    # one-sided: the better-off group is never flagged, its p-value is large
    m = t.filter((pl.col("group") == "gender=m") & (pl.col("metric") == "under_tiered_rate"))
    assert m["p_value"][0] > 0.9 and not m["flagged"][0]
    # fairlearn agrees
    assert row["rate_group_metricframe"] == pytest.approx(0.6)
    # hidden benefits: nobody got any, nothing to judge
    assert not t.filter(pl.col("metric") == "hidden_benefit_rate")["flagged"].any()


def test_fisher_vectorised_equals_rate_difference_test() -> None:
    rng = np.random.default_rng(3)
    n1, n0 = rng.integers(1, 300, 40), rng.integers(1, 300, 40)
    k1, k0 = rng.integers(0, n1 + 1), rng.integers(0, n0 + 1)
    ours = fisher_one_sided(k1, n1, k0, n0)
    ref = [rate_difference_test(int(a), int(b), int(c), int(d)) for a, b, c, d in
           zip(k1, n1, k0, n0, strict=True)]
    assert np.allclose(ours, ref, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- fairlearn checks
def test_metric_callables_equal_fairlearns() -> None:
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    w = rng.integers(1, 5, 200)
    assert under_tiered_rate(y_true, y_pred) == pytest.approx(false_negative_rate(y_true, y_pred))
    assert under_tiered_rate(y_true, y_pred, w) == pytest.approx(
        false_negative_rate(y_true, y_pred, sample_weight=w))
    assert hidden_benefit_rate(y_true, y_pred, w) == pytest.approx(
        selection_rate(y_true, y_pred, sample_weight=w))
    assert np.isnan(under_tiered_rate(np.zeros(3), np.zeros(3)))


def test_metricframe_by_group_equals_polars_rates() -> None:
    units = synthetic_units(4_000, seed=11, gap=0.1, group_share=0.2)
    t = group_disparity(units, min_group_size=50, n_bootstrap=0)
    tested = t.filter(pl.col("tested"))
    assert tested.height > 100
    assert tested["rate_group_metricframe"].is_not_nan().all()
    assert np.allclose(tested["rate_group"].to_numpy(), tested["rate_group_metricframe"].to_numpy())
    # the weighted, collapsed MetricFrame equals a plain per-customer MetricFrame
    label = group_label(("gender", "province"))
    df = units.select(label.alias("g"), "qualifies_above_lowest", "is_under_tiered").drop_nulls()
    plain = MetricFrame(
        metrics=false_negative_rate,
        y_true=df["qualifies_above_lowest"].to_numpy().astype(int),
        y_pred=(~df["is_under_tiered"]).to_numpy().astype(int),
        sensitive_features=df["g"].to_numpy(),
    ).by_group
    ours = metric_frame(units, UNDER, label).by_group["under_tiered_rate"]
    assert np.allclose(plain.sort_index().to_numpy(), ours.sort_index().to_numpy())
    # and the polars counts
    counts = (df.filter(pl.col("qualifies_above_lowest")).group_by("g")
              .agg(pl.col("is_under_tiered").mean()).sort("g"))
    assert np.allclose(counts["is_under_tiered"].to_numpy(), ours.sort_index().to_numpy())


def test_bh_is_applied_across_all_tested_groups_and_metrics() -> None:
    units = synthetic_units(3_000, seed=2)
    t = group_disparity(units, min_group_size=100, n_bootstrap=0)
    tested = t.filter(pl.col("tested"))
    assert tested.height == t["p_value"].is_not_nan().sum()
    assert tested["metric"].n_unique() == 2
    q = benjamini_hochberg(tested["p_value"].to_numpy())
    assert np.allclose(q, tested["q_value"].to_numpy())
    assert t.filter(~pl.col("tested"))["q_value"].is_nan().all()


def test_poisson_cell_bootstrap_agrees_with_a_customer_bootstrap() -> None:
    units = synthetic_units(3_000, seed=4, gap=0.1, group_share=0.3)
    t = group_disparity(units, attributes=["province"], intersections=False,
                        min_group_size=50, n_bootstrap=2_000, seed=0)
    row = t.filter((pl.col("group") == "province=99")
                   & (pl.col("metric") == "under_tiered_rate")).row(0, named=True)
    pop = units.filter(pl.col("qualifies_above_lowest"))
    in_g = (pop["province"] == "99").to_numpy()
    y = pop["is_under_tiered"].to_numpy().astype(float)

    def diff(idx: np.ndarray) -> float:
        g, yy = in_g[idx], y[idx]
        return yy[g].mean() - yy[~g].mean()

    ref = bootstrap_ci(diff, np.arange(pop.height), n_resamples=2_000, seed=1)
    assert row["difference"] == pytest.approx(ref.estimate)
    assert row["difference_ci_low"] == pytest.approx(ref.low, abs=0.01)
    assert row["difference_ci_high"] == pytest.approx(ref.high, abs=0.01)


# --------------------------------------------------------------- flagging policy
def test_planted_gap_is_found_and_nothing_else() -> None:
    units = synthetic_units(6_000, seed=8, gap=0.10, group_share=0.2)  # ~600 qualifying
    t = group_disparity(units, n_bootstrap=200)
    flagged = t.filter(pl.col("flagged"))
    assert flagged["group"].to_list() == ["province=99"]
    # its intersections are significant too, but explained by province=99
    explained = t.filter(pl.col("significant") & ~pl.col("flagged"))
    assert (explained["explained_by"] == "province=99").all()


def test_small_groups_are_never_flagged() -> None:
    units = synthetic_units(3_000, seed=9, gap=0.6, group_share=0.05)  # ~75 qualifying
    t = group_disparity(units, min_group_size=100, n_bootstrap=0)
    row = t.filter((pl.col("group") == "province=99") & (pl.col("metric") == UNDER.name))
    assert row["n_group"][0] < 100 and not row["tested"][0] and not row["flagged"][0]
    assert not t["flagged"].any()
    assert group_disparity(units, min_group_size=50, n_bootstrap=0)["flagged"].any()


def test_better_treated_group_is_not_flagged() -> None:
    units = synthetic_units(6_000, seed=8, gap=-0.09, group_share=0.2)
    t = group_disparity(units, n_bootstrap=0)
    assert not t["flagged"].any()


def test_small_difference_is_not_flagged_even_if_significant() -> None:
    units = synthetic_units(60_000, seed=8, gap=0.03, group_share=0.3)
    t = group_disparity(units, attributes=["province"], intersections=False, n_bootstrap=0)
    row = t.filter((pl.col("group") == "province=99") & (pl.col("metric") == UNDER.name))
    assert row["q_value"][0] < 0.05 and not row["flagged"][0]
    lower = group_disparity(units, attributes=["province"], intersections=False,
                            n_bootstrap=0, min_difference=0.02)
    assert lower.filter(pl.col("group") == "province=99")["flagged"].any()


@pytest.mark.parametrize("seed", range(20))
def test_no_group_flagged_on_clean_data(seed: int) -> None:
    """~400 (group, metric) tests per seed, none flagged. BH bounds the chance of any
    false flag on clean data by alpha = 5 % per run; measured 1.5 % (3 of 200 seeds,
    see the next test), so these 20 seeds are a regression check, not a proof."""
    units = synthetic_units(5_000, seed=seed)
    t = group_disparity(units, n_bootstrap=0, use_metricframe=False)
    assert not t["flagged"].any(), t.filter(pl.col("flagged"))["group"].to_list()


def test_false_alarm_rate_on_clean_data_is_below_alpha() -> None:
    runs = 200
    alarms = sum(
        bool(group_disparity(synthetic_units(5_000, seed=1_000 + s), n_bootstrap=0,
                             use_metricframe=False)["flagged"].any())
        for s in range(runs)
    )
    assert alarms / runs <= 0.05


def test_intersection_labels_are_alphabetical() -> None:
    units = synthetic_units(2_000, seed=1)
    t = group_disparity(units, attributes=["province", "gender"], min_group_size=1,
                        n_bootstrap=0, use_metricframe=False)
    pairs = t.filter(pl.col("attributes").str.contains("&"))["group"].unique().to_list()
    assert pairs and all(g.startswith("gender=") and "&province=" in g for g in pairs)
    assert "age_band=25-34" in group_disparity(
        units, attributes=["age_band"], min_group_size=1, n_bootstrap=0)["group"].to_list()


# --------------------------------------------------- through analyze, from frames
def test_analyze_finds_a_planted_ten_point_gap_from_frames(make_frames) -> None:
    """3,000 customers, 1,500 of them core buyers; ~600 of those women in province 44.
    Under-tiering: 10 % for everyone, 20 % for the women of province 44."""
    rng = np.random.default_rng(0)
    n = 3_000
    customers, orders, assign = [], [], []
    at = T(2026, 9, 30, 23, 59, 59)
    for i in range(n):
        cid = f"C{i:05d}"
        qualifies = i < 1_500
        planted = i < 600
        customers.append(customer(
            cid,
            gender="f" if planted else rng.choice(["f", "m"]),
            province="44" if planted else rng.choice(["11", "31", "33"]),
            birth_year=int(rng.integers(1950, 2005)),
            subsidiary_id=rng.choice(["S1", "S2"]),
        ))
        if qualifies:
            orders += orders_for(cid, 8, 700.0, T(2026, 1, 5))
            under = rng.random() < (0.20 if planted else 0.10)
            assign.append(assignment(cid, "standard" if under else "core", at))
        else:
            assign.append(assignment(cid, "standard", at))
    r = analyze(make_frames(customers=customers, orders=orders, tier_assignments=assign),
                "2026-Q3", n_bootstrap=200)
    found = of(r, "tier_disparity")
    # province=44 holds exactly the planted women, so gender=f&province=44 is the
    # same group (judged once); gender=f is explained by it
    assert found["entity_id"].to_list() == ["province=44"]
    explained = r.tables["disparity"].filter(pl.col("significant") & ~pl.col("flagged"))
    assert set(explained["explained_by"]) <= {"province=44"}
    d = __import__("json").loads(found["detail"][0])
    assert d["metrics"][0]["metric"] == "under_tiered_rate"
    assert d["metrics"][0]["n_group"] >= 500
    assert d["metrics"][0]["rate_group"] - d["metrics"][0]["rate_rest"] >= 0.05
    fig = r.figures["disparity_forest"]
    drawn = [t for t in fig.data if any(v is not None for v in t.x)]  # not the legend keys
    assert len(drawn) == 2


def test_row_quantiles_equal_numpy_nanquantile() -> None:
    from workbench.tiering._stats import row_quantiles

    rng = np.random.default_rng(0)
    d = rng.normal(size=(30, 999))
    d[3, :10] = np.nan
    d[4, :5] = np.inf
    d[5, 1:] = np.nan  # one finite value: no interval
    lo, hi = row_quantiles(d, 0.025, 0.975)
    ref = np.nanquantile(np.where(np.isfinite(d), d, np.nan), [0.025, 0.975], axis=1)
    ok = np.arange(30) != 5
    assert np.allclose(lo[ok], ref[0][ok]) and np.allclose(hi[ok], ref[1][ok])
    assert np.isnan(lo[5]) and np.isnan(row_quantiles(np.empty((2, 0)), 0.5)[0]).all()

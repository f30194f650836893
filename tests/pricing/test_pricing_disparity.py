"""The matched audit on cheap synthetic frames: planted premiums, clean data, confounding."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import plotly.graph_objects as go
import polars as pl
import pytest

from workbench.pricing import (
    REFUND_COLUMNS,
    Settings,
    analyze,
    matched_metric_frame,
    model_check,
    order_units,
    permutation_p,
    write_refund_lists,
)
from workbench.pricing._estimator import _set_stats
from workbench.pricing._synthetic import ios_sku_mask, sku_ids, synthetic_frames, tenure_sku_mask

FAST = {"n_permutations": 100, "n_placebo": 10, "model_check": False}
IOS, TENURE = 0.04, 0.03


@pytest.fixture(scope="module")
def planted():
    fr = synthetic_frames(seed=1, ios_premium=IOS, tenure_premium=TENURE, tenure_months=36)
    return analyze(fr, "2026-Q3", intersections=False, **FAST)


def disparity_ids(res) -> list[str]:
    return sorted(res.findings.filter(pl.col("rule") == "price_disparity")["entity_id"].to_list())


def test_planted_premiums_are_found_and_nothing_else(planted):
    # channel=app carries most iOS orders: an echo, removed by the stepwise audit.
    assert disparity_ids(planted) == ["device_os=ios", "tenure_band=36m+"]
    echoes = planted.tables["groups"].filter(pl.col("echo_of").is_not_null())
    assert "channel=app" in echoes["group"].to_list()


def test_tenure_of_24_months_and_more_flags_both_bands_above_24_months():
    fr = synthetic_frames(
        seed=4, customers=1000, orders=15000, tenure_premium=TENURE, tenure_months=24
    )
    res = analyze(
        fr,
        "2026-Q3",
        intersections=False,
        attributes=("tenure_band", "device_os", "gender"),
        **FAST,
    )
    assert disparity_ids(res) == ["tenure_band=24-35m", "tenure_band=36m+"]


@pytest.mark.parametrize(
    ("group", "effect", "mask"),
    [
        ("device_os=ios", IOS, ios_sku_mask(40)),
        ("tenure_band=36m+", TENURE, tenure_sku_mask(40, 8)),
    ],
)
def test_planted_effect_has_the_right_sign_and_size_within_its_interval(
    planted, group, effect, mask
):
    row = (
        planted.tables["groups"]
        .filter((pl.col("group") == group) & (pl.col("metric") == "log_premium"))
        .row(0, named=True)
    )
    assert row["beta"] > 0 and row["flagged"]
    # The all-sku β is the planted log-premium diluted by the b-weight the planted skus carry.
    skus = planted.tables["group_sku_effects"].filter(
        (pl.col("label") == group) & (pl.col("metric") == "log_premium")
    )
    on = skus["sku"].is_in([s for s, m in zip(sku_ids(40), mask, strict=True) if m])
    expected = np.log1p(effect) * float(skus.filter(on)["b"].sum() / skus["b"].sum())
    assert row["ci_low"] <= expected <= row["ci_high"]
    # On the affected skus the premium is the planted one.
    assert row["affected_effect"] == pytest.approx(np.log1p(effect), abs=0.004)
    detail = json.loads(planted.findings.filter(pl.col("entity_id") == group)["detail"].item())
    found = {s["sku"] for s in detail["affected_skus"]}
    planted_skus = {s for s, m in zip(sku_ids(40), mask, strict=True) if m}
    assert found and found <= planted_skus


def test_money_refunds_mitigation_model_and_figures(planted, tmp_path):
    f = planted.findings.filter(pl.col("rule") == "price_disparity")
    ios = planted.tables["orders"].filter(pl.col("device_os") == "ios")
    amount = f.filter(pl.col("entity_id") == "device_os=ios")["amount_cny"].item()
    assert 0 < amount <= round(float(ios["overcharge_cny"].sum()), 2)
    refunds = planted.tables["refunds"]
    assert tuple(refunds.columns) == REFUND_COLUMNS
    assert refunds.select(pl.struct("customer_id", "subsidiary_id").is_unique().all()).item()
    paths = write_refund_lists(refunds, tmp_path)
    assert {p.name for p in paths} == {
        f"refunds_{s}.csv" for s in refunds["subsidiary_id"].unique()
    }
    assert pl.read_csv(paths[0], schema_overrides={"subsidiary_id": pl.String}).columns == list(
        REFUND_COLUMNS
    )
    mit = planted.tables["mitigation"].filter(pl.col("group") == "device_os=ios")
    assert abs(mit["beta_after"].item()) < 0.25 * mit["beta_before"].item()
    assert all(isinstance(fig, go.Figure) for fig in planted.figures.values())
    assert {
        "premium_distribution",
        "forest",
        "sku_heatmap",
        "overcharge_by_subsidiary",
        "refund_exposure",
        "mitigation",
    } <= set(planted.figures)


def test_model_check_sees_the_audited_attributes():
    fr = synthetic_frames(seed=1, customers=600, orders=8000, ios_premium=IOS)
    summary, imp = model_check(
        order_units(fr, "2026-Q3"),
        ["device_os", "gender", "province"],
        seed=0,
        max_rows=6000,
        n_repeats=2,
    )
    assert summary["rmse"][1] < summary["rmse"][0]
    assert imp["attribute"][0] == "device_os" and imp["importance_mean"][0] > 0


@pytest.mark.parametrize("seed", range(20))
def test_clean_data_raises_no_price_disparity(seed):
    fr = synthetic_frames(seed=100 + seed, customers=600, orders=8000)
    res = analyze(fr, "2026-Q3", intersections=False, seed=seed, **FAST)
    assert disparity_ids(res) == []


def test_a_group_paying_more_only_through_published_factors_is_not_flagged():
    fr = synthetic_frames(seed=5, confounded=True)
    res = analyze(fr, "2026-Q3", intersections=False, **FAST)
    u = res.tables["orders"]
    # Raw prices: Android users pay more relative to list price (no tier discount, no promotion) ...
    raw = u.group_by(pl.col("device_os") == "android").agg(
        (pl.col("charged_price") / pl.col("list_price")).mean()
    )
    by = dict(raw.rows())
    assert by[True] > by[False] + 0.02
    # ... which the published factors explain entirely.
    assert disparity_ids(res) == []
    row = res.tables["groups"].filter(
        (pl.col("group") == "device_os=android") & (pl.col("metric") == "log_premium")
    )
    assert abs(row["beta"].item()) < 0.003


def test_polars_matched_estimate_agrees_with_metricframe():
    fr = synthetic_frames(seed=2, customers=400, orders=5000, ios_premium=0.04)
    u = order_units(fr, "2026-Q3").with_columns(pl.lit(0.0).alias("adj_log_premium"))
    st = _set_stats(u, ("device_os",), "log_premium", Settings())
    ours = {r["label"]: r["a"] / r["b"] for r in st.groups.iter_rows(named=True) if r["b"] > 0}
    mf = matched_metric_frame(u, ["device_os"], "log_premium", "cell_ch")
    theirs = {str(k): float(v) for k, v in mf.by_group.items()}
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_group_metric_frame_matches_polars_means(planted):
    mf = planted.tables["metric_frame"].filter(pl.col("attribute") == "device_os")
    u = planted.tables["orders"].filter(pl.col("device_os").is_not_null())
    direct = u.group_by(pl.format("device_os={}", "device_os").alias("group")).agg(
        pl.col("log_premium").mean(),
        pl.col("is_unexplained").mean(),
        pl.col("overcharge_cny").sum(),
        pl.len(),
    )
    j = mf.join(direct, on="group")
    assert j["mean_log_premium"].to_list() == pytest.approx(j["log_premium"].to_list())
    assert j["share_above_tolerance"].to_list() == pytest.approx(j["is_unexplained"].to_list())
    assert j["overpaid_cny"].to_list() == pytest.approx(j["overcharge_cny"].to_list(), abs=0.01)
    assert j["orders"].to_list() == j["len"].to_list()


def test_permutation_variance_matches_monte_carlo():
    rng = np.random.default_rng(3)
    cells = np.repeat(np.arange(300), 5)
    member = (rng.random(cells.size) < 0.4).astype(int)
    y = rng.normal(0, 0.01, cells.size)
    e = y - np.bincount(cells, y)[cells] / 5
    n_g = np.bincount(cells, member)
    v = np.sum(n_g * (5 - n_g) / (5 * 4) * np.bincount(cells, e**2))
    sims = []
    for _ in range(400):
        key = cells + rng.random(cells.size)
        sims.append(float((member[np.argsort(key)] * e).sum()))
    assert np.std(sims) == pytest.approx(np.sqrt(v), rel=0.12)
    assert permutation_p(cells, member, e, 10.0, 50, rng) == pytest.approx(1 / 51)


# ------------------------------------------------------------ the audit's numerical engine
def _reference_sums(cells, col, e, n_cols, draws, rng):
    """Σ e over each column's images under within-cell shuffles, by the argsort of
    uniform keys (the earlier implementation), ``draws`` × n_cols."""
    out = np.empty((draws, n_cols))
    for d in range(draws):
        lab = col[np.argsort(cells + rng.random(cells.size))]
        out[d] = [e[lab == j].sum() for j in range(n_cols)]
    return out


def _exceedance(cstart, col, e, thresholds, n_cols, draws, seed):
    """Share of shuffles with Σ ≥ each threshold (thresholds: per column a list)."""
    from workbench.pricing._permutations import _permutation_hits

    obs = np.full((len(thresholds[0]), n_cols), np.inf)
    rows = []
    for j in range(n_cols):
        o = obs.copy()
        o[:, j] = thresholds[j]
        rows.append(
            _permutation_hits(
                cstart, col, [e] * len(thresholds[j]), o, draws, np.random.default_rng(seed)
            )[:, j]
        )
    return np.array(rows) / draws


def test_permutation_engine_matches_the_exact_distribution_on_small_cells():
    from itertools import permutations, product

    # three cells of 3, 4, 5 orders; two tested groups sharing the middle cell
    e = np.array([0.3, -0.1, -0.2, 0.5, 0.1, -0.4, -0.2, 0.2, 0.1, -0.3, 0.4, -0.4])
    col = np.array([0, -1, -1, 0, 1, -1, -1, 1, 1, -1, -1, -1])
    cstart = np.array([0, 3, 7, 12])
    stats = []  # exact: every combination of permutations of the three cells
    for p0, p1, p2 in product(
        permutations(range(3)), permutations(range(4)), permutations(range(5))
    ):
        lab = np.concatenate([col[0:3][list(p0)], col[3:7][list(p1)], col[7:12][list(p2)]])
        stats.append([e[lab == 0].sum(), e[lab == 1].sum()])
    stats = np.array(stats)
    thresholds = [np.quantile(stats[:, j], [0.1, 0.5, 0.9]) for j in range(2)]
    exact = np.array([[(stats[:, j] >= t - 1e-12).mean() for t in thresholds[j]] for j in range(2)])
    mc = _exceedance(cstart, col, e, thresholds, 2, 20_000, seed=1)
    assert mc == pytest.approx(exact, abs=0.015)


def test_permutation_engine_matches_argsort_shuffles_on_every_path():
    rng = np.random.default_rng(42)
    # small cells (tables), large one-group cells (selection sampling), large mixed
    # cells with few members (injection) and with many (argsort), cells above 4096
    sizes = np.concatenate([rng.integers(2, 9, 150), rng.integers(9, 60, 40), [4200]])
    cstart = np.concatenate([[0], np.cumsum(sizes)])
    cells = np.repeat(np.arange(len(sizes)), sizes)
    col = np.full(cstart[-1], -1)
    for c, (a, b) in enumerate(pairwise(cstart)):
        r = rng.random(b - a)
        if b - a > 8 and c % 3 == 0:
            col[a:b][r < 0.6] = 0
        elif b - a > 8 and c % 3 == 1:
            col[a:b][r < 0.4] = 1
            col[a:b][(r >= 0.4) & (r < 0.8)] = 2
        else:
            col[a:b][r < 0.1] = 0
            col[a:b][(r >= 0.1) & (r < 0.15)] = 1
            col[a:b][(r >= 0.15) & (r < 0.2)] = 2
    y = rng.normal(size=cstart[-1])
    e = y - (np.bincount(cells, y) / sizes)[cells]
    ref = _reference_sums(cells.astype(float), col, e, 3, 3000, rng)
    thresholds = [np.quantile(ref[:, j], [0.05, 0.5, 0.95]) for j in range(3)]
    mc = _exceedance(cstart, col, e, thresholds, 3, 6000, seed=3)
    assert mc == pytest.approx(np.tile([0.95, 0.5, 0.05], (3, 1)), abs=0.03)


def test_subset_and_injection_samplers_are_uniform():
    from workbench.pricing._permutations import _inject, _subset_sums

    rng = np.random.default_rng(0)
    # one cell of 10 orders, 3 taken: each order is in the subset with probability 3/10
    e = np.eye(10)
    sums = _subset_sums(rng, 20_000, np.array([0]), np.array([10]), np.array([3]), list(e))
    picked = np.stack([s[:, 0] for s in sums], axis=1)
    assert set(picked.sum(axis=1)) == {3.0}
    assert picked.mean(axis=0) == pytest.approx(np.full(10, 0.3), abs=0.015)
    # four items into a cell of 9 slots: distinct slots, each item uniform over the 9
    slots = _inject(rng, 20_000, np.full(4, 9), np.zeros(4, np.int64), 9)
    assert all(len(set(r)) == 4 for r in slots[:2000])
    assert np.bincount(slots[:, 2], minlength=9) / 20_000 == pytest.approx(
        np.full(9, 1 / 9), abs=0.012
    )


def test_clustered_se_is_the_limit_of_a_customer_bootstrap():
    """The CR1 sandwich against 4,000 Poisson-weighted customer replicates of the
    same ratio (cell means held fixed, as the bootstrap it replaced did), on data
    where some customers always pay more (so clustering matters: the sandwich is
    well above the permutation se, which treats orders as independent)."""
    from workbench.pricing._cluster import _contrasts, clustered_se
    from workbench.pricing._estimator import Settings, _build, _prepare, _residuals

    units = order_units(synthetic_frames(seed=4, customers=600, orders=12_000, noise_sd=0.01),
                        "2026-Q3")
    rng = np.random.default_rng(0)
    personal = rng.normal(0, 0.02, units["customer_id"].n_unique())
    codes = units["customer_id"].cast(pl.Categorical).to_physical().to_numpy()
    units = units.with_columns(pl.col("log_premium") + pl.Series(personal[codes]))
    s = Settings(metrics=("log_premium",))
    data = _prepare(units, [("device_os",)], s)
    st = _build(data, ("device_os",), "log_premium", s)
    rd = _residuals(st, data.metric["log_premium"])
    groups = np.flatnonzero(st.testable)
    num, den = _contrasts(st, data, rd.e, groups), _contrasts(st, data, None, groups)
    se = clustered_se(num, den)
    w = rng.poisson(1.0, size=(data.n_cust, 4_000)).astype(np.float64)
    draws = (num @ w) / (den @ w)
    assert se == pytest.approx(draws.std(axis=1, ddof=1), rel=0.06)
    se_perm = np.sqrt(rd.vperm[groups]) / st.b[groups]
    assert (se > 1.5 * se_perm).any()  # the personal price levels: clustering matters


def test_clustered_se_restricted_to_groups_that_can_pass_changes_no_decision(monkeypatch):
    import workbench.pricing._round as rnd

    fr = synthetic_frames(seed=1, ios_premium=IOS, tenure_premium=TENURE, tenure_months=36)
    kw = FAST
    lean = analyze(fr, "2026-Q3", **kw)
    # The clustered se of every tested group.
    monkeypatch.setattr(
        rnd,
        "_se_targets",
        lambda table, settings: table.select(rnd._tested(settings)).to_series().to_numpy(),
    )
    full = analyze(fr, "2026-Q3", **kw)
    assert lean.findings.drop("finding_id", strict=False).equals(
        full.findings.drop("finding_id", strict=False)
    )
    key = ["attribute", "group", "metric"]
    a, b = lean.tables["groups"], full.tables["groups"]
    assert a.select(*key, "candidate", "flagged", "echo_of").equals(
        b.select(*key, "candidate", "flagged", "echo_of")
    )
    passing = b.filter(pl.col("p_adj") < 0.05).select(*key)
    cols = ["beta", "z", "p", "p_adj", "ci_low", "ci_high", "se_cluster", "placebo_floor"]
    x = a.join(passing, on=key).sort(key).select(cols).to_numpy()
    y = b.join(passing, on=key).sort(key).select(cols).to_numpy()
    assert passing.height and np.allclose(x, y, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_cantelli_bound_dominates_the_exact_permutation_p_value():
    """The bound that replaces Monte Carlo for clearly significant groups is never
    below the exact permutation p-value (full enumeration of every within-cell
    permutation), for any observed statistic, with the audit's exact variance."""
    from itertools import permutations, product

    from workbench.pricing._permutations import cantelli_p

    rng = np.random.default_rng(11)
    sizes = (3, 4, 4, 3)
    cells = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    for trial in range(5):
        y = rng.standard_t(2, cells.size)  # heavy tails: no normality to lean on
        e = y - (np.bincount(cells, y) / np.array(sizes))[cells]
        member = np.zeros(cells.size, dtype=int)
        for c, n in enumerate(sizes):
            member[starts[c] + rng.choice(n, size=1 + (trial + c) % (n - 1), replace=False)] = 1
        n_g = np.bincount(cells, member)
        vperm = float(
            np.sum(
                n_g
                * (np.array(sizes) - n_g)
                / (np.array(sizes) * (np.array(sizes) - 1))
                * np.bincount(cells, e**2)
            )
        )
        stats = np.array(
            [
                sum(
                    e[starts[c] : starts[c + 1]][
                        member[starts[c] : starts[c + 1]][list(p)] == 1
                    ].sum()
                    for c, p in enumerate(ps)
                )
                for ps in product(*(permutations(range(n)) for n in sizes))
            ]
        )
        assert stats.mean() == pytest.approx(0.0, abs=1e-9) and stats.var() == pytest.approx(
            vperm, rel=1e-9
        )
        for t in np.quantile(stats[stats > 0], [0.0, 0.5, 0.9, 0.99, 1.0]):
            exact = float((stats >= t - 1e-12).mean())
            assert cantelli_p(np.array([t]), np.array([vperm]))[0] >= exact - 1e-12, (
                trial,
                t,
                exact,
            )

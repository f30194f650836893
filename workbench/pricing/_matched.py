"""Matched comparison: does a group pay more for the same sku at the same time?

Unit of comparison
    A *cell* is sku × time window (``window_days``, counted from the period start)
    × channel (when ``cell_includes_channel``; never when the audited attribute
    set contains ``channel`` itself). Only cells holding at least two groups of
    the audited attribute set carry information; orders whose attribute is
    unknown are left out of that attribute's comparison.

Outcome
    ``log_premium`` = log(charged / explained) of the unit price, and
    ``log_net_premium`` = log((charged × q − coupon) / (explained × q)), the
    price paid after coupons. Both are 0 when the published factors explain the
    price exactly.

Estimator (cell fixed effects)
    For group g with indicator D and outcome r,
    β_g = Σ (D − D̄_c)(r − r̄_c) / Σ (D − D̄_c)², sums over orders in informative
    cells, bars = cell means. This equals the OLS coefficient of D in a
    regression of r on D with cell fixed effects, and the weighted average of the
    within-cell gaps (mean_g − mean_rest) with weights n_g·n_rest/n_cell. It is
    read as a relative premium (log points ≈ %).

Inference
    * **Permutation** (null: labels exchangeable within cells). The numerator
      T = Σ D (r − r̄_c) has, under within-cell permutation, mean 0 and exact
      variance Σ_c n_g n_r / (n (n − 1)) · Σ_c (r − r̄_c)² (sampling without
      replacement), so ``se_perm`` is exact. ``n_permutations`` Monte Carlo
      shuffles of the labels within cells (vectorised with one ``argsort`` per
      batch) give the empirical one-sided p-value ``p_perm`` for the groups
      that pass every other test. With a few hundred permutations the smallest
      attainable empirical p (1/(B+1)) cannot survive a Holm correction over
      dozens of hypotheses, so the corrected test uses the normal approximation
      with the exact permutation variance, and the empirical p must also be
      ≤ ``alpha``.
    * **Bootstrap over customers** (Poisson weights). Per customer i and group
      g: a_i = Σ (D − D̄_c)(r − r̄_c), b_i = Σ (D − D̄_c)² over i's orders; a
      replicate is β* = Σ w_i a_i / Σ w_i b_i with w_i ~ Poisson(1). Cell means
      are held at their full-sample values (the linearised / score bootstrap
      of a ratio estimator: it ignores the second-order change of cell means
      under resampling, which is negligible when cells hold many customers
      and conservative-neutral otherwise). Gives percentile intervals and
      ``se_boot``; a customer's orders move together, so repeat buyers do not
      narrow the interval.
    * The z-score uses max(``se_perm``, ``se_boot``): the permutation variance
      assumes independent orders, the bootstrap captures customer clustering;
      taking the larger is conservative. p = 1 − Φ(z) (one-sided: only paying
      *more* is adverse).
    * **Multiplicity**: Holm over the confirmatory family (single-attribute
      groups of ``tenure_band``, ``device_os``, ``province``, both outcomes),
      Benjamini–Hochberg over every other hypothesis.
    * **Placebo (A/A)**: a random half of *all* customers against the other
      half, with the same cells and estimator (``n_placebo`` draws), gives the
      A/A floor reported for every attribute set (``aa_floor``, 95th percentile
      of |β|). The noise floor a group must beat (``placebo_floor``) is the same
      quantile for random customer-level pseudo-groups holding the group's share
      of the orders, so the floor matches the group's size. (Splitting the
      group itself in half was tried and rejected: half of a group against its
      other half uses far fewer matched cells than the group against its rest,
      so that floor is noisier than the test it calibrates — on the sample data
      it swamped a planted 4 % iOS premium.)
    * **Minimum size**: a group is tested when it has ≥ ``min_group_orders``
      orders and ≥ ``min_group_customers`` customers in informative cells, and
      its rest has ≥ ``min_group_orders`` orders there.

Where the premium sits
    Per group and sku the same estimator (cells nest in skus) gives β_gs with
    its permutation z; skus with β_gs > 0 and BH q < ``alpha`` (within the group)
    are the *affected skus*. A premium confined to a few skus is diluted in the
    all-sku β_g, so the practical threshold ``min_premium`` is met when either
    β_g or the premium on the affected skus (Σ a / Σ b over them) reaches it.

Echoes and intersections (stepwise)
    A group correlated with a discriminated one shows an echo of its premium
    (``channel=app`` carries most iOS orders; ``device_os=ios&gender=f`` is
    iOS). The audit is therefore stepwise: flag the strongest candidate (single
    attributes before intersections), remove its estimated per-sku premium
    (the group × sku effect, on every sku) from its orders' outcome, re-test
    everything, repeat until no candidate is left; finally each flagged group's
    per-sku effects are re-estimated with the other flagged groups removed. A group that stops being a candidate once
    another is removed is reported as its ``echo_of`` and not flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import sparse
from scipy import stats as _st

from workbench.attributes import group_label
from workbench.pricing._attributes import CONFIRMATORY_ATTRIBUTES
from workbench.stats import benjamini_hochberg, holm

METRICS: tuple[str, ...] = ("log_premium", "log_net_premium")
METRIC_TITLES = {"log_premium": "unit price premium", "log_net_premium": "net price premium (after coupons)"}


@dataclass(frozen=True)
class Settings:
    """Parameters of the matched comparison (see :func:`workbench.pricing.analyze`)."""

    cell_includes_channel: bool = True
    min_group_orders: int = 200
    min_group_customers: int = 50
    alpha: float = 0.05
    min_premium: float = 0.01
    n_bootstrap: int = 300
    n_permutations: int = 200
    n_placebo: int = 20
    max_rounds: int = 8
    seed: int = 0
    metrics: tuple[str, ...] = METRICS


def cell_column(attrs: Sequence[str], settings: Settings) -> str:
    """The cell id column for an attribute set (no channel when auditing channel)."""
    if settings.cell_includes_channel and "channel" not in attrs:
        return "cell_ch"
    return "cell"


# ----------------------------------------------------------------------------- one set
@dataclass
class _SetStats:
    """Everything one (attribute set, metric) contributes, for one round."""

    attrs: tuple[str, ...]
    metric: str
    groups: pl.DataFrame  # label, gidx, a, b, vperm, n_inf, rest_inf, customers_inf, orders, customers
    by_sku: pl.DataFrame  # label, sku, a, b, vperm, n_inf
    cust_ab: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # cust, gidx, a, b
    informative: pl.DataFrame  # cust, cell, label, gidx, y, e (informative orders)
    labels: list[str] = field(default_factory=list)


def _set_stats(units: pl.DataFrame, attrs: tuple[str, ...], metric: str, settings: Settings) -> _SetStats:
    cell = cell_column(attrs, settings)
    y = pl.col(metric) - pl.col(f"adj_{metric}")
    d = units.select(
        "cust", pl.col(cell).alias("cell"), "sku", group_label(attrs).alias("label"), y.alias("y")
    ).filter(pl.col("label").is_not_null() & pl.col("y").is_not_null() & pl.col("y").is_finite())
    labels = sorted(d["label"].unique().to_list())
    lab = pl.DataFrame({"label": labels, "gidx": np.arange(len(labels), dtype=np.int64)})
    totals = d.group_by("label").agg(pl.len().alias("orders"), pl.col("cust").n_unique().alias("customers"))

    cl = (
        d.group_by("cell", "label")
        .agg(pl.len().alias("n"), pl.col("y").sum().alias("s"), pl.col("sku").first())
        .with_columns(
            pl.col("n").sum().over("cell").alias("N"),
            pl.col("s").sum().over("cell").alias("S"),
            pl.len().over("cell").alias("L"),
        )
        .filter(pl.col("L") >= 2)
    )
    inf = (
        d.join(cl.select("cell", "label"), on=["cell", "label"], how="semi")
        .join(cl.group_by("cell").agg(pl.col("S").first(), pl.col("N").first()), on="cell")
        .with_columns((pl.col("y") - pl.col("S") / pl.col("N")).alias("e"))
    )
    ss = inf.group_by("cell").agg((pl.col("e") ** 2).sum().alias("SS"))
    cl = cl.join(ss, on="cell").with_columns(
        (pl.col("s") - pl.col("n") * pl.col("S") / pl.col("N")).alias("a"),
        (pl.col("n") * (pl.col("N") - pl.col("n")) / pl.col("N")).alias("b"),
        (pl.col("n") * (pl.col("N") - pl.col("n")) / (pl.col("N") * (pl.col("N") - 1)) * pl.col("SS")).alias("vperm"),
        (pl.col("N") - pl.col("n")).alias("rest_n"),
    )
    agg = [
        pl.col("a").sum(),
        pl.col("b").sum(),
        pl.col("vperm").sum(),
        pl.col("n").sum().alias("n_inf"),
        pl.col("rest_n").sum().alias("rest_inf"),
    ]
    groups = cl.group_by("label").agg(agg)
    by_sku = cl.group_by("label", "sku").agg(agg)

    # Per customer × group contributions: every order of an informative cell
    # contributes (D − p_gc)(y − ȳ_c) to each group g present in its cell.
    # Only groups large enough to be tested need per-customer contributions.
    cust_inf = inf.group_by("label").agg(pl.col("cust").n_unique().alias("customers_inf"))
    size = groups.join(cust_inf, on="label", how="left")
    testable = size.filter(
        (pl.col("n_inf") >= settings.min_group_orders)
        & (pl.col("rest_inf") >= settings.min_group_orders)
        & (pl.col("customers_inf") >= settings.min_group_customers)
    )["label"]
    shares = cl.filter(pl.col("label").is_in(testable.implode())).select(
        "cell", pl.col("label").alias("g"), (pl.col("n") / pl.col("N")).alias("p")
    )
    dev = (pl.col("label") == pl.col("g")).cast(pl.Float64) - pl.col("p")
    ab = (
        inf.select("cust", "cell", "label", "e")
        .join(shares, on="cell")
        .group_by("cust", "g")
        .agg(
            (dev * pl.col("e")).sum().alias("a"),
            (dev**2).sum().alias("b"),
        )
        .join(lab.rename({"label": "g"}), on="g")
    )
    groups = (
        lab.join(totals, on="label", how="left")
        .join(groups, on="label", how="left")
        .join(cust_inf, on="label", how="left")
        .with_columns(pl.col("a", "b", "vperm").fill_null(0.0), pl.col("n_inf", "rest_inf", "customers_inf").fill_null(0))
    )
    cust_ab = (
        ab["cust"].to_numpy(),
        ab["gidx"].to_numpy(),
        ab["a"].to_numpy(),
        ab["b"].to_numpy(),
    )
    informative = inf.select("cust", "cell", "label", "y", "e").join(lab, on="label")
    return _SetStats(attrs, metric, groups, by_sku, cust_ab, informative, labels)


# ----------------------------------------------------------------------- resampling
def _bootstrap(st: _SetStats, weights_t: np.ndarray, level: float = 0.95) -> pl.DataFrame:
    """β*, percentile interval and sd per group from Poisson customer weights
    (``weights_t``: customers × B, C-contiguous)."""
    cust, gidx, a, b = st.cust_ab
    g = len(st.labels)
    n_cust = weights_t.shape[0]
    if a.size == 0:
        nan = np.full(g, np.nan)
        return pl.DataFrame({"gidx": np.arange(g), "ci_low": nan, "ci_high": nan, "se_boot": nan})
    A = sparse.csr_matrix((a, (cust, gidx)), shape=(n_cust, g))
    Bm = sparse.csr_matrix((b, (cust, gidx)), shape=(n_cust, g))
    num = np.asarray(A.T @ weights_t).T  # B × g
    den = np.asarray(Bm.T @ weights_t).T
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = np.where(den > 0, num / den, np.nan)
    tail = (1 - level) / 2
    ok = np.isfinite(draws).sum(axis=0) >= 2
    low = np.full(g, np.nan)
    high = np.full(g, np.nan)
    sd = np.full(g, np.nan)
    if ok.any():
        low[ok], high[ok] = np.nanquantile(draws[:, ok], [tail, 1 - tail], axis=0)
        sd[ok] = np.nanstd(draws[:, ok], axis=0, ddof=1)
    return pl.DataFrame({"gidx": np.arange(g), "ci_low": low, "ci_high": high, "se_boot": sd})


def permutation_p(
    cells: np.ndarray, member: np.ndarray, e: np.ndarray, observed: float, n_permutations: int, rng: np.random.Generator
) -> float:
    """Empirical one-sided p-value of Σ member·e under shuffles of ``member`` within cells.

    ``cells`` are integer cell ids; ``e`` the within-cell residuals. The statistic's
    denominator is invariant under within-cell shuffles, so the numerator is
    compared directly. Shuffles run in batches: adding uniform noise in [0, 1) to
    the (sorted) cell id and arg-sorting each row permutes positions only within
    cells.

    >>> rng = np.random.default_rng(0)
    >>> cells = np.repeat(np.arange(50), 4); member = np.tile([1, 0, 0, 0], 50)
    >>> e = np.where(member == 1, 0.03, -0.01)
    >>> permutation_p(cells, member, e, float((member * e).sum()), 99, rng)
    0.01
    """
    if n_permutations <= 0 or cells.size == 0:
        return float("nan")
    order = np.argsort(cells, kind="stable")
    cells, member, e = cells[order], member[order].astype(np.float64), e[order]
    base = np.unique(cells, return_inverse=True)[1].astype(np.float64)
    hits = 0
    batch = max(1, min(n_permutations, 4_000_000 // max(cells.size, 1)))
    done = 0
    tol = 1e-12 * max(1.0, abs(observed))
    while done < n_permutations:
        k = min(batch, n_permutations - done)
        idx = np.argsort(base[None, :] + rng.random((k, cells.size)), axis=1)
        stats = (member[idx] * e[None, :]).sum(axis=1)
        hits += int((stats >= observed - tol).sum())
        done += k
    return (1 + hits) / (1 + n_permutations)


def _pseudo_group_betas(st: _SetStats, share: float, uniforms: np.ndarray) -> np.ndarray:
    """β of K random customer-level pseudo-groups (each customer in with probability
    ``share``) against the rest, with the same cells and estimator."""
    inf = st.informative
    if inf.height == 0 or uniforms.shape[0] == 0 or not 0 < share < 1:
        return np.full(uniforms.shape[0], np.nan)
    cust = inf["cust"].to_numpy()
    y = inf["y"].to_numpy()
    cell = np.unique(inf["cell"].to_numpy(), return_inverse=True)[1].ravel()
    m = int(cell.max()) + 1
    big_n = np.bincount(cell, minlength=m).astype(float)
    big_s = np.bincount(cell, weights=y, minlength=m)
    out = np.full(uniforms.shape[0], np.nan)
    for k in range(uniforms.shape[0]):
        d = (uniforms[k, cust] < share).astype(float)
        n1 = np.bincount(cell, weights=d, minlength=m)
        s1 = np.bincount(cell, weights=d * y, minlength=m)
        b = np.sum(n1 * (big_n - n1) / big_n)
        if b > 0:
            out[k] = np.sum(s1 - n1 * big_s / big_n) / b
    return out


def _placebo_floor(st: _SetStats, share: float, uniforms: np.ndarray) -> float:
    """95th percentile of |β| of random pseudo-groups of the given order share."""
    betas = _pseudo_group_betas(st, share, uniforms)
    ok = np.isfinite(betas)
    return float(np.quantile(np.abs(betas[ok]), 0.95)) if ok.sum() >= 2 else float("nan")


# ----------------------------------------------------------------------------- rounds
def _sku_effects(st: _SetStats, alpha: float) -> pl.DataFrame:
    """Per group × sku: β, permutation z, BH q within the group, ``affected``."""
    df = st.by_sku.filter(pl.col("b") > 0).with_columns(
        (pl.col("a") / pl.col("b")).alias("beta"),
        pl.when(pl.col("vperm") > 0).then(pl.col("a") / pl.col("vperm").sqrt()).otherwise(0.0).alias("z"),
    )
    if df.height == 0:
        return df.with_columns(pl.lit(None, pl.Float64).alias("q"), pl.lit(False).alias("affected"))
    df = df.with_columns(pl.Series("p", _st.norm.sf(df["z"].to_numpy())))
    qs = np.empty(df.height)
    labels = df["label"].to_numpy()
    p = df["p"].to_numpy()
    for lbl in np.unique(labels):
        m = labels == lbl
        qs[m] = benjamini_hochberg(p[m])
    return df.with_columns(pl.Series("q", qs)).with_columns(
        ((pl.col("beta") > 0) & (pl.col("q") < alpha)).alias("affected")
    )


def _test_round(units: pl.DataFrame, sets: list[tuple[str, ...]], settings: Settings, weights: np.ndarray,
                bits: np.ndarray, rng: np.random.Generator, *, with_aa: bool,
                perm_all: bool = True, skip: set[tuple[str, str]] = frozenset()) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """One round: every group of every set and metric, with corrected p-values."""
    rows: list[pl.DataFrame] = []
    skus: list[pl.DataFrame] = []
    stats: dict[tuple[tuple[str, ...], str], _SetStats] = {}
    for metric in settings.metrics:
        for attrs in sets:
            st = _set_stats(units, attrs, metric, settings)
            stats[(attrs, metric)] = st
            g = st.groups.join(_bootstrap(st, weights), on="gidx")
            se = _sku_effects(st, settings.alpha)
            affected = se.filter(pl.col("affected")).group_by("label").agg(
                (pl.col("a").sum() / pl.col("b").sum()).alias("affected_effect"),
                pl.col("sku").sort_by("beta", descending=True).alias("affected_skus"),
            )
            g = g.join(affected, on="label", how="left")
            aa = _placebo_floor(st, 0.5, bits) if with_aa else float("nan")
            g = g.with_columns(
                pl.lit("&".join(attrs)).alias("attribute"),
                pl.lit(metric).alias("metric"),
                pl.lit(aa).alias("aa_floor"),
                pl.lit(len(attrs) == 1 and attrs[0] in CONFIRMATORY_ATTRIBUTES).alias("confirmatory"),
            )
            rows.append(g)
            skus.append(se.with_columns(pl.lit("&".join(attrs)).alias("attribute"), pl.lit(metric).alias("metric")))
    table = pl.concat(rows, how="diagonal_relaxed")
    tested = (
        (pl.col("n_inf") >= settings.min_group_orders)
        & (pl.col("customers_inf") >= settings.min_group_customers)
        & (pl.col("rest_inf") >= settings.min_group_orders)
        & (pl.col("b") > 0)
    )
    table = table.with_columns(
        tested.alias("tested"),
        pl.when(pl.col("b") > 0).then(pl.col("a") / pl.col("b")).alias("beta"),
        pl.when(pl.col("b") > 0).then(pl.col("vperm").sqrt() / pl.col("b")).alias("se_perm"),
    ).with_columns(
        pl.max_horizontal(pl.col("se_perm"), pl.col("se_boot").fill_nan(None)).alias("se"),
    ).with_columns(
        pl.when(pl.col("se") > 0).then(pl.col("beta") / pl.col("se")).otherwise(0.0).alias("z"),
    )
    z = table["z"].to_numpy()
    p = np.where(table["tested"].to_numpy(), _st.norm.sf(z), np.nan)
    conf = table["confirmatory"].to_numpy()
    p_adj = np.full_like(p, np.nan)
    p_adj[conf] = holm(p[conf])
    p_adj[~conf] = benjamini_hochberg(p[~conf])
    table = table.with_columns(
        pl.Series("p", p),
        pl.Series("p_adj", p_adj),
        pl.when(pl.col("confirmatory")).then(pl.lit("holm")).otherwise(pl.lit("bh")).alias("correction"),
        pl.max_horizontal(pl.col("beta"), pl.col("affected_effect").fill_null(-np.inf)).alias("material_effect"),
    ).with_columns(
        (pl.col("tested") & (pl.col("p_adj") < settings.alpha) & (pl.col("beta") > 0)
         & (pl.col("material_effect") >= settings.min_premium)).alias("significant_material")
    )
    # Placebo floor for the groups that pass so far (pseudo-groups of their size).
    pf = np.full(table.height, np.nan)
    sel = table.with_row_index("_i").filter(pl.col("significant_material"))
    for i, attribute, metric, n_inf in sel.select("_i", "attribute", "metric", "n_inf").rows():
        st = stats[(tuple(attribute.split("&")), metric)]
        pf[i] = _placebo_floor(st, n_inf / max(st.informative.height, 1), bits)
    table = table.with_columns(pl.Series("placebo_floor", pf))
    table = table.with_columns(
        pl.coalesce(pl.col("placebo_floor").fill_nan(None), pl.col("aa_floor").fill_nan(None), pl.lit(0.0)).alias("floor")
    )
    # Monte Carlo permutations: every passing group in the first round (reported);
    # later rounds only in pick order (single attributes first, then by z) until
    # one passes; groups not reached stay candidates pending their turn.
    threshold = max(settings.alpha, 1 / (settings.n_permutations + 1))
    p_perm = np.full(table.height, np.nan)
    sel = (
        table.with_row_index("_i")
        .filter(pl.col("significant_material") & (pl.col("beta") > pl.col("floor")))
        .with_columns(pl.col("attribute").str.contains("&").alias("_pair"))
        .sort(["_pair", "z"], descending=[False, True])
    )
    if skip:
        sel = sel.filter(~pl.struct("label", "metric").is_in([{"label": a, "metric": b} for a, b in skip]))
    for i, attribute, metric, gidx, beta, b in sel.select("_i", "attribute", "metric", "gidx", "beta", "b").rows():
        inf = stats[(tuple(attribute.split("&")), metric)].informative
        cells_with = inf.filter(pl.col("gidx") == gidx)["cell"].unique()
        sub = inf.filter(pl.col("cell").is_in(cells_with.implode()))
        p_perm[i] = permutation_p(
            sub["cell"].to_numpy(), (sub["gidx"] == gidx).to_numpy(), sub["e"].to_numpy(),
            beta * b, settings.n_permutations, rng,
        )
        if not perm_all and p_perm[i] <= threshold:
            break
    table = table.with_columns(pl.Series("p_perm", p_perm)).with_columns(
        (pl.col("significant_material") & (pl.col("beta") > pl.col("floor"))
         & pl.col("p_perm").fill_nan(None).le(threshold).fill_null(not perm_all)).alias("candidate")
    )
    return table, pl.concat(skus, how="diagonal_relaxed"), stats


def _adjusted(units: pl.DataFrame, picks: list[dict], settings: Settings) -> pl.DataFrame:
    """``units`` with ``adj_<metric>`` = the sum of the given flagged groups' per-sku
    premiums on their members' orders (a unit-price premium also lowers the net one)."""
    adj = {m: pl.lit(0.0) for m in settings.metrics}
    out = units
    for k, pk in enumerate(picks):
        col = f"_eff{k}"
        out = out.join(pk["_eff"].rename({"_eff": col}), on="sku", how="left").with_columns(
            pl.when(group_label(tuple(pk["attribute"].split("&"))) == pk["label"])
            .then(pl.col(col).fill_null(0.0)).otherwise(0.0).alias(col)
        )
        targets = [pk["metric"]]
        if pk["metric"] == "log_premium" and "log_net_premium" in settings.metrics:
            targets.append("log_net_premium")
        for m in targets:
            adj[m] = adj[m] + pl.col(col)
    return out.with_columns(adj[m].alias(f"adj_{m}") for m in settings.metrics).drop(
        [f"_eff{k}" for k in range(len(picks))]
    )


@dataclass(frozen=True)
class Disparity:
    """Outcome of the stepwise matched audit."""

    groups: pl.DataFrame  # round-0 table, one row per (attribute set, group, metric) + status
    sku_effects: pl.DataFrame  # round-0 per group × sku estimates (every set, metric)
    flagged_sku_effects: pl.DataFrame  # flagged groups × sku, mutually adjusted (``affected`` = carries it)
    flagged: pl.DataFrame  # one row per flagged (group, metric), estimates at selection
    rounds: int
    adjusted_units: pl.DataFrame  # units with adj_* columns after removing flagged premiums


def audit(units: pl.DataFrame, sets: list[tuple[str, ...]], settings: Settings) -> Disparity:
    """Run the stepwise matched audit over ``sets`` on the prepared order ``units``.

    ``units`` needs ``cust`` (0-based customer index), ``cell``, ``cell_ch``,
    ``sku``, the metric columns and the attribute columns.
    """
    rng = np.random.default_rng(settings.seed)
    n_cust = int(units["cust"].max()) + 1 if units.height else 0
    weights = np.ascontiguousarray(rng.poisson(1.0, size=(settings.n_bootstrap, n_cust)).astype(np.float64).T)
    bits = rng.random(size=(settings.n_placebo, n_cust))  # uniforms: pseudo-group draws
    units = units.with_columns(pl.lit(0.0).alias(f"adj_{m}") for m in settings.metrics)

    first: pl.DataFrame | None = None
    first_skus: pl.DataFrame | None = None
    picked: list[dict] = []
    echo_of: dict[tuple[str, str], str] = {}
    prev_candidates: set[tuple[str, str]] = set()
    rounds = 0
    for rnd in range(settings.max_rounds):
        rounds = rnd + 1
        table, skus, _ = _test_round(
            units, sets, settings, weights, bits, rng, with_aa=(rnd == 0), perm_all=(rnd == 0),
            skip={(p["label"], p["metric"]) for p in picked},
        )
        if first is None:
            first, first_skus = table, skus
        cands = table.filter(pl.col("candidate"))
        now = {(r["label"], r["metric"]) for r in cands.select("label", "metric").iter_rows(named=True)}
        if picked:
            for key in prev_candidates - now:
                if key not in {(p["label"], p["metric"]) for p in picked}:
                    echo_of.setdefault(key, picked[-1]["label"])
        prev_candidates = now
        done = {(p["label"], p["metric"]) for p in picked}
        new = cands.filter(
            ~pl.struct("label", "metric").is_in([{"label": k[0], "metric": k[1]} for k in done]) if done else pl.lit(True)
        )
        if new.height == 0:
            break
        new = new.with_columns(pl.col("attribute").str.contains("&").alias("_pair")).sort(
            ["_pair", "z"], descending=[False, True]
        )
        best = new.row(0, named=True)
        best["round"] = rnd + 1
        # Remove the group's premium on every sku (its group × sku effect), not only on
        # the skus where it is individually significant: an undetected remainder
        # would otherwise resurface in intersections (``channel=app&device_os=ios``).
        best["_eff"] = skus.filter(
            (pl.col("label") == best["label"]) & (pl.col("metric") == best["metric"])
        ).select("sku", pl.col("beta").alias("_eff"))
        picked.append(best)
        units = _adjusted(units, picked, settings)
    # Mutual adjustment: re-estimate each flagged group's per-sku premium with every
    # *other* flagged group's premium removed (two passes), so that one planted
    # premium does not leak into another group's affected skus through chance
    # correlation of the groups within cells.
    final_skus: dict[int, pl.DataFrame] = {}
    for _ in range(2 if len(picked) > 1 else 1):
        for i, pk in enumerate(picked):
            others = [q for j, q in enumerate(picked) if j != i]
            st = _set_stats(_adjusted(units, others, settings), tuple(pk["attribute"].split("&")), pk["metric"],
                            settings)
            se = _sku_effects(st, settings.alpha).filter(pl.col("label") == pk["label"])
            final_skus[i] = se
            pk["_eff"] = se.select("sku", pl.col("beta").alias("_eff"))
    units = _adjusted(units, picked, settings)
    sku_final = (
        pl.concat([final_skus[i].with_columns(pl.lit(pk["attribute"]).alias("attribute"), pl.lit(pk["metric"]).alias("metric"))
                   for i, pk in enumerate(picked)], how="diagonal_relaxed")
        if picked else first_skus.clear()
    )
    for i, pk in enumerate(picked):
        aff = final_skus[i].filter(pl.col("affected"))
        pk["affected_skus"] = aff.sort("beta", descending=True)["sku"].to_list()
        pk["affected_effect"] = float(aff["a"].sum() / aff["b"].sum()) if aff.height else None
    for pk in picked:
        pk.pop("_eff")
    assert first is not None and first_skus is not None
    flagged = pl.DataFrame(picked) if picked else first.clear().with_columns(pl.lit(0).alias("round"))
    picked_keys = {(p["label"], p["metric"]) for p in picked}
    echo_of = {k: v for k, v in echo_of.items() if k not in picked_keys}
    status = pl.DataFrame(
        {
            "label": [p["label"] for p in picked] + [k[0] for k in echo_of],
            "metric": [p["metric"] for p in picked] + [k[1] for k in echo_of],
            "flagged": [True] * len(picked) + [False] * len(echo_of),
            "echo_of": [None] * len(picked) + list(echo_of.values()),
        },
        schema={"label": pl.String, "metric": pl.String, "flagged": pl.Boolean, "echo_of": pl.String},
    )
    groups = first.join(status, on=["label", "metric"], how="left").with_columns(pl.col("flagged").fill_null(False))
    return Disparity(groups, first_skus, sku_final, flagged, rounds, units)

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
      shuffles of the labels within cells give the empirical one-sided p-value
      ``p_perm`` for the groups that pass every other test — unless Cantelli's
      inequality with the exact permutation variance already bounds the exact
      permutation p-value by ``alpha`` (:func:`cantelli_p`, z ≥ 4.36 at 5 %):
      then that bound is ``p_perm`` (``p_perm_method`` says which). With a few hundred
      permutations the smallest attainable empirical p (1/(B+1)) cannot survive
      a Holm correction over dozens of hypotheses, so the corrected test uses
      the normal approximation with the exact permutation variance, and the
      empirical p must also be ≤ ``alpha``.
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
      Benjamini–Hochberg over every other hypothesis, and Bonferroni across the
      two families (:func:`family_adjusted`), so that ``alpha`` is the run's
      probability of any false flag under no discrimination, not a per-family one.
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

Where the expensive inference runs
    The bootstrap runs only for groups that can still be flagged: tested, β > 0,
    and rejected by Holm / Benjamini–Hochberg when p is computed from ``se_perm``
    alone. Because se = max(se_perm, se_boot) ≥ se_perm, that p is a lower bound of
    the true p; both procedures are monotone, and their rejections (and the adjusted
    p of a rejected hypothesis) depend only on the p-values below ``alpha``, whose
    ranks do not change when larger p-values are replaced by other values above
    ``alpha``. So every decision, and β, interval, z, p and adjusted p of every group
    that can pass, are what a bootstrap of every group gives; the other groups have
    no interval (``ci_low``, ``ci_high``, ``se_boot`` null) and their z and p use
    ``se_perm`` alone (bounds: z ≥ z_true, p ≤ p_true). The placebo floor runs for
    the groups that pass so far (``significant_material``) and the permutations for
    those above their floor, as before.

Implementation (what makes it fast on 10M orders)
    * The round-invariant parts of each (attribute set, metric) — informative
      orders grouped by cell and label, cell sizes, group shares, Σ (D − D̄)²,
      group sizes, the bootstrap denominators Σ w_i b_i and the placebo
      denominators — are built once (:class:`_Struct`) and kept as compact numpy
      arrays; a stepwise round only recomputes the residuals e = r − r̄_c and the
      sums over them (``np.bincount`` / ``np.add.reduceat`` on cell-sorted arrays).
    * Bootstrap: Poisson(1) weights are stored as ``uint8`` (customers × B), drawn in
      the order one ``rng.poisson(1.0, size=(B, n))`` call draws them; the
      per-customer contributions of the groups that need them form a sparse
      groups × customers matrix, and all (set, metric) of a round are multiplied
      with the weights in one batched sparse × dense product over blocks of
      customers whose weights are converted to float64 once and stay in cache.
    * Permutations (:func:`_permutation_hits`): the candidate groups of one set and
      both metrics share one batch; only the slots each group's members land on are
      drawn — small cells from tables of subset sums, larger cells by selection
      sampling, uniform injection or argsort of random keys. Each (round, set) has
      its own random stream, so p_perm does not depend on the order or the thread
      the sets run on; every permuted group gets all ``n_permutations`` shuffles.
    * Placebo: the pseudo-groups' numerators are customer-level dot products; their
      denominators (which do not depend on the outcome) are computed once per
      (set, share) and reused across rounds.
    * The per-set work of a round (structures, residuals, contrasts, placebo,
      permutations) runs on up to ``_MAX_WORKERS`` threads; numpy and scipy release
      the GIL in their loops.

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

import itertools
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
import polars as pl
from scipy import sparse
from scipy import special as _sp

from workbench.pricing._attributes import CONFIRMATORY_ATTRIBUTES
from workbench.stats import benjamini_hochberg, holm

METRICS: tuple[str, ...] = ("log_premium", "log_net_premium")
METRIC_TITLES = {"log_premium": "unit price premium", "log_net_premium": "net price premium (after coupons)"}

#: Cells of up to this many orders draw a row of the table of their C(N, m) subset sums.
_TABLE_MAX = 8
#: Larger multi-group cells of up to this many orders are argsorted per cell size (larger: together).
_BUCKET_MAX = 4096
#: Larger multi-group cells whose tested members are at most this share of the orders
#: draw only the members' slots (injection); denser ones are argsorted whole.
_INJECT_SHARE = 0.2
#: Tests only: bootstrap every tested group, as the audit did before the restriction.
_BOOTSTRAP_EVERY_TESTED_GROUP = False
#: Placebo numerators: above this many shares of one set, prefix sums over sorted customers.
_PLACEBO_PREFIX = 8
#: Threads running the per-set work of a round (structures, contrasts, placebo, permutations).
_MAX_WORKERS = 4
#: Non-zeros of the per-customer contrasts multiplied with the weights at a time (memory).
_BOOT_NNZ = 8_000_000
#: Elements per array in one batch of permutations (bounds the batch's memory).
_BATCH_ELEMENTS = 3_000_000
#: Entries of the dense (groups × customers) buffer the per-customer contrasts are summed in.
_CONTRAST_CELLS = 16_000_000
#: Customers whose bootstrap weights are multiplied at a time (a float64 block that stays in cache).
_BOOT_CUSTOMERS = 2048


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


# -------------------------------------------------------------------- the units, once
@dataclass
class _Data:
    """The columns of the order units the audit reads, as numpy arrays."""

    n: int
    n_cust: int
    cust: np.ndarray  # int32 customer index per unit row
    cells: dict[str, np.ndarray]  # cell column -> int64 cell id per row
    by_cell: dict[str, np.ndarray]  # cell column -> row numbers sorted by cell (stable)
    sku: np.ndarray  # int32 sku code per row
    sku_names: list[str]
    metric: dict[str, np.ndarray]  # float64 outcome per row (NaN where null)
    valid: dict[str, np.ndarray]  # outcome not null and finite
    attr: dict[str, tuple[np.ndarray, list[str]]]  # int32 code (-1 = null), values


def _codes(s: pl.Series) -> tuple[np.ndarray, list[str]]:
    s = s.cast(pl.String)
    values = sorted(s.drop_nulls().unique().to_list())
    if not values:
        return np.full(len(s), -1, np.int32), []
    codes = s.cast(pl.Enum(values)).to_physical().cast(pl.Int32).fill_null(-1).to_numpy()
    return codes.astype(np.int32, copy=False), values


def _prepare(units: pl.DataFrame, sets: Sequence[tuple[str, ...]], settings: Settings) -> _Data:
    n = units.height
    cust = units["cust"].to_numpy().astype(np.int32) if n else np.zeros(0, np.int32)
    n_cust = int(cust.max()) + 1 if n else 0
    cols = sorted({cell_column(a, settings) for a in sets})
    cells = {c: units[c].to_numpy().astype(np.int64, copy=False) for c in cols}
    by_cell = {c: np.argsort(v, kind="stable").astype(np.int32) for c, v in cells.items()}
    sku, sku_names = _codes(units["sku"])
    metric, valid = {}, {}
    for m in settings.metrics:
        x = units[m].cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64, copy=False)
        metric[m], valid[m] = x, np.isfinite(x)
    attr = {a: _codes(units[a]) for a in sorted({a for s in sets for a in s})}
    return _Data(n, n_cust, cust, cells, by_cell, sku, sku_names, metric, valid, attr)


def _combo(data: _Data, attrs: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Mixed-radix code of the attribute values of each row (-1 where any is null)."""
    sizes = [len(data.attr[a][1]) for a in attrs]
    combo = np.zeros(data.n, np.int64)
    ok = np.ones(data.n, bool)
    for a, size in zip(attrs, sizes, strict=True):
        code = data.attr[a][0]
        combo = combo * size + code
        ok &= code >= 0
    return np.where(ok, combo, -1), sizes


def _label_text(data: _Data, attrs: Sequence[str], sizes: list[int], code: int) -> str:
    digits = []
    for size in reversed(sizes):
        digits.append(code % size)
        code //= size
    digits.reverse()
    return "&".join(f"{a}={data.attr[a][1][d]}" for a, d in zip(attrs, digits, strict=True))


def _distinct_per_label(lab: np.ndarray, cust: np.ndarray, n_labels: int, n_cust: int) -> np.ndarray:
    """Number of distinct customers per label."""
    if lab.size == 0:
        return np.zeros(n_labels, np.int64)
    if n_labels * n_cust <= 64_000_000:
        seen = np.zeros(n_labels * n_cust, bool)
        seen[lab.astype(np.int64) * n_cust + cust] = True
        return seen.reshape(n_labels, n_cust).sum(axis=1)
    key = np.unique(lab.astype(np.int64) * n_cust + cust)
    return np.bincount(key // n_cust, minlength=n_labels)


# ------------------------------------------------------- one (attribute set, metric)
@dataclass
class _Struct:
    """The round-invariant part of one (attribute set, metric): informative orders
    grouped by cell and, within a cell, by label; sizes and Σ (D − D̄)²."""

    attrs: tuple[str, ...]
    labels: list[str]
    combos: np.ndarray  # attribute code of each label (for membership over all units)
    rows: np.ndarray  # int32 unit rows of the informative orders, sorted by (cell, label)
    lab: np.ndarray  # int32 label index per informative order
    cstart: np.ndarray  # int64 cell offsets into ``rows`` (C + 1)
    pstart: np.ndarray  # int64 (cell, label) pair offsets (R + 1)
    plab: np.ndarray  # int32 label per pair
    pcell: np.ndarray  # int32 cell per pair
    cell_sku: np.ndarray  # int32 sku code per cell
    orders: np.ndarray  # per label: valid orders, customers (all cells)
    customers: np.ndarray
    n_inf: np.ndarray  # per label: orders, rest orders, customers in informative cells
    rest_inf: np.ndarray
    customers_inf: np.ndarray
    b: np.ndarray  # per label: Σ (D − D̄_c)²
    testable: np.ndarray
    den: dict[int, np.ndarray] = field(default_factory=dict)  # label -> Σ w_i b_i per replicate
    placebo_den: dict[float, np.ndarray] = field(default_factory=dict)  # share -> b per draw

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    @property
    def csize(self) -> np.ndarray:
        return np.diff(self.cstart)

    @property
    def pn(self) -> np.ndarray:
        return np.diff(self.pstart)


def _build(data: _Data, attrs: tuple[str, ...], metric: str, settings: Settings) -> _Struct:
    col = cell_column(attrs, settings)
    combo, sizes = _combo(data, attrs)
    valid = (combo >= 0) & data.valid[metric]
    space = math.prod(sizes) if sizes else 0
    present = np.flatnonzero(np.bincount(combo[valid], minlength=space) > 0) if space else np.zeros(0, np.int64)
    texts = [_label_text(data, attrs, sizes, int(c)) for c in present]
    order = sorted(range(len(texts)), key=texts.__getitem__)
    labels = [texts[i] for i in order]
    combos = present[order].astype(np.int64)
    n_groups = len(labels)
    lookup = np.full(max(space, 1), -1, np.int32)
    lookup[combos] = np.arange(n_groups, dtype=np.int32)

    srt = data.by_cell[col]
    r = srt[valid[srt]]
    c = data.cells[col][r]
    lab = lookup[combo[r]]
    if r.size:  # order by (cell, label): already sorted by cell, so timsort is near-linear
        o = np.argsort(c * max(n_groups, 1) + lab, kind="stable")
        r, c, lab = r[o], c[o], lab[o]
    orders = np.bincount(lab, minlength=n_groups)
    customers = _distinct_per_label(lab, data.cust[r], n_groups, data.n_cust)
    if r.size:
        brk = np.flatnonzero(c[1:] != c[:-1]) + 1
        cs = np.concatenate([[0], brk])
        ce = np.concatenate([brk, [r.size]])
        informative = lab[cs] != lab[ce - 1]  # labels sorted within a cell: ≥ 2 labels
        keep = np.repeat(informative, ce - cs)
        r, c, lab = r[keep], c[keep], lab[keep]
        csize = (ce - cs)[informative]
    else:
        csize = np.zeros(0, np.int64)
    cstart = np.concatenate([[0], np.cumsum(csize)]).astype(np.int64)
    if r.size:
        pb = np.flatnonzero((c[1:] != c[:-1]) | (lab[1:] != lab[:-1])) + 1
        pstart = np.concatenate([[0], pb, [r.size]]).astype(np.int64)
        first = pstart[:-1]
        new_cell = np.concatenate([[True], c[first[1:]] != c[first[1:] - 1]])
        pcell = (np.cumsum(new_cell) - 1).astype(np.int32)
        plab = lab[first].astype(np.int32)
    else:
        pstart = np.zeros(1, np.int64)
        pcell = plab = np.zeros(0, np.int32)
    pn = np.diff(pstart).astype(np.float64)
    big_n = csize[pcell].astype(np.float64)
    n_inf = np.bincount(plab, weights=pn, minlength=n_groups).astype(np.int64)
    rest_inf = np.bincount(plab, weights=big_n - pn, minlength=n_groups).astype(np.int64)
    b = np.bincount(plab, weights=pn * (big_n - pn) / big_n, minlength=n_groups)
    customers_inf = _distinct_per_label(lab, data.cust[r], n_groups, data.n_cust)
    testable = (
        (n_inf >= settings.min_group_orders)
        & (rest_inf >= settings.min_group_orders)
        & (customers_inf >= settings.min_group_customers)
    )
    cell_sku = data.sku[r[cstart[:-1]]] if r.size else np.zeros(0, np.int32)
    return _Struct(attrs, labels, combos, r.astype(np.int32), lab.astype(np.int32), cstart, pstart, plab, pcell,
                   cell_sku, orders, customers, n_inf, rest_inf, customers_inf, b, testable)


@dataclass
class _Round:
    """What one (attribute set, metric) gives in one round: residuals and sums."""

    e: np.ndarray  # r − r̄_c per informative order
    ss: np.ndarray  # Σ e² per cell
    a: np.ndarray  # per label Σ (D − D̄_c) e = Σ_{g} e
    vperm: np.ndarray  # per label exact permutation variance of the numerator


def _residuals(st: _Struct, y_all: np.ndarray) -> _Round:
    n_groups = st.n_groups
    if st.rows.size == 0:
        z = np.zeros(n_groups)
        return _Round(np.zeros(0), np.zeros(0), z, z.copy())
    y = y_all[st.rows]
    csize = st.csize
    starts = st.cstart[:-1]
    mean = np.add.reduceat(y, starts) / csize
    e = y - np.repeat(mean, csize)
    ss = np.add.reduceat(e * e, starts)
    pn = st.pn.astype(np.float64)
    big_n = csize[st.pcell].astype(np.float64)
    coef = pn * (big_n - pn) / (big_n * (big_n - 1))
    a = np.bincount(st.lab, weights=e, minlength=n_groups)
    vperm = np.bincount(st.plab, weights=coef * ss[st.pcell], minlength=n_groups)
    return _Round(e, ss, a, vperm)


# ------------------------------------------------------------------ sku effects
_SKU_SCHEMA = {
    "label": pl.String, "sku": pl.String, "a": pl.Float64, "b": pl.Float64, "vperm": pl.Float64,
    "n_inf": pl.UInt32, "rest_inf": pl.UInt32, "beta": pl.Float64, "z": pl.Float64, "p": pl.Float64,
    "q": pl.Float64, "affected": pl.Boolean,
}


def _bh_by_group(p: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg within each group (:func:`workbench.stats.benjamini_hochberg`)."""
    out = np.empty_like(p)
    if p.size == 0:
        return out
    order = np.lexsort((p, group))
    ps, gs = p[order], group[order]
    starts = np.flatnonzero(np.concatenate([[True], gs[1:] != gs[:-1]]))
    ends = np.concatenate([starts[1:], [p.size]])
    res = np.empty_like(ps)
    for s, t in zip(starts.tolist(), ends.tolist(), strict=True):
        m = t - s
        ranked = ps[s:t] * m / np.arange(1, m + 1)
        res[s:t] = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out[order] = res
    return out


def _sku_effects(st: _Struct, data: _Data, rd: _Round, alpha: float, only: np.ndarray | None = None) -> pl.DataFrame:
    """Per group × sku: a, b, vperm, β, permutation z, BH q within the group, ``affected``
    (for every group, or the labels ``only``)."""
    if st.rows.size == 0 or st.n_groups == 0:
        return pl.DataFrame(schema=_SKU_SCHEMA)
    n_sku = max(len(data.sku_names), 1)
    csize = st.csize
    lab, e = st.lab, rd.e
    osku = np.repeat(st.cell_sku, csize)
    plab, pcell = st.plab, st.pcell
    if only is not None:
        keep = np.isin(lab, only)
        lab, e, osku = lab[keep], e[keep], osku[keep]
        pkeep = np.isin(plab, only)
        plab, pcell = plab[pkeep], pcell[pkeep]
        pn = st.pn[pkeep].astype(np.float64)
    else:
        pn = st.pn.astype(np.float64)
    big_n = csize[pcell].astype(np.float64)
    size = st.n_groups * n_sku
    key_p = plab.astype(np.int64) * n_sku + st.cell_sku[pcell]
    a = np.bincount(lab.astype(np.int64) * n_sku + osku, weights=e, minlength=size)
    b = np.bincount(key_p, weights=pn * (big_n - pn) / big_n, minlength=size)
    vperm = np.bincount(key_p, weights=pn * (big_n - pn) / (big_n * (big_n - 1)) * rd.ss[pcell], minlength=size)
    n_inf = np.bincount(key_p, weights=pn, minlength=size)
    rest = np.bincount(key_p, weights=big_n - pn, minlength=size)
    idx = np.flatnonzero(b > 0)
    a, b, vperm = a[idx], b[idx], vperm[idx]
    beta = a / b
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(vperm > 0, a / np.sqrt(vperm), 0.0)
    p = _sp.ndtr(-z)
    g = idx // n_sku
    q = _bh_by_group(p, g)
    labels = np.asarray(st.labels, dtype=object)
    skus = np.asarray(data.sku_names, dtype=object)
    return pl.DataFrame(
        {
            "label": labels[g], "sku": skus[idx % n_sku], "a": a, "b": b, "vperm": vperm,
            "n_inf": n_inf[idx].astype(np.uint32), "rest_inf": rest[idx].astype(np.uint32),
            "beta": beta, "z": z, "p": p, "q": q, "affected": (beta > 0) & (q < alpha),
        },
        schema=_SKU_SCHEMA,
    )


def _affected(se: pl.DataFrame) -> pl.DataFrame:
    return se.filter(pl.col("affected")).group_by("label").agg(
        (pl.col("a").sum() / pl.col("b").sum()).alias("affected_effect"),
        pl.col("sku").sort_by("beta", descending=True).alias("affected_skus"),
    )


# ------------------------------------------------------------------- bootstrap
def _contrasts(st: _Struct, data: _Data, e: np.ndarray | None, groups: np.ndarray) -> sparse.csr_matrix:
    """Per group (rows) and customer (columns): Σ over the customer's orders in the
    group's cells of (D − p_gc)·e (``e`` given) or (D − p_gc)² = D(1 − 2 p_gc) + p_gc²
    (``e`` None). One expansion of every order of each group's cells, summed per
    (group, customer) with ``np.bincount``, ``_CONTRAST_CELLS`` entries at a time."""
    n_cust = data.n_cust
    pos = np.full(st.n_groups, -1, np.int64)
    pos[groups] = np.arange(len(groups))
    csize = st.csize
    pn = st.pn
    share = pn / csize[st.pcell]  # p_gc = n_gc / N_c
    cust = data.cust[st.rows].astype(np.int64)
    pairs = np.flatnonzero(pos[st.plab] >= 0)
    parts = []
    step = max(1, _CONTRAST_CELLS // max(n_cust, 1))  # groups per dense (groups × customers) buffer
    for g0 in range(0, len(groups), step):
        sel = pairs[(pos[st.plab[pairs]] >= g0) & (pos[st.plab[pairs]] < g0 + step)]
        k = min(step, len(groups) - g0)
        acc = np.zeros(k * n_cust)
        if sel.size:
            # every order of the pair's cell, with the pair's group and share
            c = st.pcell[sel]
            n = csize[c]
            at = np.repeat(st.cstart[c] - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(n.sum())
            key = np.repeat((pos[st.plab[sel]] - g0) * n_cust, n) + cust[at]
            p_rep = np.repeat(share[sel], n)
            w = -p_rep * e[at] if e is not None else p_rep * p_rep
            acc += np.bincount(key, weights=w, minlength=k * n_cust)
            # the members themselves: + e (numerator) or 1 − 2p (denominator)
            m_at = np.repeat(st.pstart[sel] - np.concatenate([[0], np.cumsum(pn[sel])[:-1]]), pn[sel]) + np.arange(pn[sel].sum())
            m_key = np.repeat((pos[st.plab[sel]] - g0) * n_cust, pn[sel]) + cust[m_at]
            m_w = e[m_at] if e is not None else np.repeat(1.0 - 2.0 * share[sel], pn[sel])
            acc += np.bincount(m_key, weights=m_w, minlength=k * n_cust)
        nz = np.flatnonzero(acc)
        indptr = np.searchsorted(nz, np.arange(k + 1, dtype=np.int64) * n_cust)
        parts.append(sparse.csr_matrix((acc[nz], nz % n_cust, indptr), shape=(k, n_cust)))
    return sparse.vstack(parts, format="csr") if len(parts) > 1 else parts[0]


def _weighted_sums(mats: list[sparse.csr_matrix], weights: np.ndarray) -> list[np.ndarray]:
    """Σ_i w_i x_i for every row of every matrix and every replicate (``weights``:
    customers × B, uint8). Matrices are stacked (up to ``_BOOT_NNZ`` non-zeros at a
    time) and multiplied over blocks of ``_BOOT_CUSTOMERS`` customers, whose weights
    are converted to float64 once per block and stay in cache. Returns per matrix
    an array B × rows."""
    res: list[np.ndarray] = []
    n_cust, n_b = weights.shape
    i = 0
    while i < len(mats):
        j, nnz = i, 0
        while j < len(mats) and (j == i or nnz + mats[j].nnz <= _BOOT_NNZ):
            nnz += mats[j].nnz
            j += 1
        big = sparse.vstack(mats[i:j], format="csr").tocsc()
        out = np.zeros((big.shape[0], n_b))
        indptr = big.indptr
        for i0 in range(0, n_cust, _BOOT_CUSTOMERS):
            i1 = min(n_cust, i0 + _BOOT_CUSTOMERS)
            if indptr[i1] > indptr[i0]:
                out += big[:, i0:i1] @ weights[i0:i1].astype(np.float64)
        at = 0
        for m in mats[i:j]:
            res.append(out[at:at + m.shape[0]].T)
            at += m.shape[0]
        i = j
    return res


def _intervals(num: np.ndarray, den: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile interval and sd of β* = num / den (B × groups)."""
    g = num.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = np.where(den > 0, num / den, np.nan)
    tail = (1 - level) / 2
    ok = np.isfinite(draws).sum(axis=0) >= 2
    low, high, sd = np.full(g, np.nan), np.full(g, np.nan), np.full(g, np.nan)
    if ok.any():
        low[ok], high[ok] = np.nanquantile(draws[:, ok], [tail, 1 - tail], axis=0)
        sd[ok] = np.nanstd(draws[:, ok], axis=0, ddof=1)
    return low, high, sd


# --------------------------------------------------------------------- placebo
def _placebo_betas(au: _Audit, st: _Struct, e: np.ndarray, shares: list[float]) -> np.ndarray:
    """β of K random customer-level pseudo-groups (customer i is in when its uniform
    u_ki < ``share``) against the rest, with the same cells and estimator; shares × K.

    Numerator Σ_{i in} Σ_{o of i} e_o: a customer-level dot product (a prefix sum
    over the customers sorted by u_k when there are many shares). Denominator
    Σ_c n1 (N − n1) / N (n1 = pseudo-group orders in the cell): it does not depend
    on the outcome, so it is computed once per (set, share) and kept."""
    k = au.uniforms.shape[0]
    out = np.full((len(shares), k), np.nan)
    if st.rows.size == 0 or k == 0:
        return out
    cust = au.data.cust[st.rows]
    todo = [s for s in dict.fromkeys(shares) if 0 < s < 1 and s not in st.placebo_den]
    if todo:
        csize = st.csize
        exact = np.int16 if csize.max() < 2**15 else np.float32  # counts are exact in either
        counts = sparse.csr_matrix(
            (np.ones(st.rows.size, exact), cust.astype(np.int64), st.cstart), shape=(len(csize), au.data.n_cust)
        )
        big_n = csize.astype(np.float64)[:, None]
        step = max(1, 40 // k)
        for j0 in range(0, len(todo), step):
            part = todo[j0:j0 + step]
            inside = np.empty((au.data.n_cust, k * len(part)), exact)  # customers × (share, draw)
            for j, s in enumerate(part):
                np.less(au.uniforms_t, s, out=inside[:, j * k:(j + 1) * k])
            n1 = np.asarray(counts @ inside, dtype=np.float64)  # exact counts per cell
            den = (n1 * (big_n - n1) / big_n).sum(axis=0)
            for j, s in enumerate(part):
                st.placebo_den[s] = den[j * k:(j + 1) * k]
    total = np.bincount(cust, weights=e, minlength=au.data.n_cust)  # Σ e per customer
    inner = [s for s in shares if 0 < s < 1 and s != 0.5]
    prefix = np.cumsum(total[au.uorder], axis=1) if len(inner) > _PLACEBO_PREFIX else None
    for j, s in enumerate(shares):
        if not 0 < s < 1:
            continue
        if s == 0.5:
            num = au.half @ total
        elif prefix is None:
            num = total @ (au.uniforms_t < s)
        else:
            n_in = np.array([np.searchsorted(au.usorted[i], s, side="left") for i in range(k)])
            num = np.where(n_in > 0, prefix[np.arange(k), np.maximum(n_in - 1, 0)], 0.0)
        den = st.placebo_den[s]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[j] = np.where(den > 0, num / den, np.nan)
    return out


def _floor(betas: np.ndarray) -> float:
    """95th percentile of |β| of the pseudo-groups (NaN with fewer than two)."""
    ok = np.isfinite(betas)
    return float(np.quantile(np.abs(betas[ok]), 0.95)) if ok.sum() >= 2 else float("nan")


# ----------------------------------------------------------------- permutations
@cache
def _binomials() -> np.ndarray:
    """C(n, m) for n, m ≤ ``_TABLE_MAX``."""
    return np.array([[math.comb(n, m) for m in range(_TABLE_MAX + 1)] for n in range(_TABLE_MAX + 1)], np.int64)


@cache
def _combinations(n: int, m: int) -> np.ndarray:
    """All m-subsets of 0..n-1 (C(n, m) × m)."""
    return np.array(list(itertools.combinations(range(n), m)), dtype=np.int64).reshape(-1, m)


def _subset_tables(cstart: np.ndarray, csize: np.ndarray, m: np.ndarray, cells: np.ndarray,
                   residuals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """For entries (cell, m) of small cells: the sum of e over each of the C(N, m)
    subsets of m of the cell's orders, per residual array, flat; returns (offset
    per entry, C(N, m) per entry, sums)."""
    n_sub = _binomials()[csize[cells], m]
    off = np.concatenate([[0], np.cumsum(n_sub)])
    sums = [np.empty(int(off[-1])) for _ in residuals]
    keys = csize[cells] * 64 + m
    for key in np.unique(keys).tolist():
        sel = np.flatnonzero(keys == key)
        comb = _combinations(key // 64, key % 64)
        at = (off[sel][:, None] + np.arange(len(comb))).ravel()
        pos = cstart[cells[sel]][:, None, None] + comb[None, :, :]
        for out, e in zip(sums, residuals, strict=True):
            out[at] = e[pos].sum(axis=2).ravel()
    return off[:-1], n_sub, sums


def _inject(rng: np.random.Generator, kk: int, size: np.ndarray, key0: np.ndarray, space: int) -> np.ndarray:
    """For each of ``kk`` replicates, give every item a slot in [0, ``size``) of its
    cell, distinct from the slots of the other items of the same cell: a uniform
    injection. Items draw uniform slots; an item whose slot is taken draws again
    (ties between items drawing the same free slot at once go to one of them). The
    procedure treats the slots of a cell symmetrically, so every injection is equally
    likely. ``key0``: per item the offset of its cell in a [0, ``space``) numbering
    of the cells' slots. Returns kk × items slot numbers."""
    n = size.size
    out = np.empty(kk * n, np.int64)
    owner = np.full(kk * space, -1, np.int32)
    pend = np.arange(kk * n, dtype=np.int64)
    base = np.add.outer(np.arange(kk, dtype=np.int64) * space, key0).ravel()
    sz = np.tile(size.astype(np.float64), kk)
    while pend.size:
        j = (rng.random(pend.size) * sz).astype(np.int64)
        key = base + j
        free = owner[key] < 0
        fk, fp = key[free], pend[free]
        owner[fk] = fp
        won = owner[fk] == fp
        out[fp[won]] = j[free][won]
        again = ~free
        again[np.flatnonzero(free)[~won]] = True
        pend, base, sz = pend[again], base[again], sz[again]
    return out.reshape(kk, n)


def _subset_sums(rng: np.random.Generator, kk: int, start: np.ndarray, size: np.ndarray, m: np.ndarray,
                 residuals: list[np.ndarray]) -> list[np.ndarray]:
    """For each of ``kk`` replicates and each cell (orders ``start`` … ``start + size``),
    the sum of e over a uniform random subset of ``m`` of its orders, per residual
    array: selection sampling (Knuth's algorithm S: slot i is taken with probability
    (m − taken) / (size − i)), vectorised over replicates and cells with slots in
    step; the cells are visited longest first, so the cells still open at step i
    are a prefix. Returns per residual array kk × cells."""
    n = size.size
    order = np.argsort(-size, kind="stable")
    st, sz, mm = start[order], size[order].astype(np.float64), m[order].astype(np.float64)
    steps = int(sz[0]) if n else 0
    open_at = np.searchsorted(-sz, -np.arange(steps, dtype=np.float64), side="left")  # cells with size > i
    acc = [np.zeros((kk, n)) for _ in residuals]
    rem = np.broadcast_to(mm, (kk, n)).copy()
    for i in range(steps):
        na = int(open_at[i])
        take = rng.random((kk, na)) * (sz[:na] - i) < rem[:, :na]
        rem[:, :na] -= take
        for a, e in zip(acc, residuals, strict=True):
            a[:, :na] += take * e[st[:na] + i]
    back = np.empty(n, np.int64)
    back[order] = np.arange(n)
    return [a[:, back] for a in acc]


def _permutation_hits(cstart: np.ndarray, col: np.ndarray, residuals: list[np.ndarray], observed: np.ndarray,
                      n_permutations: int, rng: np.random.Generator) -> np.ndarray:
    """Monte Carlo of within-cell shuffles of the labels.

    ``cstart``: cell offsets of orders sorted by cell; ``col``: per order the
    column (0…k−1) of the tested group it belongs to, −1 for every other order;
    ``residuals``: one array e per outcome; ``observed``: outcomes × k. Returns
    outcomes × k counts of shuffles whose Σ_{members} e ≥ observed (− 1e-12·max(1, |obs|)).

    Under a uniform random permutation of every cell's labels, the statistic of a
    column is the sum of e over the slots its members land on: in each cell a
    uniformly random subset of the cell's slots, as many as the column has members
    there, independently across cells. Each column's p-value depends only on the
    distribution of its own statistic, so the draws are organised per path:

    * cells of up to ``_TABLE_MAX`` orders, per (cell, column): a uniform row of
      the table of the C(N, m) subset sums of e (one random number per row);
    * larger cells whose members all belong to one column: selection sampling of
      the subset (:func:`_subset_sums`);
    * larger cells with members of several columns, jointly (one permutation of
      the cell): when members are few (≤ ``_INJECT_SHARE`` of the orders) their
      images are a uniform injection (:func:`_inject`), otherwise σ is the
      argsort of uniform 32-bit keys, per cell size (a tie, probability ≈ N²/2³³
      per cell, is broken by position; the float keys used before had ≈ N²/2³⁵),
      cells above ``_BUCKET_MAX`` orders together.
    """
    n_out, k = observed.shape
    hits = np.zeros((n_out, k), np.int64)
    mem = np.flatnonzero(col >= 0)
    if n_permutations <= 0 or mem.size == 0 or k == 0:
        return hits
    csize = np.diff(cstart)
    n_cells = len(csize)
    cell = np.repeat(np.arange(n_cells), csize)[mem]
    mcol = col[mem]
    m_cnt = np.bincount(cell, minlength=n_cells)
    cmin = np.full(n_cells, k, np.int64)
    cmax = np.full(n_cells, -1, np.int64)
    np.minimum.at(cmin, cell, mcol)
    np.maximum.at(cmax, cell, mcol)
    small = csize <= _TABLE_MAX
    single = ~small & (cmin == cmax) & (m_cnt > 0)  # one tested group: a subset
    multi = ~small & (cmin != cmax) & (m_cnt > 0)
    dense = multi & (_INJECT_SHARE * csize < m_cnt)

    # Small cells, per (cell, column): tables of subset sums.
    in_small = small[cell]
    v_key, v_m = np.unique(cell[in_small] * k + mcol[in_small], return_counts=True)
    v_cells, v_col = v_key // k, v_key % k
    v_off, v_count, v_sums = _subset_tables(cstart, csize, v_m, v_cells, residuals)
    v_countf = v_count.astype(np.float64)
    # Larger one-column cells: selection sampling.
    u_cells = np.flatnonzero(single)
    u_col = cmin[u_cells]
    # Larger multi-column cells: members one by one (injection, or argsort by cell size).
    inj = multi[cell] & ~dense[cell]
    i_mem, i_cell, i_col = mem[inj], cell[inj], mcol[inj]
    i_cells, i_inv = np.unique(i_cell, return_inverse=True)
    i_off = np.concatenate([[0], np.cumsum(csize[i_cells])])
    i_key0 = i_off[:-1][i_inv]
    srt = np.flatnonzero(dense[cell])
    srt = srt[np.argsort(csize[cell[srt]], kind="stable")]  # one contiguous slice per cell size
    s_cell, s_col = cell[srt], mcol[srt]
    s_slot, s_size = mem[srt] - cstart[s_cell], csize[s_cell]
    buckets = []  # (size, slice, cells in the bucket, cell start per member, flat index in the bucket)
    for size in np.unique(s_size[s_size <= _BUCKET_MAX]).tolist():
        a, b = np.searchsorted(s_size, [size, size + 1])
        b_cells, b_inv = np.unique(s_cell[a:b], return_inverse=True)
        buckets.append((size, slice(a, b), len(b_cells), cstart[s_cell[a:b]], b_inv * size + s_slot[a:b]))
    huge = np.flatnonzero(s_size > _BUCKET_MAX)
    h_total = 0
    if huge.size:
        h_cells = np.unique(s_cell[huge])
        h_sizes = csize[h_cells]
        h_off = np.concatenate([[0], np.cumsum(h_sizes)])
        h_total = int(h_off[-1])
        h_local = np.repeat(np.arange(len(h_cells), dtype=np.float64), h_sizes)
        h_global = np.repeat(cstart[h_cells] - h_off[:-1], h_sizes) + np.arange(h_total)
        h_at = h_off[np.searchsorted(h_cells, s_cell[huge])] + s_slot[huge]

    # Per replicate and column, Σ e over the images; each path batches replicates by its own width.
    sums = [np.zeros((n_permutations, k)) for _ in residuals]

    def batches(width: int):
        step = max(1, min(n_permutations, _BATCH_ELEMENTS // max(width, 1)))
        for r0 in range(0, n_permutations, step):
            kk = min(step, n_permutations - r0)
            yield r0, kk, (np.arange(kk, dtype=np.int64)[:, None] * k)

    def add(r0: int, kk: int, idx: np.ndarray, values: list[np.ndarray]) -> None:
        for out, v in zip(sums, values, strict=True):
            out[r0:r0 + kk] += np.bincount(idx.ravel(), weights=v.ravel(), minlength=kk * k).reshape(kk, k)

    if v_cells.size:
        for r0, kk, rep in batches(len(v_cells)):
            at = v_off + np.minimum((rng.random((kk, len(v_cells))) * v_countf).astype(np.int64), v_count - 1)
            add(r0, kk, rep + v_col, [t[at] for t in v_sums])
    if u_cells.size:
        for r0, kk, rep in batches(len(u_cells)):
            add(r0, kk, rep + u_col, _subset_sums(rng, kk, cstart[u_cells], csize[u_cells], m_cnt[u_cells], residuals))
    if i_mem.size:
        for r0, kk, rep in batches(max(i_mem.size, int(i_off[-1]))):
            pos = cstart[i_cell] + _inject(rng, kk, csize[i_cell], i_key0, int(i_off[-1]))
            add(r0, kk, rep + i_col, [e[pos] for e in residuals])
    if srt.size:
        width = max(srt.size, h_total, max((b[2] * b[0] for b in buckets), default=0))
        for r0, kk, rep in batches(width):
            q = np.empty((kk, srt.size), np.int64)
            for size, part, n_cells_b, starts, flat_at in buckets:
                sigma = np.argsort(rng.integers(0, 2**32, (kk, n_cells_b, size), dtype=np.uint32), axis=2)
                q[:, part] = starts + np.take(sigma.reshape(kk, -1), flat_at, axis=1)
            if huge.size:
                sigma = np.argsort(h_local + rng.random((kk, len(h_local))), axis=1)
                q[:, huge] = h_global[sigma[:, h_at]]
            add(r0, kk, rep + s_col, [e[q] for e in residuals])
    with np.errstate(invalid="ignore"):  # observed = +inf: a (group, outcome) not asked for
        bar = np.where(np.isfinite(observed), observed - 1e-12 * np.maximum(1.0, np.abs(observed)), np.inf)
    for j in range(n_out):
        hits[j] = (sums[j] >= bar[j]).sum(axis=0)
    return hits


def permutation_p(
    cells: np.ndarray, member: np.ndarray, e: np.ndarray, observed: float, n_permutations: int, rng: np.random.Generator
) -> float:
    """Empirical one-sided p-value of Σ member·e under shuffles of ``member`` within cells.

    ``cells`` are integer cell ids; ``e`` the within-cell residuals. The statistic's
    denominator is invariant under within-cell shuffles, so the numerator is
    compared directly. Each shuffle draws a uniform random permutation of every
    cell (see :func:`_permutation_hits`).

    >>> rng = np.random.default_rng(0)
    >>> cells = np.repeat(np.arange(50), 4); member = np.tile([1, 0, 0, 0], 50)
    >>> e = np.where(member == 1, 0.03, -0.01)
    >>> permutation_p(cells, member, e, float((member * e).sum()), 99, rng)
    0.01
    """
    cells = np.asarray(cells)
    if n_permutations <= 0 or cells.size == 0:
        return float("nan")
    order = np.argsort(cells, kind="stable")
    cells = cells[order]
    col = np.where(np.asarray(member)[order] != 0, 0, -1)
    brk = np.flatnonzero(cells[1:] != cells[:-1]) + 1
    cstart = np.concatenate([[0], brk, [cells.size]]).astype(np.int64)
    e = np.asarray(e, dtype=np.float64)[order]
    hits = _permutation_hits(cstart, col, [e], np.array([[float(observed)]]), n_permutations, rng)
    return float((1 + hits[0, 0]) / (1 + n_permutations))


# ------------------------------------------------------------------------ rounds
def _map(fn: Callable, items: Sequence) -> list:
    """``[fn(x) for x in items]`` on up to ``_MAX_WORKERS`` threads (numpy and scipy
    release the GIL in the heavy loops); results in order. Nothing run this way
    draws random numbers, so the results do not depend on the scheduling."""
    workers = max(1, min(len(items), os.cpu_count() or 1, _MAX_WORKERS))
    if workers == 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


@lru_cache(maxsize=1)
def _libc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_memory() -> None:
    """Give the heap pages numpy's freed temporaries leave behind back to the system
    (glibc keeps them otherwise: ~1.6 GB of RSS on 10M orders). No-op without glibc."""
    trim = _libc_trim()
    if trim is not None:
        trim(0)


@dataclass
class _Audit:
    """State shared by the rounds of one audit."""

    data: _Data
    sets: list[tuple[str, ...]]
    settings: Settings
    weights: np.ndarray  # customers × n_bootstrap, uint8
    uniforms: np.ndarray  # n_placebo × customers
    structs: dict[tuple[tuple[str, ...], str], _Struct]
    metric_key: dict[str, str]  # metric -> metric whose valid rows are the same
    uorder: np.ndarray = field(init=False)  # per placebo draw: customers by increasing uniform
    usorted: np.ndarray = field(init=False)  # per placebo draw: the sorted uniforms

    half: np.ndarray = field(init=False)  # per placebo draw: 1.0 where u < 0.5 (the A/A split)
    uniforms_t: np.ndarray = field(init=False)  # customers × draws

    def __post_init__(self) -> None:
        self.uorder = np.argsort(self.uniforms, axis=1, kind="stable").astype(np.int32)
        self.usorted = np.take_along_axis(self.uniforms, self.uorder, axis=1)
        self.half = (self.uniforms < 0.5).astype(np.float64)
        self.uniforms_t = np.ascontiguousarray(self.uniforms.T)

    def struct(self, attrs: tuple[str, ...], metric: str) -> _Struct:
        key = (attrs, self.metric_key[metric])
        if key not in self.structs:
            self.structs[key] = _build(self.data, attrs, metric, self.settings)
        return self.structs[key]

    def outcome(self, metric: str, adj: dict[str, np.ndarray]) -> np.ndarray:
        return self.data.metric[metric] - adj[metric]


def _perm_rng(settings: Settings, rnd: int, *ids: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([settings.seed, 0x5045524D, rnd, *ids]))


def _test_round(au: _Audit, adj: dict[str, np.ndarray], rnd: int, *, with_aa: bool, perm_all: bool = True,
                skip: set[tuple[str, str]] = frozenset()) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """One round: every group of every set and metric, with corrected p-values.

    Returns the round's table and, in the first round (``with_aa``), the per group
    × sku estimates of every set and metric (later rounds compute them only for
    the groups that need them, see :func:`_round_skus`)."""
    settings, data = au.settings, au.data
    alpha = settings.alpha
    keys: list[tuple[tuple[str, ...], str]] = [(attrs, m) for m in settings.metrics for attrs in au.sets]
    y = {m: au.outcome(m, adj) for m in settings.metrics}
    computed: dict[int, _Round] = {}

    def res(ki: int) -> _Round:  # this round's residuals of one (set, metric), computed once
        if ki not in computed:
            attrs, metric = keys[ki]
            computed[ki] = _residuals(au.struct(attrs, metric), y[metric])
        return computed[ki]

    missing = list(dict.fromkeys((a, au.metric_key[m]) for a, m in keys if (a, au.metric_key[m]) not in au.structs))
    for key, st in zip(missing, _map(lambda k: _build(data, k[0], k[1], settings), missing), strict=True):
        au.structs[key] = st

    def first_pass(ki: int) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        attrs, metric = keys[ki]
        st = au.struct(attrs, metric)
        rd = res(ki)
        with np.errstate(invalid="ignore", divide="ignore"):
            z_lb = np.where(rd.vperm > 0, rd.a / np.sqrt(rd.vperm), 0.0)
        if not (st.testable & (rd.a > 0) & (_sp.ndtr(-z_lb) < alpha)).any():
            del computed[ki]  # nothing here can pass: later steps will not need the residuals
        se = None
        if with_aa:
            se = _sku_effects(st, data, rd, alpha)
            aff = _affected(se)
            aa = _floor(_placebo_betas(au, st, rd.e, [0.5])[0])
            se = se.with_columns(pl.lit("&".join(attrs)).alias("attribute"), pl.lit(metric).alias("metric"))
        else:
            aff, aa = None, float("nan")
        g = _group_frame(st, rd)
        if aff is not None:
            g = g.join(aff, on="label", how="left")
        return g.with_columns(
            pl.lit(ki).alias("_key"),
            pl.lit("&".join(attrs)).alias("attribute"),
            pl.lit(metric).alias("metric"),
            pl.lit(aa).alias("aa_floor"),
            pl.lit(len(attrs) == 1 and attrs[0] in CONFIRMATORY_ATTRIBUTES).alias("confirmatory"),
        ), se

    done = _map(first_pass, range(len(keys)))
    rows = [g for g, _ in done]
    skus = [se for _, se in done if se is not None]
    table = pl.concat(rows, how="diagonal_relaxed")
    n_rows = table.height
    offsets = np.concatenate([[0], np.cumsum([r.height for r in rows])])
    _release_memory()
    # Bootstrap only where it can matter: the groups that Holm / BH would reject with
    # se_perm alone (p there is a lower bound of p, and both procedures are
    # monotone), with β > 0. One batched product for the whole round.
    a_, b_, v_ = (table[c].to_numpy() for c in ("a", "b", "vperm"))
    tested_ = (
        (table["n_inf"].to_numpy() >= settings.min_group_orders)
        & (table["customers_inf"].to_numpy() >= settings.min_group_customers)
        & (table["rest_inf"].to_numpy() >= settings.min_group_orders) & (b_ > 0)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        beta_ = np.where(b_ > 0, a_ / b_, np.nan)
        se_perm_ = np.where(b_ > 0, np.sqrt(v_) / b_, np.nan)
        z_lb = np.where(se_perm_ > 0, beta_ / se_perm_, 0.0)
    p_lb = np.where(tested_, _sp.ndtr(-z_lb), np.nan)
    conf_ = table["confirmatory"].to_numpy()
    p_adj_lb = family_adjusted(p_lb, conf_)
    can_pass = tested_ & (beta_ > 0) & (p_adj_lb < alpha) if not _BOOTSTRAP_EVERY_TESTED_GROUP else tested_
    ci_low, ci_high, se_boot = np.full(n_rows, np.nan), np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    if settings.n_bootstrap > 0 and data.n_cust and can_pass.any():
        plan = []
        for ki, (attrs, metric) in enumerate(keys):
            groups = np.flatnonzero(can_pass[offsets[ki]:offsets[ki + 1]])
            if groups.size == 0:
                continue
            st = au.struct(attrs, metric)
            missing = [int(g) for g in groups if int(g) not in st.den]
            plan.append((ki, st, groups, missing))
        mats = _map(lambda x: _contrasts(x[1], data, res(x[0]).e, x[2]), plan)
        den_plan = [x for x in plan if x[3]]
        den_mats = _map(lambda x: _contrasts(x[1], data, None, np.array(x[3])), den_plan)
        nums = _weighted_sums(mats, au.weights)
        dens = iter(_weighted_sums(den_mats, au.weights))
        for (ki, st, groups, missing), num in zip(plan, nums, strict=True):
            if missing:
                d = next(dens)
                for j, gidx in enumerate(missing):
                    st.den[gidx] = d[:, j].copy()
            den = np.column_stack([st.den[int(g)] for g in groups])
            at = offsets[ki] + groups
            ci_low[at], ci_high[at], se_boot[at] = _intervals(num, den)
    _release_memory()
    table = table.with_columns(pl.Series("ci_low", ci_low), pl.Series("ci_high", ci_high),
                               pl.Series("se_boot", se_boot))
    if "affected_effect" not in table.columns:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("affected_effect"),
                                   pl.lit(None, pl.List(pl.String)).alias("affected_skus"))
    table = table.select(
        "label", "gidx", "orders", "customers", "a", "b", "vperm", "n_inf", "rest_inf", "customers_inf",
        "ci_low", "ci_high", "se_boot", "affected_effect", "affected_skus", "attribute", "metric", "aa_floor",
        "confirmatory", "_key",
    )
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
    p = np.where(table["tested"].to_numpy(), _sp.ndtr(-z), np.nan)
    conf = table["confirmatory"].to_numpy()
    p_adj = family_adjusted(p, conf)
    table = table.with_columns(pl.Series("p", p), pl.Series("p_adj", p_adj))
    if not with_aa:
        # Per-sku effects (for the material effect) of the groups that can pass only.
        need = table.with_row_index("_i").filter(
            pl.col("tested") & (pl.col("p_adj") < alpha) & (pl.col("beta") > 0))
        parts = []
        for (ki,), part in need.group_by("_key", maintain_order=True):
            st = au.struct(*keys[ki])
            se = _sku_effects(st, data, res(ki), alpha, only=part["gidx"].to_numpy())
            parts.append(_affected(se).with_columns(pl.lit(ki).alias("_key")))
        if parts:
            columns = table.columns
            table = table.drop("affected_effect", "affected_skus").join(
                pl.concat(parts), on=["_key", "label"], how="left").select(columns)
    table = table.with_columns(
        pl.when(pl.col("confirmatory")).then(pl.lit("holm, then bonferroni across families"))
        .otherwise(pl.lit("bh, then bonferroni across families")).alias("correction"),
        pl.max_horizontal(pl.col("beta"), pl.col("affected_effect").fill_null(-np.inf)).alias("material_effect"),
    ).with_columns(
        (pl.col("tested") & (pl.col("p_adj") < alpha) & (pl.col("beta") > 0)
         & (pl.col("material_effect") >= settings.min_premium)).alias("significant_material")
    )
    # Placebo floor for the groups that pass so far (pseudo-groups of their size).
    pf = np.full(table.height, np.nan)
    sel = table.with_row_index("_i").filter(pl.col("significant_material"))
    parts = list(sel.group_by("_key", maintain_order=True))

    def floors(item: tuple) -> list[float]:
        (ki,), part = item
        st = au.struct(*keys[ki])
        total = max(int(st.rows.size), 1)
        shares = [int(n) / total for n in part["n_inf"].to_list()]
        return [_floor(b) for b in _placebo_betas(au, st, res(ki).e, shares)]

    for (_, part), fl in zip(parts, _map(floors, parts), strict=True):
        pf[part["_i"].to_numpy()] = fl
    _release_memory()
    table = table.with_columns(pl.Series("placebo_floor", pf))
    table = table.with_columns(
        pl.coalesce(pl.col("placebo_floor").fill_nan(None), pl.col("aa_floor").fill_nan(None), pl.lit(0.0)).alias("floor")
    )
    # Monte Carlo permutations: every passing group in the first round (reported);
    # later rounds only in pick order (single attributes first, then by z) until
    # one passes; groups not reached stay candidates pending their turn.
    threshold = max(alpha, 1 / (settings.n_permutations + 1))
    p_perm = np.full(table.height, np.nan)
    sel = (
        table.with_row_index("_i")
        .filter(pl.col("significant_material") & (pl.col("beta") > pl.col("floor")))
        .with_columns(pl.col("attribute").str.contains("&").alias("_pair"))
        .sort(["_pair", "z"], descending=[False, True])
    )
    if skip:
        sel = sel.filter(~pl.struct("label", "metric").is_in([{"label": a, "metric": b} for a, b in skip]))
    # A group whose Cantelli bound already proves the exact permutation p-value ≤ alpha
    # needs no Monte Carlo (:func:`cantelli_p`); only the others are shuffled.
    sel = sel.with_columns(pl.Series("_bound", cantelli_p(sel["a"].to_numpy(), sel["vperm"].to_numpy())))
    method = np.full(table.height, None, dtype=object)
    if perm_all:
        proven = sel.filter(pl.col("_bound") <= threshold)
        p_perm[proven["_i"].to_numpy()] = proven["_bound"].to_numpy()
        method[proven["_i"].to_numpy()] = "cantelli_bound"
        shuffled = sel.filter(pl.col("_bound") > threshold)
        _permute_all(au, keys, res, shuffled, p_perm, rnd)
        method[shuffled["_i"].to_numpy()] = "monte_carlo"
    else:
        for i, ki, gidx, beta, b, bound in sel.select("_i", "_key", "gidx", "beta", "b", "_bound").rows():
            if bound <= threshold:
                p_perm[i], method[i] = bound, "cantelli_bound"
                break
            attrs, metric = keys[ki]
            st = au.struct(attrs, metric)
            rd = res(ki)
            col = np.where(st.lab == gidx, 0, -1)
            hits = _permutation_hits(st.cstart, col, [rd.e], np.array([[beta * b]]), settings.n_permutations,
                                     _perm_rng(settings, rnd, ki, gidx))
            p_perm[i], method[i] = (1 + hits[0, 0]) / (1 + settings.n_permutations), "monte_carlo"
            if p_perm[i] <= threshold:
                break
    computed.clear()
    _release_memory()
    table = table.with_columns(pl.Series("p_perm", p_perm),
                               pl.Series("p_perm_method", method.tolist(), dtype=pl.String)).with_columns(
        (pl.col("significant_material") & (pl.col("beta") > pl.col("floor"))
         & pl.col("p_perm").fill_nan(None).le(threshold).fill_null(not perm_all)).alias("candidate")
    )
    return table, (pl.concat(skus, how="diagonal_relaxed") if with_aa else None)


def family_adjusted(p: np.ndarray, confirmatory: np.ndarray) -> np.ndarray:
    """Adjusted p-values, one run-level error rate for the whole audit.

    Holm within the confirmatory family, Benjamini–Hochberg within the rest, each
    then multiplied by the number of families that hold a test (Bonferroni across
    families, capped at 1): a run raises a false ``price_disparity`` with
    probability at most ``alpha`` in all, not ``alpha`` per family. (Measured before
    this on 20 clean samples: 2 runs with a false flag, both at family-adjusted p
    0.031–0.033, as ~2·alpha predicts.) NaN (untested) stays NaN.

    >>> family_adjusted(np.array([0.01, 0.02, 0.001, np.nan]), np.array([True, True, False, False])).tolist()
    [0.04, 0.04, 0.002, nan]
    """
    p = np.asarray(p, dtype=np.float64)
    conf = np.asarray(confirmatory, dtype=bool)
    out = np.full_like(p, np.nan)
    out[conf] = holm(p[conf])
    out[~conf] = benjamini_hochberg(p[~conf])
    families = int(np.isfinite(p[conf]).any()) + int(np.isfinite(p[~conf]).any())
    return np.minimum(out * max(families, 1), 1.0)


def cantelli_p(observed: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """A distribution-free upper bound of the exact one-sided permutation p-value.

    Under within-cell permutation the numerator T = Σ D·e has mean 0 and the exact
    variance ``vperm`` (sampling without replacement), so Cantelli's one-sided
    inequality gives P(T ≥ t) ≤ σ² / (σ² + t²) for t > 0, whatever the shape of the
    permutation distribution. When that bound is already ≤ alpha (z = t/σ ≥
    √(1/alpha − 1), 4.36 at 5 %), Monte Carlo shuffles could only add Monte Carlo
    error: the bound is reported instead. 1 where t ≤ 0 or σ² = 0.

    >>> cantelli_p(np.array([3.0, 5.0, -1.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.0])).round(4).tolist()
    [0.1, 0.0385, 1.0, 1.0]
    """
    t = np.asarray(observed, dtype=np.float64)
    v = np.asarray(variance, dtype=np.float64)
    out = np.ones_like(t)
    ok = (t > 0) & (v > 0)
    out[ok] = v[ok] / (v[ok] + t[ok] ** 2)
    return out


def _permute_all(au: _Audit, keys: list[tuple[tuple[str, ...], str]], res: Callable[[int], _Round],
                 sel: pl.DataFrame, p_perm: np.ndarray, rnd: int) -> None:
    """Permutation p-values of every selected group; the groups of one attribute set
    (both metrics when they share the informative orders) share the shuffles."""
    settings = au.settings
    by_struct: dict[int, list[tuple[int, int, int, float]]] = {}
    ids = {}
    for i, ki, gidx, beta, b in sel.select("_i", "_key", "gidx", "beta", "b").rows():
        attrs, metric = keys[ki]
        sk = (attrs, au.metric_key[metric])
        sid = ids.setdefault(sk, au.sets.index(attrs) * len(settings.metrics) + settings.metrics.index(sk[1]))
        by_struct.setdefault(sid, []).append((i, ki, gidx, beta * b))

    def run(sid: int, items: list[tuple[int, int, int, float]]) -> None:
        st = au.struct(*keys[items[0][1]])
        groups = sorted({g for _, _, g, _ in items})
        colmap = np.full(st.n_groups, -1, np.int64)
        colmap[groups] = np.arange(len(groups))
        col = colmap[st.lab]
        metrics = sorted({ki for _, ki, _, _ in items})
        residuals = [res(ki).e for ki in metrics]
        observed = np.full((len(metrics), len(groups)), np.inf)
        for _, ki, gidx, obs in items:
            observed[metrics.index(ki), colmap[gidx]] = obs
        hits = _permutation_hits(st.cstart, col, residuals, observed, settings.n_permutations,
                                 _perm_rng(settings, rnd, sid))
        for i, ki, gidx, _ in items:
            p_perm[i] = (1 + hits[metrics.index(ki), colmap[gidx]]) / (1 + settings.n_permutations)

    # Sets are independent (each has its own random stream): run them on the cores.
    _map(lambda item: run(*item), list(by_struct.items()))


def _round_skus(au: _Audit, adj: dict[str, np.ndarray], attribute: str, metric: str, label: str) -> pl.DataFrame:
    """Per-sku estimates of one group with the given adjustments."""
    attrs = tuple(attribute.split("&"))
    st = au.struct(attrs, metric)
    gidx = st.labels.index(label)
    rd = _residuals(st, au.outcome(metric, adj))
    return _sku_effects(st, au.data, rd, au.settings.alpha, only=np.array([gidx]))


def _membership(au: _Audit, attribute: str, metric: str, label: str) -> np.ndarray:
    """Rows of ``units`` in the group (``group_label(attrs) == label``)."""
    attrs = tuple(attribute.split("&"))
    st = au.struct(attrs, metric)
    combo, _ = _combo(au.data, attrs)
    return combo == st.combos[st.labels.index(label)]


def _adjustments(au: _Audit, picks: list[dict]) -> dict[str, np.ndarray]:
    """``adj_<metric>`` per unit row = the sum of the given flagged groups' per-sku
    premiums on their members' orders (a unit-price premium also lowers the net one)."""
    data, metrics = au.data, au.settings.metrics
    adj = {m: np.zeros(data.n) for m in metrics}
    for pk in picks:
        eff = np.zeros(max(len(data.sku_names), 1))
        e = pk["_eff"]
        if e.height:
            code = pl.Series(e["sku"]).cast(pl.Enum(data.sku_names)).to_physical().to_numpy().astype(np.int64)
            eff[code] = e["_eff"].to_numpy()
        add = np.where(pk["_member"], eff[data.sku] if data.n else 0.0, 0.0)
        targets = [pk["metric"]]
        if pk["metric"] == "log_premium" and "log_net_premium" in metrics:
            targets.append("log_net_premium")
        for m in targets:
            adj[m] = adj[m] + add
    return adj


@dataclass(frozen=True)
class Disparity:
    """Outcome of the stepwise matched audit."""

    groups: pl.DataFrame  # round-0 table, one row per (attribute set, group, metric) + status
    sku_effects: pl.DataFrame  # round-0 per group × sku estimates (every set, metric)
    flagged_sku_effects: pl.DataFrame  # flagged groups × sku, mutually adjusted (``affected`` = carries it)
    flagged: pl.DataFrame  # one row per flagged (group, metric), estimates at selection
    rounds: int
    adjusted_units: pl.DataFrame  # units with adj_* columns after removing flagged premiums


def _weights(rng: np.random.Generator, n_bootstrap: int, n_cust: int) -> np.ndarray:
    """Poisson(1) bootstrap weights, customers × B, as uint8 (drawn row by row in
    the order ``rng.poisson(1.0, size=(B, n_cust))`` draws them)."""
    w = np.empty((n_bootstrap, n_cust), np.uint8)
    step = max(1, 4_000_000 // max(n_cust, 1))
    for b0 in range(0, n_bootstrap, step):
        draws = rng.poisson(1.0, size=(min(step, n_bootstrap - b0), n_cust))
        if draws.size and draws.max() > 255:
            raise OverflowError("Poisson(1) weight above 255")
        w[b0:b0 + draws.shape[0]] = draws
    return np.ascontiguousarray(w.T)


def audit(units: pl.DataFrame, sets: list[tuple[str, ...]], settings: Settings) -> Disparity:
    """Run the stepwise matched audit over ``sets`` on the prepared order ``units``.

    ``units`` needs ``cust`` (0-based customer index), ``cell``, ``cell_ch``,
    ``sku``, the metric columns and the attribute columns.
    """
    rng = np.random.default_rng(settings.seed)
    data = _prepare(units, sets, settings)

    def draws() -> tuple[np.ndarray, np.ndarray]:  # bootstrap weights, then pseudo-group uniforms
        return _weights(rng, settings.n_bootstrap, data.n_cust), rng.random(size=(settings.n_placebo, data.n_cust))

    with ThreadPoolExecutor(1) as pool:  # draw while the per-set structures are built
        drawn = pool.submit(draws)
        metric_key: dict[str, str] = {}
        for m in settings.metrics:
            metric_key[m] = next((k for k in metric_key.values() if np.array_equal(data.valid[k], data.valid[m])), m)
        keys = list(dict.fromkeys((attrs, metric_key[m]) for m in settings.metrics for attrs in sets))
        structs = dict(zip(keys, _map(lambda k: _build(data, k[0], k[1], settings), keys), strict=True))
        weights, uniforms = drawn.result()
    au = _Audit(data, list(sets), settings, weights, uniforms, structs, metric_key)
    adj = {m: np.zeros(data.n) for m in settings.metrics}

    first: pl.DataFrame | None = None
    first_skus: pl.DataFrame | None = None
    picked: list[dict] = []
    echo_of: dict[tuple[str, str], str] = {}
    prev_candidates: set[tuple[str, str]] = set()
    rounds = 0
    for rnd in range(settings.max_rounds):
        rounds = rnd + 1
        table, skus = _test_round(au, adj, rnd, with_aa=(rnd == 0), perm_all=(rnd == 0),
                                  skip={(p["label"], p["metric"]) for p in picked})
        table = table.drop("_key")
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
        se = (
            skus.filter((pl.col("label") == best["label"]) & (pl.col("metric") == best["metric"])
                        & (pl.col("attribute") == best["attribute"]))
            if skus is not None else _round_skus(au, adj, best["attribute"], best["metric"], best["label"])
        )
        best["_eff"] = se.select("sku", pl.col("beta").alias("_eff"))
        best["_member"] = _membership(au, best["attribute"], best["metric"], best["label"])
        picked.append(best)
        adj = _adjustments(au, picked)
    # Mutual adjustment: re-estimate each flagged group's per-sku premium with every
    # *other* flagged group's premium removed (two passes), so that one planted
    # premium does not leak into another group's affected skus through chance
    # correlation of the groups within cells.
    final_skus: dict[int, pl.DataFrame] = {}
    for _ in range(2 if len(picked) > 1 else 1):
        for i, pk in enumerate(picked):
            others = [q for j, q in enumerate(picked) if j != i]
            se = _round_skus(au, _adjustments(au, others), pk["attribute"], pk["metric"], pk["label"])
            final_skus[i] = se
            pk["_eff"] = se.select("sku", pl.col("beta").alias("_eff"))
    adj = _adjustments(au, picked)
    units = units.with_columns(pl.Series(f"adj_{m}", adj[m]) for m in settings.metrics)
    assert first is not None and first_skus is not None
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
        pk.pop("_member")
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


# ---------------------------------------------------------------- one set, frames
@dataclass
class _SetStats:
    """Group and group × sku sums of one (attribute set, metric) on given units
    (for the mitigation view and tests)."""

    attrs: tuple[str, ...]
    metric: str
    groups: pl.DataFrame  # label, gidx, orders, customers, a, b, vperm, n_inf, rest_inf, customers_inf
    by_sku: pl.DataFrame  # label, sku, a, b, vperm, n_inf, rest_inf, beta, z, p, q, affected
    labels: list[str] = field(default_factory=list)


def _set_stats(units: pl.DataFrame, attrs: tuple[str, ...], metric: str, settings: Settings) -> _SetStats:
    """The estimator's sums for one (attribute set, metric) on ``units``, whose
    outcome is ``metric`` minus ``adj_<metric>`` when that column is present."""
    s = Settings(**{**settings.__dict__, "metrics": (metric,)})
    u = units
    if f"adj_{metric}" in units.columns:
        u = units.with_columns((pl.col(metric) - pl.col(f"adj_{metric}")).alias(metric))
    data = _prepare(u, [attrs], s)
    st = _build(data, attrs, metric, s)
    rd = _residuals(st, data.metric[metric])
    return _SetStats(attrs, metric, _group_frame(st, rd), _sku_effects(st, data, rd, settings.alpha), st.labels)


def _group_frame(st: _Struct, rd: _Round) -> pl.DataFrame:
    """One row per group of a set: label, sizes and the estimator's sums a, b, vperm."""
    return pl.DataFrame(
        {
            "label": st.labels, "gidx": np.arange(st.n_groups, dtype=np.int64),
            "orders": st.orders.astype(np.uint32), "customers": st.customers.astype(np.uint32),
            "a": rd.a, "b": st.b, "vperm": rd.vperm, "n_inf": st.n_inf.astype(np.uint32),
            "rest_inf": st.rest_inf.astype(np.uint32), "customers_inf": st.customers_inf.astype(np.uint32),
        },
        schema_overrides={"label": pl.String},
    )

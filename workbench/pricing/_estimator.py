"""The cell fixed-effects estimator of the matched audit, on numpy arrays.

The order units' columns are read once into :class:`_Data`; per (attribute set,
metric) the round-invariant structure (:class:`_Struct`: informative orders
grouped by cell and label, cell sizes, group shares, Σ (D − D̄)², group sizes,
kept as compact numpy arrays) is built once (:func:`_build`); a stepwise round
only recomputes the residuals e = r − r̄_c and the sums over them
(:func:`_residuals`, ``np.bincount`` / ``np.add.reduceat`` on cell-sorted
arrays). :func:`_sku_effects` gives the same estimator per group × sku. The
method is stated in :mod:`workbench.pricing._audit`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import special as _sp

METRICS: tuple[str, ...] = ("log_premium", "log_net_premium")
METRIC_TITLES = {
    "log_premium": "unit price premium",
    "log_net_premium": "net price premium (after coupons)",
}


@dataclass(frozen=True)
class Settings:
    """Parameters of the matched comparison (see :func:`workbench.pricing.analyze`)."""

    cell_includes_channel: bool = True
    min_group_orders: int = 200
    min_group_customers: int = 50
    min_cell_orders: int = 2
    min_cell_customers: int = 2
    alpha: float = 0.05
    min_premium: float = 0.01
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


def _distinct_per_label(
    lab: np.ndarray, cust: np.ndarray, n_labels: int, n_cust: int
) -> np.ndarray:
    """Number of distinct customers per label."""
    if lab.size == 0:
        return np.zeros(n_labels, np.int64)
    if n_labels * n_cust <= 64_000_000:
        seen = np.zeros(n_labels * n_cust, bool)
        seen[lab.astype(np.int64) * n_cust + cust] = True
        return seen.reshape(n_labels, n_cust).sum(axis=1)
    key = np.unique(lab.astype(np.int64) * n_cust + cust)
    return np.bincount(key // n_cust, minlength=n_labels)


def _cell_customers(cust: np.ndarray, cs: np.ndarray, ce: np.ndarray, k: int) -> np.ndarray:
    """Whether each cell (rows ``cs[i]:ce[i]`` of ``cust``) holds ≥ ``k`` customers."""
    if k <= 2:  # two customers: not all rows of one (cheap: min ≠ max)
        return np.minimum.reduceat(cust, cs) != np.maximum.reduceat(cust, cs)
    cell = np.repeat(np.arange(cs.size), ce - cs)
    o = np.lexsort((cust, cell))
    first = np.concatenate([[True], (cell[o][1:] != cell[o][:-1]) | (cust[o][1:] != cust[o][:-1])])
    return np.bincount(cell[o], weights=first, minlength=cs.size) >= k


# ------------------------------------------------------- one (attribute set, metric)
@dataclass
class _Struct:
    """The round-invariant part of one (attribute set, metric): informative orders
    grouped by cell and, within a cell, by label; sizes and Σ (D − D̄)².
    """

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
    present = (
        np.flatnonzero(np.bincount(combo[valid], minlength=space) > 0)
        if space else np.zeros(0, np.int64)
    )
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
        informative &= (ce - cs) >= settings.min_cell_orders
        if settings.min_cell_customers > 1:
            informative &= _cell_customers(data.cust[r], cs, ce, settings.min_cell_customers)
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
    return _Struct(attrs, labels, combos, r.astype(np.int32), lab.astype(np.int32), cstart, pstart,
                   plab, pcell,
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


def _sku_effects(
    st: _Struct, data: _Data, rd: _Round, alpha: float, only: np.ndarray | None = None
) -> pl.DataFrame:
    """Per group × sku: a, b, vperm, β, permutation z, BH q within the group, ``affected``
    (for every group, or the labels ``only``).
    """
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
    coef = pn * (big_n - pn) / (big_n * (big_n - 1))
    vperm = np.bincount(key_p, weights=coef * rd.ss[pcell], minlength=size)
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



# ---------------------------------------------------------------- one set, frames
@dataclass
class _SetStats:
    """Group and group × sku sums of one (attribute set, metric) on given units
    (for the mitigation view and tests).
    """

    attrs: tuple[str, ...]
    metric: str
    # label, gidx, orders, customers, a, b, vperm, n_inf, rest_inf, customers_inf
    groups: pl.DataFrame
    by_sku: pl.DataFrame  # label, sku, a, b, vperm, n_inf, rest_inf, beta, z, p, q, affected
    labels: list[str] = field(default_factory=list)


def _set_stats(
    units: pl.DataFrame, attrs: tuple[str, ...], metric: str, settings: Settings
) -> _SetStats:
    """The estimator's sums for one (attribute set, metric) on ``units``, whose
    outcome is ``metric`` minus ``adj_<metric>`` when that column is present.
    """
    s = Settings(**{**settings.__dict__, "metrics": (metric,)})
    u = units
    if f"adj_{metric}" in units.columns:
        u = units.with_columns((pl.col(metric) - pl.col(f"adj_{metric}")).alias(metric))
    data = _prepare(u, [attrs], s)
    st = _build(data, attrs, metric, s)
    rd = _residuals(st, data.metric[metric])
    skus = _sku_effects(st, data, rd, settings.alpha)
    return _SetStats(attrs, metric, _group_frame(st, rd), skus, st.labels)


def _group_frame(st: _Struct, rd: _Round) -> pl.DataFrame:
    """One row per group of a set: label, sizes and the estimator's sums a, b, vperm."""
    return pl.DataFrame(
        {
            "label": st.labels, "gidx": np.arange(st.n_groups, dtype=np.int64),
            "orders": st.orders.astype(np.uint32), "customers": st.customers.astype(np.uint32),
            "a": rd.a, "b": st.b, "vperm": rd.vperm, "n_inf": st.n_inf.astype(np.uint32),
            "rest_inf": st.rest_inf.astype(np.uint32),
            "customers_inf": st.customers_inf.astype(np.uint32),
        },
        schema_overrides={"label": pl.String},
    )

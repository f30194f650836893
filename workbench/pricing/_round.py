"""One round of the stepwise audit: every group of every set tested, corrected, checked.

:func:`_test_round` runs the round's steps in order, each a named function:

1. :func:`_first_pass` — per (attribute set, metric): residuals, the group sums
   (and in the first round the per-sku effects and the A/A floor);
2. :func:`_clustered_se` — the customer-clustered standard error, only for the
   groups :func:`_se_targets` says can still be flagged;
3. :func:`_corrected` — β, z (larger of the two standard errors), p and the
   family-adjusted p (:func:`family_adjusted`);
4. :func:`_material` — the premium on the affected skus and the practical
   threshold;
5. :func:`_placebo_floors` — the placebo floor of the groups that pass so far;
6. :func:`_permutation_p` — Monte Carlo (or Cantelli) permutation p-values and
   the round's ``candidate`` flag.

Where the expensive inference runs
    The clustered standard error is computed only for groups that can still be
    flagged: tested, β > 0, and rejected by Holm / Benjamini–Hochberg when p is
    computed from ``se_perm`` alone. Because se = max(se_perm, se_cluster) ≥
    se_perm, that p is a lower bound of the true p; both procedures are monotone,
    and their rejections (and the adjusted p of a rejected hypothesis) depend only
    on the p-values below ``alpha``, whose ranks do not change when larger p-values
    are replaced by other values above ``alpha``. So every decision, and β,
    interval, z, p and adjusted p of every group that can pass, are what computing
    it for every group gives; the other groups have no interval (``ci_low``,
    ``ci_high``, ``se_cluster`` null) and their z and p use ``se_perm`` alone
    (bounds: z ≥ z_true, p ≤ p_true). The placebo floor runs for the groups that
    pass so far (``significant_material``) and the permutations for those above
    their floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import special as _sp

from workbench.pricing._affected import (
    AFFECTED_SKUS,
    ALL_SKUS,
    P_VALUE_METHOD_AFFECTED,
    crossfit_step,
    permute_affected,
)
from workbench.pricing._attributes import CONFIRMATORY_ATTRIBUTES
from workbench.pricing._cluster import _contrasts, clustered_se, wald_interval
from workbench.pricing._estimator import (
    Settings,
    _affected,
    _build,
    _Data,
    _group_frame,
    _residuals,
    _Round,
    _sku_effects,
    _Struct,
)
from workbench.pricing._materiality import crossfit_effects, customer_folds
from workbench.pricing._multiplicity import family_adjusted, two_statistics_p
from workbench.pricing._parallel import _map, _release_memory
from workbench.pricing._permutations import _permutation_hits, cantelli_p
from workbench.pricing._placebo import _floor, _Placebo, _placebo_betas

Key = tuple[tuple[str, ...], str]  # (attribute set, metric)
#: Groups whose per-customer contrasts are held at a time (memory).
_SE_GROUPS = 32
#: How ``p_adj``, the one p-value a finding states, is obtained (``correction`` says
#: which multiplicity family). ``p_perm`` (permutation check) and the placebo floor
#: are further conditions of the flag, not other p-values of the same test.
P_VALUE_METHOD = (
    "one-sided normal test of beta/se with se = max(exact within-cell permutation se, "
    "customer-clustered (CR1 sandwich) se), adjusted for multiplicity"
)


_ROUND_COLUMNS = (
    "label", "gidx", "orders", "customers", "a", "b", "vperm", "n_inf", "rest_inf",
    "customers_inf", "se_cluster", "affected_effect", "affected_skus",
    "attribute", "metric", "aa_floor", "confirmatory", "_key", "xfit_effect", "xfit_skus",
    "z_affected",
)


@dataclass
class _Audit:
    """State shared by the rounds of one audit."""

    data: _Data
    sets: list[tuple[str, ...]]
    settings: Settings
    placebo: _Placebo
    structs: dict[Key, _Struct]
    metric_key: dict[str, str]  # metric -> metric whose valid rows are the same
    folds: np.ndarray | None = None  # customer fold 0/1 of the cross-fitted materiality

    def fold(self) -> np.ndarray:
        """Fold (0/1) per customer index, drawn once per audit (seeded)."""
        if self.folds is None:
            self.folds = customer_folds(self.data.n_cust, self.settings.seed)
        return self.folds

    def struct(self, attrs: tuple[str, ...], metric: str) -> _Struct:
        key = (attrs, self.metric_key[metric])
        if key not in self.structs:
            self.structs[key] = _build(self.data, attrs, metric, self.settings)
        return self.structs[key]

    def outcome(self, metric: str, adj: dict[str, np.ndarray]) -> np.ndarray:
        return self.data.metric[metric] - adj[metric]


@dataclass
class _RoundState:
    """One round: its (set, metric) keys, outcomes and residuals computed once."""

    au: _Audit
    adj: dict[str, np.ndarray]
    keys: list[Key] = field(init=False)
    y: dict[str, np.ndarray] = field(init=False)
    computed: dict[int, _Round] = field(default_factory=dict)

    def __post_init__(self) -> None:
        metrics = self.au.settings.metrics
        self.keys = [(attrs, m) for m in metrics for attrs in self.au.sets]
        self.y = {m: self.au.outcome(m, self.adj) for m in metrics}

    def struct(self, ki: int) -> _Struct:
        return self.au.struct(*self.keys[ki])

    def res(self, ki: int) -> _Round:
        """The round's residuals of one (set, metric), computed once."""
        if ki not in self.computed:
            attrs, metric = self.keys[ki]
            self.computed[ki] = _residuals(self.au.struct(attrs, metric), self.y[metric])
        return self.computed[ki]


def _perm_rng(settings: Settings, rnd: int, *ids: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([settings.seed, 0x5045524D, rnd, *ids]))


def _test_round(au: _Audit, adj: dict[str, np.ndarray], rnd: int, *, with_aa: bool,
                perm_all: bool = True, skip: set[tuple[str, str]] = frozenset(),
                ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """One round: every group of every set and metric, with corrected p-values.

    Returns the round's table and, in the first round (``with_aa``), the per group
    × sku estimates of every set and metric (later rounds compute them only for
    the groups that need them, see :func:`workbench.pricing._audit._round_skus`).
    """
    rs = _RoundState(au, adj)
    missing = list(dict.fromkeys((a, au.metric_key[m]) for a, m in rs.keys
                                 if (a, au.metric_key[m]) not in au.structs))
    built = _map(lambda k: _build(au.data, k[0], k[1], au.settings), missing)
    for key, st in zip(missing, built, strict=True):
        au.structs[key] = st

    done = _map(lambda ki: _first_pass(rs, ki, with_aa), range(len(rs.keys)))
    rows = [g for g, _ in done]
    skus = [se for _, se in done if se is not None]
    table = pl.concat(rows, how="diagonal_relaxed")
    offsets = np.concatenate([[0], np.cumsum([r.height for r in rows])])
    table = crossfit_step(rs, table, _tested(rs.au.settings))
    _release_memory()
    table = table.with_columns(pl.Series("se_cluster", _clustered_se(rs, table, offsets)))
    _release_memory()
    if "affected_effect" not in table.columns:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("affected_effect"),
                                   pl.lit(None, pl.List(pl.String)).alias("affected_skus"))
    table = _corrected(table.select(*_ROUND_COLUMNS), au.settings)
    if not with_aa:
        table = _affected_of_passing(rs, table)
    table = _material(rs, table)
    table = _placebo_floors(rs, table)
    table = _permutation_p(rs, table, rnd, perm_all=perm_all, skip=skip)
    rs.computed.clear()
    _release_memory()
    return table, (pl.concat(skus, how="diagonal_relaxed") if with_aa else None)


def _first_pass(rs: _RoundState, ki: int,
                with_aa: bool) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The group sums of one (set, metric); in the first round also its per-sku
    effects, the affected skus and the A/A floor.
    """
    au, alpha = rs.au, rs.au.settings.alpha
    attrs, metric = rs.keys[ki]
    st = au.struct(attrs, metric)
    rd = rs.res(ki)
    with np.errstate(invalid="ignore", divide="ignore"):
        z_lb = np.where(rd.vperm > 0, rd.a / np.sqrt(rd.vperm), 0.0)
    if not (st.testable & (rd.a > 0) & (_sp.ndtr(-z_lb) < alpha)).any():
        del rs.computed[ki]  # nothing here can pass: later steps will not need the residuals
    se = None
    if with_aa:
        se = _sku_effects(st, au.data, rd, alpha)
        aff = _affected(se)
        aa = _floor(_placebo_betas(au.placebo, au.data, st, rd.e, [0.5])[0])
        se = se.with_columns(pl.lit("&".join(attrs)).alias("attribute"),
                             pl.lit(metric).alias("metric"))
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


def _se_targets(table: pl.DataFrame, settings: Settings) -> np.ndarray:
    """The rows the clustered standard error is computed for: tested, β > 0, and
    rejected by Holm / BH with p from ``se_perm`` alone (a lower bound of p; both
    procedures are monotone).
    """
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
    p_lb = two_statistics_p(p_lb, table["z_affected"].to_numpy())
    p_adj_lb = family_adjusted(p_lb, table["confirmatory"].to_numpy())
    return tested_ & (beta_ > 0) & (p_adj_lb < settings.alpha)


def _clustered_se(rs: _RoundState, table: pl.DataFrame, offsets: np.ndarray) -> np.ndarray:
    """``se_cluster`` (:func:`~workbench.pricing._cluster.clustered_se`) of the
    :func:`_se_targets` (NaN elsewhere), about ``_SE_GROUPS`` groups at a time.
    """
    au, settings, n_rows = rs.au, rs.au.settings, table.height
    can_pass = _se_targets(table, settings)
    se = np.full(n_rows, np.nan)
    if not (au.data.n_cust and can_pass.any()):
        return se
    plan = []
    for ki, (attrs, metric) in enumerate(rs.keys):
        groups = np.flatnonzero(can_pass[offsets[ki]:offsets[ki + 1]])
        for g0 in range(0, groups.size, _SE_GROUPS):
            plan.append((ki, au.struct(attrs, metric), groups[g0:g0 + _SE_GROUPS]))

    def one(item: tuple) -> np.ndarray:
        ki, st, groups = item
        return clustered_se(_contrasts(st, au.data, rs.res(ki).e, groups),
                            _contrasts(st, au.data, None, groups))

    for (ki, _, groups), values in zip(plan, _map(one, plan), strict=True):
        se[offsets[ki] + groups] = values
    return se


def _tested(settings: Settings) -> pl.Expr:
    return (
        (pl.col("n_inf") >= settings.min_group_orders)
        & (pl.col("customers_inf") >= settings.min_group_customers)
        & (pl.col("rest_inf") >= settings.min_group_orders)
        & (pl.col("b") > 0)
    )


def _corrected(table: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """``tested``, β, ``se_perm``, se = max(se_perm, se_cluster), z, the Wald interval
    (where ``se_cluster`` was computed), p and ``p_adj``.
    """
    table = table.with_columns(
        _tested(settings).alias("tested"),
        pl.when(pl.col("b") > 0).then(pl.col("a") / pl.col("b")).alias("beta"),
        pl.when(pl.col("b") > 0).then(pl.col("vperm").sqrt() / pl.col("b")).alias("se_perm"),
    ).with_columns(
        pl.max_horizontal(pl.col("se_perm"), pl.col("se_cluster").fill_nan(None)).alias("se"),
    ).with_columns(
        pl.when(pl.col("se") > 0).then(pl.col("beta") / pl.col("se")).otherwise(0.0).alias("z"),
    )
    clustered = table["se_cluster"].is_not_nan().fill_null(False).to_numpy()
    low, high = wald_interval(table["beta"].fill_null(np.nan).to_numpy(),
                              table["se"].fill_null(np.nan).to_numpy())
    table = table.with_columns(
        pl.Series("ci_low", np.where(clustered, low, np.nan)).fill_nan(None),
        pl.Series("ci_high", np.where(clustered, high, np.nan)).fill_nan(None),
    )
    z = table["z"].to_numpy()
    conf = table["confirmatory"].to_numpy()
    p_all = np.where(table["tested"].to_numpy(), _sp.ndtr(-z), np.nan)
    z_aff = table["z_affected"].to_numpy()
    p = two_statistics_p(p_all, z_aff)
    p_adj = family_adjusted(p, conf)
    # The all-sku statistic carries the test when it alone rejects (or is the smaller);
    # the cross-fitted one only rescues a premium confined to a few skus.
    alone = family_adjusted(two_statistics_p(p_all, np.where(np.isnan(z_aff), np.nan, -np.inf)),
                            conf)
    with np.errstate(invalid="ignore"):
        p_aff = np.where(np.isnan(z_aff), np.nan, _sp.ndtr(-z_aff))
        affected = (p_aff < p_all) & ~(alone < settings.alpha)
    return table.with_columns(
        pl.Series("p", p), pl.Series("p_adj", p_adj), pl.Series("p_all_skus", p_all),
        pl.Series("p_affected_skus", p_aff),
        pl.Series("test_basis", np.where(affected, AFFECTED_SKUS, ALL_SKUS)),
    )


def _affected_of_passing(rs: _RoundState, table: pl.DataFrame) -> pl.DataFrame:
    """Later rounds: the per-sku effects (for the material effect) of the groups that
    can pass only.
    """
    alpha = rs.au.settings.alpha
    need = table.with_row_index("_i").filter(
        pl.col("tested") & (pl.col("p_adj") < alpha) & (pl.col("beta") > 0))
    parts = []
    for (ki,), part in need.group_by("_key", maintain_order=True):
        se = _sku_effects(rs.struct(ki), rs.au.data, rs.res(ki), alpha,
                          only=part["gidx"].to_numpy())
        parts.append(_affected(se).with_columns(pl.lit(ki).alias("_key")))
    if not parts:
        return table
    columns = table.columns
    return table.drop("affected_effect", "affected_skus").join(
        pl.concat(parts), on=["_key", "label"], how="left").select(columns)


def _material(rs: _RoundState, table: pl.DataFrame) -> pl.DataFrame:
    """The correction's name, the material effect and ``significant_material``.

    ``material_effect`` is the cross-fitted premium on the affected skus
    (:mod:`~workbench.pricing._materiality`: skus chosen on one half of the
    customers, premium measured on the other), computed for the groups that are
    significant with β > 0 (the only ones it can decide), and β itself where no sku
    is selected; ``material_skus`` counts the skus selected. ``affected_effect``
    (premium on the skus significant on all the data) stays descriptive: it is
    inflated by their selection and decides nothing.
    """
    settings = rs.au.settings
    table = table.with_columns(
        pl.when(pl.col("confirmatory")).then(pl.lit("holm, then bonferroni across families"))
        .otherwise(pl.lit("bh, then bonferroni across families")).alias("correction"),
        pl.when(pl.col("test_basis") == AFFECTED_SKUS).then(pl.lit(P_VALUE_METHOD_AFFECTED))
        .otherwise(pl.lit(P_VALUE_METHOD)).alias("p_value_method"),
    )
    need = table.with_row_index("_i").filter(
        pl.col("tested") & (pl.col("p_adj") < settings.alpha) & (pl.col("beta") > 0)
        & ~pl.col("z_affected").is_not_nan().fill_null(False))
    xfit = table["xfit_effect"].fill_null(np.nan).to_numpy().copy()
    picked = table["xfit_skus"].to_numpy().copy()
    parts = list(need.group_by("_key", maintain_order=True))

    def one(item: tuple) -> list[tuple[float | None, int]]:
        (ki,), part = item
        return crossfit_effects(rs.struct(ki), rs.au.data, rs.res(ki).e,
                                part["gidx"].to_list(), rs.au.fold(), settings.alpha)

    if parts:
        rs.au.fold()
    for (_, part), effects in zip(parts, _map(one, parts), strict=True):
        for i, (eff, n_skus) in zip(part["_i"].to_list(), effects, strict=True):
            xfit[i] = np.nan if eff is None else eff
            picked[i] = n_skus
    return table.with_columns(
        pl.Series("material_effect", xfit).fill_nan(None),
        pl.Series("material_skus", picked),
    ).with_columns(
        pl.coalesce(pl.col("material_effect"), pl.col("beta")).alias("material_effect"),
    ).with_columns(
        (pl.col("tested") & (pl.col("p_adj") < settings.alpha) & (pl.col("beta") > 0)
         & (pl.col("material_effect") >= settings.min_premium)).alias("significant_material")
    )


def _placebo_floors(rs: _RoundState, table: pl.DataFrame) -> pl.DataFrame:
    """Placebo floor for the groups that pass so far (pseudo-groups of their size);
    ``floor`` falls back to the A/A floor, then 0.
    """
    au = rs.au
    pf = np.full(table.height, np.nan)
    sel = table.with_row_index("_i").filter(pl.col("significant_material"))
    parts = list(sel.group_by("_key", maintain_order=True))

    def floors(item: tuple) -> list[float]:
        (ki,), part = item
        st = rs.struct(ki)
        total = max(int(st.rows.size), 1)
        shares = [int(n) / total for n in part["n_inf"].to_list()]
        return [_floor(b) for b in _placebo_betas(au.placebo, au.data, st, rs.res(ki).e, shares)]

    for (_, part), fl in zip(parts, _map(floors, parts), strict=True):
        pf[part["_i"].to_numpy()] = fl
    _release_memory()
    table = table.with_columns(pl.Series("placebo_floor", pf))
    return table.with_columns(
        pl.coalesce(pl.col("placebo_floor").fill_nan(None), pl.col("aa_floor").fill_nan(None),
                    pl.lit(0.0)).alias("floor")
    )


def _permutation_p(rs: _RoundState, table: pl.DataFrame, rnd: int, *, perm_all: bool,
                   skip: set[tuple[str, str]]) -> pl.DataFrame:
    """``p_perm``, ``p_perm_method`` and ``candidate``.

    Monte Carlo permutations: every passing group in the first round (reported);
    later rounds only in pick order (single attributes first, then by z) until
    one passes; groups not reached stay candidates pending their turn. A group
    whose Cantelli bound already proves the exact permutation p-value ≤ alpha
    needs no Monte Carlo (:func:`cantelli_p`); only the others are shuffled.
    """
    settings = rs.au.settings
    threshold = max(settings.alpha, 1 / (settings.n_permutations + 1))
    p_perm = np.full(table.height, np.nan)
    p_perm = np.full(table.height, np.nan)
    method = np.full(table.height, None, dtype=object)
    permute_affected(rs, table, p_perm, method, skip,
                     lambda ki, g: _perm_rng(settings, rnd, ki, g, 0x58464954))
    above_floor = (pl.col("beta") > pl.col("floor")) | (pl.col("test_basis") == AFFECTED_SKUS)
    sel = (
        table.with_row_index("_i")
        .filter(pl.col("significant_material") & (pl.col("beta") > pl.col("floor"))
                & (pl.col("test_basis") == ALL_SKUS))
        .with_columns(pl.col("attribute").str.contains("&").alias("_pair"))
        .sort(["_pair", "z"], descending=[False, True])
    )
    if skip:
        sel = sel.filter(~pl.struct("label", "metric").is_in(
            [{"label": a, "metric": b} for a, b in skip]))
    bound = cantelli_p(sel["a"].to_numpy(), sel["vperm"].to_numpy())
    sel = sel.with_columns(pl.Series("_bound", bound))
    if perm_all:
        proven = sel.filter(pl.col("_bound") <= threshold)
        p_perm[proven["_i"].to_numpy()] = proven["_bound"].to_numpy()
        method[proven["_i"].to_numpy()] = "cantelli_bound"
        shuffled = sel.filter(pl.col("_bound") > threshold)
        _permute_all(rs, shuffled, p_perm, rnd)
        method[shuffled["_i"].to_numpy()] = "monte_carlo"
    else:
        _permute_in_order(rs, sel, p_perm, method, rnd, threshold)
    return table.with_columns(
        pl.Series("p_perm", p_perm), pl.Series("p_perm_method", method.tolist(), dtype=pl.String)
    ).with_columns(
        (pl.col("significant_material") & above_floor
         & pl.col("p_perm").fill_nan(None).le(threshold).fill_null(not perm_all))
        .alias("candidate")
    )


def _permute_in_order(rs: _RoundState, sel: pl.DataFrame, p_perm: np.ndarray,
                      method: np.ndarray, rnd: int, threshold: float) -> None:
    """Later rounds: permutation p-values in pick order until one group passes."""
    settings = rs.au.settings
    rows = sel.select("_i", "_key", "gidx", "beta", "b", "_bound").rows()
    for i, ki, gidx, beta, b, bound in rows:
        if bound <= threshold:
            p_perm[i], method[i] = bound, "cantelli_bound"
            break
        st = rs.struct(ki)
        col = np.where(st.lab == gidx, 0, -1)
        hits = _permutation_hits(st.cstart, col, [rs.res(ki).e], np.array([[beta * b]]),
                                 settings.n_permutations, _perm_rng(settings, rnd, ki, gidx))
        p_perm[i], method[i] = (1 + hits[0, 0]) / (1 + settings.n_permutations), "monte_carlo"
        if p_perm[i] <= threshold:
            break


def _permute_all(rs: _RoundState, sel: pl.DataFrame, p_perm: np.ndarray, rnd: int) -> None:
    """Permutation p-values of every selected group; the groups of one attribute set
    (both metrics when they share the informative orders) share the shuffles.
    """
    au, keys = rs.au, rs.keys
    settings = au.settings
    by_struct: dict[int, list[tuple[int, int, int, float]]] = {}
    ids = {}
    for i, ki, gidx, beta, b in sel.select("_i", "_key", "gidx", "beta", "b").rows():
        attrs, metric = keys[ki]
        sk = (attrs, au.metric_key[metric])
        sid = ids.setdefault(
            sk, au.sets.index(attrs) * len(settings.metrics) + settings.metrics.index(sk[1]))
        by_struct.setdefault(sid, []).append((i, ki, gidx, beta * b))

    def run(sid: int, items: list[tuple[int, int, int, float]]) -> None:
        st = au.struct(*keys[items[0][1]])
        groups = sorted({g for _, _, g, _ in items})
        colmap = np.full(st.n_groups, -1, np.int64)
        colmap[groups] = np.arange(len(groups))
        col = colmap[st.lab]
        metrics = sorted({ki for _, ki, _, _ in items})
        residuals = [rs.res(ki).e for ki in metrics]
        observed = np.full((len(metrics), len(groups)), np.inf)
        for _, ki, gidx, obs in items:
            observed[metrics.index(ki), colmap[gidx]] = obs
        hits = _permutation_hits(st.cstart, col, residuals, observed, settings.n_permutations,
                                 _perm_rng(settings, rnd, sid))
        for i, ki, gidx, _ in items:
            p_perm[i] = (1 + hits[metrics.index(ki), colmap[gidx]]) / (1 + settings.n_permutations)

    # Sets are independent (each has its own random stream): run them on the cores.
    _map(lambda item: run(*item), list(by_struct.items()))

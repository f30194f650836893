"""Group disparity: is any group of eligible customers treated worse than the rest?

For each audit attribute and (optionally) each pair of them, every group
(``gender=f``, ``age_band=25-34&province=31``, …) is compared with *the rest*: the
customers of the same metric population whose value of the same attribute(s) is
known and different. Two metrics are judged:

``under_tiered_rate``
    among customers whose published criteria give a tier above the lowest (the
    only ones who *can* be under-tiered), the share holding a lower tier.
    Adverse: a higher rate is worse. In fairlearn's terms it is the false negative
    rate of "was given the tier the criteria give" (``y_pred``) against "qualifies
    for a tier above the lowest" (``y_true``).
``hidden_benefit_rate``
    among all customers, the share who received a hidden benefit in the period.
    Favourable: a *lower* rate is worse (others receive undisclosed favours).

Per group: the rates (fairlearn ``MetricFrame``, cross-checked against the polars
counts), difference and ratio with percentile bootstrap intervals (customers
resampled), the four-fifths ratio of favourable-outcome rates, a one-sided Fisher
exact p-value (worse only) and Benjamini–Hochberg q-values over every
(group, metric) tested. A group is *tested* when it and its rest both have at
least ``min_group_size`` customers in the metric's population, and *flagged* when
q < ``alpha`` and its disadvantage is at least ``min_difference``.

The bootstrap is a Poisson bootstrap over customers, done exactly on *cells*:
customers sharing every attribute value and outcome are interchangeable, and a
sum of ``m`` independent Poisson(1) weights is Poisson(``m``), so one Poisson draw
per cell and resample replaces ``m`` draws; group totals are then a sparse
(groups × cells) product. Hundreds of groups × 1,000 resamples take well under a
second on 50,000 customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from fairlearn.metrics import MetricFrame
from scipy import sparse
from scipy import stats as _st

from workbench.attributes import (
    attribute_sets,
    group_label,
)
from workbench.stats import benjamini_hochberg

#: The contract's customer-level audit attributes the tiering analysis can group by.
SUPPORTED_ATTRIBUTES: tuple[str, ...] = (
    "age_band",
    "customer_type",
    "gender",
    "province",
    "subsidiary_id",
    "tenure_band",
)
DEFAULT_ATTRIBUTES: tuple[str, ...] = (
    "gender",
    "age_band",
    "province",
    "customer_type",
    "subsidiary_id",
)
#: The four-fifths rule: a favourable-outcome ratio below this is a reference breach.
FOUR_FIFTHS = 0.8

MSG_UNKNOWN_ATTRIBUTE = "unknown audit attribute(s) {names}; choose from {supported}"


@dataclass(frozen=True)
class Metric:
    """A per-customer rate judged by group.

    ``outcome`` and ``population`` name boolean columns of the unit frame
    (``population`` None = every customer); ``adverse`` says whether a higher rate
    is worse for the group.
    """

    name: str
    outcome: str
    population: str | None
    adverse: bool


METRICS: tuple[Metric, ...] = (
    Metric("under_tiered_rate", "is_under_tiered", "qualifies_above_lowest", adverse=True),
    Metric("hidden_benefit_rate", "has_hidden_benefit", None, adverse=False),
)


# --------------------------------------------------------------------- attributes



def check_attributes(attributes: Sequence[str]) -> tuple[str, ...]:
    """Validated, de-duplicated attribute names in the given order."""
    bad = [a for a in attributes if a not in SUPPORTED_ATTRIBUTES]
    if bad:
        raise ValueError(MSG_UNKNOWN_ATTRIBUTE.format(names=bad, supported=SUPPORTED_ATTRIBUTES))
    return tuple(dict.fromkeys(attributes))




# -------------------------------------------------------------------- the engine
@dataclass(frozen=True)
class _Groups:
    labels: list[str]
    attrs: list[str]
    set_index: np.ndarray  # group -> attribute set
    membership: sparse.csr_matrix  # groups × cells
    known: sparse.csr_matrix  # attribute sets × cells


def _groups(cells: pl.DataFrame, sets: list[tuple[str, ...]]) -> _Groups:
    n_cells = cells.height
    labels: list[str] = []
    attrs: list[str] = []
    set_index: list[int] = []
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    known_rows: list[np.ndarray] = []
    known_cols: list[np.ndarray] = []
    seen: set[bytes] = set()
    for s, attr_set in enumerate(sets):
        lab = cells.select(group_label(attr_set).alias("g")).with_row_index("cell")
        lab = lab.filter(pl.col("g").is_not_null())
        known_cols.append(lab["cell"].to_numpy().astype(np.int64))
        known_rows.append(np.full(lab.height, s, dtype=np.int64))
        grouped = lab.group_by("g").agg(pl.col("cell").sort()).sort("g")
        for g, members in grouped.iter_rows():
            idx = np.asarray(members, dtype=np.int64)
            key = idx.tobytes()
            if key in seen:  # same customers as a group already listed (e.g. an
                continue  # intersection implied by one attribute): judge it once
            seen.add(key)
            rows.append(np.full(idx.size, len(labels), dtype=np.int64))
            cols.append(idx)
            labels.append(g)
            attrs.append("&".join(attr_set))
            set_index.append(s)
    n_groups = len(labels)

    def _csr(r: list[np.ndarray], c: list[np.ndarray], shape: tuple[int, int]) -> sparse.csr_matrix:
        rr = np.concatenate(r) if r else np.empty(0, np.int64)
        cc = np.concatenate(c) if c else np.empty(0, np.int64)
        return sparse.csr_matrix((np.ones(rr.size), (rr, cc)), shape=shape)

    return _Groups(
        labels,
        attrs,
        np.asarray(set_index, dtype=np.int64),
        _csr(rows, cols, (n_groups, n_cells)),
        _csr(known_rows, known_cols, (len(sets), n_cells)),
    )


def _rates(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)


def _contrast(
    k_g: np.ndarray, n_g: np.ndarray, k_r: np.ndarray, n_r: np.ndarray, adverse: bool
) -> dict[str, np.ndarray]:
    r_g, r_r = _rates(k_g, n_g), _rates(k_r, n_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = r_g / r_r
        fav = (1 - r_g) / (1 - r_r) if adverse else ratio
    diff = r_g - r_r
    return {
        "rate_group": r_g,
        "rate_rest": r_r,
        "difference": diff,
        "ratio": ratio,
        "favourable_ratio": fav,
        "disadvantage": diff if adverse else -diff,
    }


def row_quantiles(draws: np.ndarray, *qs: float) -> tuple[np.ndarray, ...]:
    """Per-row quantiles (numpy's default linear interpolation) ignoring non-finite
    values, vectorised: one sort instead of numpy's row-by-row ``nanquantile``.
    Rows with fewer than two finite values give NaN.

    >>> row_quantiles(np.array([[1.0, 2.0, np.inf, 3.0], [np.nan, 1.0, 2.0, 5.0]]), 0.5)
    (array([2., 2.]),)
    """
    if draws.shape[1] == 0:
        return tuple(np.full(draws.shape[0], np.nan) for _ in qs)
    d = np.where(np.isfinite(draws), draws, np.nan)
    d.sort(axis=1)  # NaN last
    n = np.isfinite(d).sum(axis=1)
    rows = np.arange(d.shape[0])
    out = []
    for q in qs:
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        frac = pos - lo
        with np.errstate(invalid="ignore"):
            v = d[rows, lo] * (1 - frac) + d[rows, hi] * frac
            v = np.where(frac == 0, d[rows, lo], v)
        out.append(np.where(n >= 2, v, np.nan))
    return tuple(out)


def fisher_one_sided(
    k_g: np.ndarray, n_g: np.ndarray, k_r: np.ndarray, n_r: np.ndarray
) -> np.ndarray:
    """Vectorised one-sided Fisher exact p-values that the group's rate exceeds the
    rest's: ``P(X ≥ k_g)``, X hypergeometric. Equals
    :func:`workbench.stats.rate_difference_test` element-wise (tested).

    >>> fisher_one_sided(np.array([8]), np.array([10]), np.array([2]), np.array([10])).round(4)
    array([0.0115])
    """
    k_g, n_g, k_r, n_r = (np.asarray(a, dtype=np.int64) for a in (k_g, n_g, k_r, n_r))
    ok = (n_g > 0) & (n_r > 0)
    p = _st.hypergeom.sf(k_g - 1, n_g + n_r, k_g + k_r, n_g)
    return np.where(ok, np.clip(p, 0.0, 1.0), np.nan)


def under_tiered_rate(
    y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """False negative rate: among customers who qualify for a tier above the lowest
    (``y_true = 1``), the (weighted) share not given the tier the criteria give
    (``y_pred = 0``). The number :func:`fairlearn.metrics.false_negative_rate`
    gives, but NaN (not 0) for a group where nobody qualifies.

    >>> under_tiered_rate(np.array([1, 1, 1, 0]), np.array([0, 1, 1, 0]))
    0.3333333333333333
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    w = np.ones(y_true.shape) if sample_weight is None else np.asarray(sample_weight, float)
    pos = y_true == 1
    total = w[pos].sum()
    return float(w[pos & (y_pred == 0)].sum() / total) if total > 0 else float("nan")


def hidden_benefit_rate(
    y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """Selection rate: the (weighted) share with ``y_pred = 1`` (received a hidden
    benefit); the number :func:`fairlearn.metrics.selection_rate` gives."""
    y_pred = np.asarray(y_pred)
    w = np.ones(y_pred.shape) if sample_weight is None else np.asarray(sample_weight, float)
    total = w.sum()
    return float(w[y_pred == 1].sum() / total) if total > 0 else float("nan")


def metric_frame(units: pl.DataFrame, metric: Metric, label: pl.Expr) -> MetricFrame | None:
    """fairlearn's MetricFrame of ``metric`` by the groups ``label`` names (rows with a
    null label are left out).

    Customers with the same group, ``y_true`` and ``y_pred`` are interchangeable for
    a rate, so polars first collapses them into one row each with their count, and
    MetricFrame receives at most four weighted rows per group (``sample_weight``).
    The numbers are the ones the per-customer frame gives (tested).
    """
    if metric.adverse:
        # y_true: could be under-tiered; y_pred: was given the tier the criteria give.
        y_true = pl.col(metric.population).fill_null(False).cast(pl.Int8)
        y_pred = (~pl.col(metric.outcome).fill_null(False)).cast(pl.Int8)
        fn = under_tiered_rate
    else:
        y_pred = pl.col(metric.outcome).fill_null(False).cast(pl.Int8)
        y_true = y_pred
        fn = hidden_benefit_rate
    df = (
        units.select(label.alias("g"), y_true.alias("y_true"), y_pred.alias("y_pred"))
        .filter(pl.col("g").is_not_null())
        .group_by("g", "y_true", "y_pred")
        .agg(pl.len().alias("w"))
        .sort("g", "y_true", "y_pred")
    )
    if df.height == 0:
        return None
    return MetricFrame(
        metrics={metric.name: fn},
        y_true=df["y_true"].to_numpy(),
        y_pred=df["y_pred"].to_numpy(),
        sensitive_features={"group": df["g"].to_numpy()},
        sample_params={metric.name: {"sample_weight": df["w"].to_numpy()}},
    )


def _metric_frame_rates(units: pl.DataFrame, metric: Metric, label: pl.Expr) -> dict[str, float]:
    mf = metric_frame(units, metric, label)
    if mf is None:
        return {}
    by = mf.by_group[metric.name]
    return dict(zip(by.index.astype(str), by.astype(float), strict=True))


DISPARITY_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),
    "attributes": pl.String(),
    "metric": pl.String(),
    "adverse": pl.Boolean(),
    "n_group": pl.Int64(),
    "k_group": pl.Int64(),
    "rate_group": pl.Float64(),
    "n_rest": pl.Int64(),
    "k_rest": pl.Int64(),
    "rate_rest": pl.Float64(),
    "difference": pl.Float64(),
    "difference_ci_low": pl.Float64(),
    "difference_ci_high": pl.Float64(),
    "ratio": pl.Float64(),
    "ratio_ci_low": pl.Float64(),
    "ratio_ci_high": pl.Float64(),
    "disadvantage": pl.Float64(),
    "favourable_ratio": pl.Float64(),
    "favourable_ratio_ci_low": pl.Float64(),
    "favourable_ratio_ci_high": pl.Float64(),
    "four_fifths_breach": pl.Boolean(),
    "p_value": pl.Float64(),
    "q_value": pl.Float64(),
    "tested": pl.Boolean(),
    "significant": pl.Boolean(),
    "explained_by": pl.String(),
    "flagged": pl.Boolean(),
    "rate_group_metricframe": pl.Float64(),
}


def group_disparity(
    units: pl.DataFrame,
    *,
    attributes: Sequence[str] = DEFAULT_ATTRIBUTES,
    intersections: bool = True,
    metrics: Sequence[Metric] = METRICS,
    min_group_size: int = 100,
    alpha: float = 0.05,
    min_difference: float = 0.05,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    use_metricframe: bool = True,
) -> pl.DataFrame:
    """One row per (group, metric): rates, contrast with intervals, test, flag.

    ``units`` has one row per customer: the attribute columns (strings, null =
    unknown) and the boolean ``outcome``/``population`` columns of ``metrics``.
    Columns of the result: :data:`DISPARITY_SCHEMA`; ``rate_group_metricframe`` is
    fairlearn's number for ``rate_group`` for every tested group (NaN for the
    others, and everywhere when ``use_metricframe=False``).

    >>> units = pl.DataFrame({"gender": ["f"] * 4 + ["m"] * 4,
    ...     "is_under_tiered": [True, True, True, False] + [False, False, False, True],
    ...     "qualifies_above_lowest": [True] * 8})
    >>> t = group_disparity(units, attributes=["gender"], metrics=METRICS[:1],
    ...     min_group_size=1, n_bootstrap=200)
    >>> f = t.filter(pl.col("group") == "gender=f")
    >>> f.select("rate_group", "rate_rest", "difference").row(0)
    (0.75, 0.25, 0.5)
    """
    attributes = check_attributes(attributes)
    sets = attribute_sets(attributes, intersections)
    flag_cols = list(
        dict.fromkeys(
            [m.outcome for m in metrics] + [m.population for m in metrics if m.population]
        )
    )
    cells = (
        units.select(
            *[pl.col(a).cast(pl.String) for a in attributes],
            *[pl.col(c).fill_null(False).cast(pl.Boolean) for c in flag_cols],
        )
        .group_by(*attributes, *flag_cols)
        .agg(pl.len().alias("_n"))
        .sort(*attributes, *flag_cols, nulls_last=True)
    )
    groups = _groups(cells, sets)
    n_cell = cells["_n"].to_numpy().astype(np.float64)
    rng = np.random.default_rng(seed)
    n_groups = len(groups.labels)
    if n_groups == 0:
        return pl.DataFrame(schema=DISPARITY_SCHEMA)

    # per-metric cell indicators: in population, event (in population and outcome)
    pop = []
    evt = []
    for m in metrics:
        p = cells[m.population].to_numpy() if m.population else np.ones(cells.height, bool)
        pop.append(p.astype(np.float64))
        evt.append((p & cells[m.outcome].to_numpy()).astype(np.float64))
    # columns: [pop_0, evt_0, pop_1, evt_1, …]
    indicators = np.column_stack([x for pair in zip(pop, evt, strict=True) for x in pair])

    def totals(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """weights: cells × B → (group totals, rest totals), each groups × 2M × B."""
        g = np.empty((n_groups, indicators.shape[1], weights.shape[1]))
        known = np.empty((len(sets), indicators.shape[1], weights.shape[1]))
        for i in range(indicators.shape[1]):
            w = weights * indicators[:, i : i + 1]
            g[:, i, :] = groups.membership @ w
            known[:, i, :] = groups.known @ w
        return g, known[groups.set_index] - g

    g_tot, r_tot = totals(n_cell[:, None])
    point = []
    for j, m in enumerate(metrics):
        n_g, k_g = g_tot[:, 2 * j, 0], g_tot[:, 2 * j + 1, 0]
        n_r, k_r = r_tot[:, 2 * j, 0], r_tot[:, 2 * j + 1, 0]
        point.append((n_g, k_g, n_r, k_r))

    # bootstrap draws of difference, ratio, favourable ratio: metric × groups × B
    stats = ("difference", "ratio", "favourable_ratio")
    draws = {s: np.empty((len(metrics), n_groups, n_bootstrap)) for s in stats}
    chunk = max(1, min(n_bootstrap, int(5e6 // max(1, cells.height))))
    for start in range(0, n_bootstrap, chunk):
        b = min(chunk, n_bootstrap - start)
        weights = rng.poisson(n_cell[:, None], size=(cells.height, b)).astype(np.float64)
        gb, rb = totals(weights)
        for j, m in enumerate(metrics):
            c = _contrast(gb[:, 2 * j + 1], gb[:, 2 * j], rb[:, 2 * j + 1], rb[:, 2 * j], m.adverse)
            for s in stats:
                draws[s][j, :, start : start + b] = c[s]
    q_lo, q_hi = (1 - level) / 2, 1 - (1 - level) / 2

    frames = []
    for j, m in enumerate(metrics):
        n_g, k_g, n_r, k_r = point[j]
        c = _contrast(k_g, n_g, k_r, n_r, m.adverse)
        if m.adverse:
            p = fisher_one_sided(k_g, n_g, k_r, n_r)
        else:  # worse = fewer favourable outcomes = more non-events
            p = fisher_one_sided(n_g - k_g, n_g, n_r - k_r, n_r)
        tested = (n_g >= min_group_size) & (n_r >= min_group_size)
        ci = {}
        with np.errstate(invalid="ignore"):
            for s in stats:
                ci[s] = row_quantiles(draws[s][j], q_lo, q_hi)
        mf_rates = np.full(n_groups, np.nan)
        if use_metricframe:
            for s, attr_set in enumerate(sets):
                rows = np.flatnonzero((groups.set_index == s) & tested)
                if rows.size == 0:
                    continue
                label = group_label(attr_set)
                wanted = pl.Series([groups.labels[i] for i in rows], dtype=pl.String)
                by = _metric_frame_rates(
                    units, m, pl.when(label.is_in(wanted.implode())).then(label)
                )
                mf_rates[rows] = [by.get(groups.labels[i], np.nan) for i in rows]
        frames.append(
            pl.DataFrame(
                {
                    "group": groups.labels,
                    "attributes": groups.attrs,
                    "metric": [m.name] * n_groups,
                    "adverse": [m.adverse] * n_groups,
                    "n_group": n_g.round().astype(np.int64),
                    "k_group": k_g.round().astype(np.int64),
                    "rate_group": c["rate_group"],
                    "n_rest": n_r.round().astype(np.int64),
                    "k_rest": k_r.round().astype(np.int64),
                    "rate_rest": c["rate_rest"],
                    "difference": c["difference"],
                    "difference_ci_low": ci["difference"][0],
                    "difference_ci_high": ci["difference"][1],
                    "ratio": c["ratio"],
                    "ratio_ci_low": ci["ratio"][0],
                    "ratio_ci_high": ci["ratio"][1],
                    "disadvantage": c["disadvantage"],
                    "favourable_ratio": c["favourable_ratio"],
                    "favourable_ratio_ci_low": ci["favourable_ratio"][0],
                    "favourable_ratio_ci_high": ci["favourable_ratio"][1],
                    "p_value": np.where(tested, p, np.nan),
                    "tested": tested,
                    "rate_group_metricframe": mf_rates,
                },
                nan_to_null=False,
            )
        )
    table = pl.concat(frames)
    q = benjamini_hochberg(table["p_value"].to_numpy())
    fav = table["favourable_ratio"]
    table = table.with_columns(
        pl.Series("q_value", q, pl.Float64),
        (fav.is_not_nan() & (fav < FOUR_FIFTHS)).fill_null(False).alias("four_fifths_breach"),
    ).with_columns(
        (
            pl.col("tested")
            & (pl.col("q_value") < alpha)
            & (pl.col("disadvantage") >= min_difference - 1e-12)
        )
        .fill_null(False)
        .alias("significant")
    )
    explained: list[pl.DataFrame] = []
    for j, m in enumerate(metrics):
        part = table.filter(pl.col("metric") == m.name)
        explained.append(
            _explain_away(
                part,
                groups,
                pop=n_cell * pop[j],
                evt=n_cell * evt[j],
                adverse=m.adverse,
                min_group_size=min_group_size,
                alpha=alpha,
                min_difference=min_difference,
            )
        )
    table = table.join(pl.concat(explained), on=["group", "metric"], how="left")
    return (
        table.with_columns(
            (pl.col("significant") & pl.col("explained_by").is_null()).alias("flagged")
        )
        .select(list(DISPARITY_SCHEMA))
        .cast(DISPARITY_SCHEMA)  # type: ignore[arg-type]
        .sort("metric", "flagged", "disadvantage", descending=[True, True, True], nulls_last=True)
    )


def _explain_away(
    part: pl.DataFrame,
    groups: _Groups,
    *,
    pop: np.ndarray,
    evt: np.ndarray,
    adverse: bool,
    min_group_size: int,
    alpha: float,
    min_difference: float,
) -> pl.DataFrame:
    """Keep only the significant groups that other flagged groups do not explain.

    Significant groups are taken strongest first (smallest p, then largest
    disadvantage). The first is kept. Each later one is re-tested:

    * if it lies inside a group already kept (an intersection of it), against the
      rest *of that group* — is ``gender=f&province=31`` worse than other women?
    * otherwise with the members of every kept group removed from both sides — is
      ``customer_type=individual`` still worse once the women are left out?

    It is kept when the re-test still gives p < ``alpha`` (Bonferroni-corrected over
    the re-tests: p × (candidates − 1) < alpha), a disadvantage of at
    least ``min_difference`` and both sides of ``min_group_size``; otherwise
    ``explained_by`` names the kept groups that overlap it. The p-values of the
    re-test only ever remove findings that Benjamini–Hochberg admitted.
    """
    index = {g: i for i, g in enumerate(groups.labels)}
    cand = part.filter(pl.col("significant")).sort(
        ["p_value", "disadvantage"], descending=[False, True]
    )
    n_retests = max(1, cand.height - 1)  # Bonferroni over the re-tests
    kept: list[tuple[str, np.ndarray]] = []
    union = np.zeros(groups.membership.shape[1], dtype=bool)
    rows: list[dict[str, object]] = []
    for g in cand["group"].to_list():
        i = index[g]
        member = groups.membership[i].toarray().ravel() > 0
        known = groups.known[groups.set_index[i]].toarray().ravel() > 0
        parent = next((name for name, mk in kept if not (member & ~mk).any()), None)
        if parent is not None:
            pmask = dict(kept)[parent]
            in_g, in_r = member, pmask & known & ~member
        else:
            in_g, in_r = member & ~union, known & ~member & ~union
        k_g, n_g = evt[in_g].sum(), pop[in_g].sum()
        k_r, n_r = evt[in_r].sum(), pop[in_r].sum()
        c = _contrast(np.array([k_g]), np.array([n_g]), np.array([k_r]), np.array([n_r]), adverse)
        if adverse:
            pv = fisher_one_sided(
                np.array([k_g]), np.array([n_g]), np.array([k_r]), np.array([n_r])
            )
        else:
            pv = fisher_one_sided(
                np.array([n_g - k_g]), np.array([n_g]), np.array([n_r - k_r]), np.array([n_r])
            )
        ok = (
            n_g >= min_group_size
            and n_r >= min_group_size
            and bool(pv[0] * n_retests < alpha)
            and bool(c["disadvantage"][0] >= min_difference - 1e-12)
        )
        if ok:
            kept.append((g, member))
            union |= member
            rows.append({"group": g, "explained_by": None})
        else:
            overlapping = [name for name, mk in kept if (member & mk).any()]
            rows.append({"group": g, "explained_by": ", ".join(overlapping) or "(re-test)"})
    return pl.DataFrame(
        rows, schema={"group": pl.String(), "explained_by": pl.String()}
    ).with_columns(pl.lit(part["metric"][0] if part.height else "").alias("metric"))

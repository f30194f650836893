"""Binning of one feature: numeric (quantile pre-bins merged to monotone WoE) and
categorical (categories ordered by bad rate, rare ones pooled in an "other" bin).

Every feature ends with the same bin layout, which the binner and the scorecard
index by number: its regular bins ``0 … r-1`` (for a categorical feature the last
of them is "other"), then the missing bin ``r``, then one bin per special value
``r+1 …``. A bin that had no rows in fit gets WoE 0 (the population's odds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OTHER_LABEL = "other (rare or unseen)"
MAX_LABEL_CATEGORIES = 4


@dataclass
class FeatureBins:
    """One feature's fitted bins (see the module docstring for the layout)."""

    edges: np.ndarray  # numeric inner edges, bins right-closed; empty for categorical
    woe: np.ndarray  # every bin, in layout order
    good: np.ndarray
    bad: np.ndarray
    n_regular: int
    iv: float
    direction: int
    labels: list[str]
    specials: tuple = ()
    category_bins: np.ndarray | None = None  # bin per category code (categorical only)
    other: int = -1  # bin of unseen categories (categorical only)


@dataclass(frozen=True)
class BinParams:
    """The binner's settings for one feature."""

    n_prebins: int
    min_bin_share: float
    smoothing: float
    monotonic: str = "auto"
    min_category_share: float = 0.0
    min_category_count: int = 0


def woe(good: np.ndarray, bad: np.ndarray, smoothing: float) -> np.ndarray:
    """``ln((g + a)/(G + k·a) / ((b + a)/(B + k·a)))`` per bin, ``k`` bins."""
    k = len(good)
    g = (good + smoothing) / (good.sum() + k * smoothing)
    b = (bad + smoothing) / (bad.sum() + k * smoothing)
    return np.log(g / b)


def merge(edges: list[float], good: list[float], bad: list[float], i: int) -> None:
    """Merge bin ``i`` with bin ``i + 1`` (drop the edge between them)."""
    good[i] += good.pop(i + 1)
    bad[i] += bad.pop(i + 1)
    edges.pop(i)


def monotone_bins(
    edges: list[float], good: list[float], bad: list[float], direction: int, smoothing: float
) -> tuple[list[float], list[float], list[float]]:
    """Merge adjacent bins until WoE is strictly monotone.

    ``direction = +1``: WoE rises with the feature (bad rate falls); ``-1``: it
    falls. The smoothing uses the pooled totals, so merging never changes them.
    """
    edges, good, bad = list(edges), list(good), list(bad)
    while len(good) > 1:
        w = woe(np.array(good), np.array(bad), smoothing) * direction
        steps = np.diff(w)
        bad_steps = np.flatnonzero(steps <= 0)
        if bad_steps.size == 0:
            break
        # Merge the violating pair with the fewest observations first.
        sizes = [good[i] + bad[i] + good[i + 1] + bad[i + 1] for i in bad_steps]
        merge(edges, good, bad, int(bad_steps[int(np.argmin(sizes))]))
    return edges, good, bad


def merge_small(
    edges: list[float], good: list[float], bad: list[float], min_n: float
) -> None:
    """Merge bins with fewer than ``min_n`` rows into their smaller neighbour."""
    while len(good) > 1:
        sizes = np.array(good) + np.array(bad)
        small = np.flatnonzero(sizes < min_n)
        if small.size == 0:
            break
        i = int(small[np.argmin(sizes[small])])
        if i == 0:
            j = 0
        elif i == len(good) - 1:
            j = i - 1
        else:
            j = i - 1 if sizes[i - 1] <= sizes[i + 1] else i
        merge(edges, good, bad, j)


def _finish(good: np.ndarray, bad: np.ndarray, smoothing: float) -> tuple[np.ndarray, float]:
    """WoE of every bin and the information value.

    A bin without rows in fit (an empty missing, special or "other" bin, or the
    value bin of a feature that was always missing) gets WoE 0 and does not count
    in the smoothing's ``k``, so it does not change the other bins' WoE.
    """
    keep = (good + bad) > 0
    w = np.zeros(len(good))
    w[keep] = woe(good[keep], bad[keep], smoothing)
    dist = good / max(good.sum(), 1.0) - bad / max(bad.sum(), 1.0)
    return w, float(np.sum(dist * w))


def _tail_counts(
    y: np.ndarray, miss: np.ndarray, special_masks: list[np.ndarray]
) -> tuple[list[float], list[float]]:
    """Goods and bads of the missing bin, then of each special bin."""
    good, bad = [], []
    for m in [miss, *special_masks]:
        b = float(y[m].sum())
        bad.append(b)
        good.append(float(m.sum()) - b)
    return good, bad


def _prebins(
    xv: np.ndarray, yv: np.ndarray, p: BinParams
) -> tuple[list[float], list[float], list[float]]:
    """Quantile pre-bins (right-closed), small ones merged into a neighbour."""
    n = len(xv)
    if n == 0:
        edges: list[float] = []
    else:
        qs = np.quantile(xv, np.linspace(0, 1, p.n_prebins + 1)[1:-1])
        edges = [float(e) for e in np.unique(qs) if e < xv.max()]
    idx = np.searchsorted(np.array(edges), xv, side="left")
    k = len(edges) + 1
    bad = np.bincount(idx, weights=yv, minlength=k).astype(float).tolist()
    cnt = np.bincount(idx, minlength=k).astype(float)
    good = (cnt - np.array(bad)).tolist()
    merge_small(edges, good, bad, max(1.0, p.min_bin_share * n))
    return edges, good, bad


def numeric_labels(edges: np.ndarray) -> list[str]:
    """Readable labels of the regular bins of a numeric feature."""
    if len(edges) == 0:
        return ["all"]
    fmt = "{:.4g}".format
    labels = [f"≤ {fmt(edges[0])}"]
    labels += [f"({fmt(a)}, {fmt(b)}]" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"> {fmt(edges[-1])}")
    return labels


def _special_label(code: object) -> str:
    return f"special {code:g}" if isinstance(code, float) else f"special {code}"


def fit_numeric(
    x: np.ndarray, y: np.ndarray, specials: tuple[float, ...], p: BinParams
) -> FeatureBins:
    """Monotone bins of a numeric feature; missing and each special code on their own.

    ``monotonic``: "auto" keeps whichever direction has the higher information
    value, "ascending"/"descending" force WoE to rise/fall with the value, "none"
    keeps the pre-bins as they are (direction 0).
    """
    miss = np.isnan(x)
    spec_masks = [x == s for s in specials]
    regular = ~miss
    for m in spec_masks:
        regular &= ~m
    edges, good, bad = _prebins(x[regular], y[regular], p)
    tail_g, tail_b = _tail_counts(y, miss, spec_masks)
    directions = {"auto": (1, -1), "ascending": (1,), "descending": (-1,), "none": (0,)}
    best: tuple[float, int, list[float], np.ndarray, np.ndarray, np.ndarray] | None = None
    for d in directions[p.monotonic]:
        e, g, b = (edges, good, bad) if d == 0 else monotone_bins(edges, good, bad, d, p.smoothing)
        g_all, b_all = np.array([*g, *tail_g]), np.array([*b, *tail_b])
        w, iv = _finish(g_all, b_all, p.smoothing)
        if best is None or iv > best[0] + 1e-12:
            best = (iv, d if len(g) > 1 else 0, e, w, g_all, b_all)
    assert best is not None
    iv, d, e, w, g_all, b_all = best
    edges_arr = np.array(e, dtype=float)
    labels = [*numeric_labels(edges_arr), "missing", *(_special_label(s) for s in specials)]
    return FeatureBins(
        edges=edges_arr, woe=w, good=g_all, bad=b_all, n_regular=len(e) + 1, iv=iv,
        direction=d, labels=labels, specials=specials,
    )


def _category_label(names: list[str]) -> str:
    if len(names) <= MAX_LABEL_CATEGORIES:
        return ", ".join(names)
    shown = ", ".join(names[:MAX_LABEL_CATEGORIES])
    return f"{shown} … (+{len(names) - MAX_LABEL_CATEGORIES})"


def _cap_bins(edges: list[float], good: list[float], bad: list[float], p: BinParams) -> None:
    """At most ``n_prebins`` bins: merge the adjacent pair with the closest WoE."""
    while len(good) > max(p.n_prebins, 1):
        w = woe(np.array(good), np.array(bad), p.smoothing)
        merge(edges, good, bad, int(np.argmin(np.abs(np.diff(w)))))


def _rank_bins(
    g: np.ndarray, b: np.ndarray, p: BinParams
) -> tuple[list[float], list[float], list[float]]:
    """Bins over categories already sorted by rising bad rate (rank 0, 1, …): WoE made
    strictly falling (ties merged), then at most ``n_prebins`` bins.

    ``min_bin_share`` does not apply: a category that passed the rare-category
    minimum has rows enough for a WoE of its own, and merging it into a neighbour
    of a different bad rate would throw information away.
    """
    if len(g) == 0:
        return [], [], []
    edges = [float(r) for r in range(len(g) - 1)]
    good, bad = g.astype(float).tolist(), b.astype(float).tolist()
    edges, good, bad = monotone_bins(edges, good, bad, -1, p.smoothing)
    _cap_bins(edges, good, bad, p)
    return edges, good, bad


def fit_categorical(
    codes: np.ndarray, y: np.ndarray, categories: list[str], specials: tuple[str, ...],
    p: BinParams,
) -> FeatureBins:
    """Bins of a categorical feature.

    A category with fewer than ``max(min_category_count, min_category_share · n)``
    rows (``n`` the rows neither missing nor special) goes to the "other" bin,
    which also takes categories first seen after fit. The other categories are
    ordered by smoothed bad rate; adjacent ones with the same WoE are merged, and
    the closest pairs until at most ``n_prebins`` bins remain.
    """
    miss = np.isnan(codes)
    k = len(categories)
    c = np.where(miss, 0, codes).astype(np.int64)
    cnt = np.bincount(c[~miss], minlength=k).astype(float)
    bads = np.bincount(c[~miss], weights=y[~miss], minlength=k).astype(float)
    goods = cnt - bads
    spec_code = {categories.index(s) for s in specials}
    is_spec = np.array([i in spec_code for i in range(k)], dtype=bool)
    n = float(cnt[~is_spec].sum())
    rare = ~is_spec & (cnt < max(p.min_category_count, p.min_category_share * n))
    freq = np.flatnonzero(~is_spec & ~rare)
    rate = (bads[freq] + p.smoothing) / (cnt[freq] + 2 * p.smoothing)
    freq = freq[np.lexsort((freq, rate))]  # rising bad rate; ties by category name
    edges, good, bad = _rank_bins(goods[freq], bads[freq], p)
    rank_bin = np.searchsorted(np.array(edges), np.arange(len(freq)), side="left")
    other = len(good)
    r = other + 1
    tail_g, tail_b = _tail_counts(y, miss, [codes == categories.index(s) for s in specials])
    g_all = np.array([*good, goods[rare].sum(), *tail_g])
    b_all = np.array([*bad, bads[rare].sum(), *tail_b])
    w, iv = _finish(g_all, b_all, p.smoothing)
    bins = np.full(k, other, dtype=np.int64)
    bins[freq] = rank_bin
    for i, s in enumerate(specials):
        bins[categories.index(s)] = r + 1 + i
    members = [[categories[freq[i]] for i in np.flatnonzero(rank_bin == b)] for b in range(other)]
    labels = [*map(_category_label, members), OTHER_LABEL, "missing"]
    labels += [_special_label(s) for s in specials]
    return FeatureBins(
        edges=np.array([], dtype=float), woe=w, good=g_all, bad=b_all, n_regular=r, iv=iv,
        direction=0, labels=labels, specials=specials, category_bins=bins, other=other,
    )

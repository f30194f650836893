"""Materiality without the winner's curse: the premium on the affected skus, cross-fitted.

A premium may sit on a few skus only (planted: iOS +4 % on a third of skus); the
all-sku β dilutes it, so materiality is judged on the premium *where it is
charged*. Estimating that premium on the skus picked for being significant
inflates it (winner's curse: those skus were picked partly for their noise).
Here the skus are picked on one half of the customers and the premium is
estimated on the other half, and the other way round (two-fold cross-fitting):

1. customers are split at random (seeded) into two folds;
2. within each fold, on that fold's orders only, the cell fixed-effects sums
   per sku (a_s, b_s and the exact permutation variance) are computed with the
   cells restricted to the fold (a cell is informative in a fold when it holds
   the group and its rest there);
3. fold f selects the skus with a_s > 0 and Benjamini–Hochberg q_s < α over the
   fold's skus (one-sided permutation z). The selection only has to be independent
   of the estimating fold for the estimate to be unbiased; FDR control keeps the
   share of selected skus without a premium — which dilute the estimate, never
   inflate it — at most α in expectation. (Selecting on an unadjusted z ≥ 1.645 was
   tried: on the sample it let ~20 null skus in and halved the tenure premium, and
   on one of 20 clean seeds a handful of noise skus gave a "material" 1 %+ net premium.);
4. the effect is Σ_f Σ_{s ∈ S(1−f)} a_s(f) / Σ_f Σ_{s ∈ S(1−f)} b_s(f): each fold's
   orders are used only on skus selected on the other fold.

Because the folds hold different customers, the estimating fold's outcomes are
independent of the selection, so the estimate is unbiased for the premium on
the selected skus (when a selected sku carries no premium it pulls the estimate
down: the error is on the side of not calling a premium material). When neither
fold selects a sku the all-sku β is used.

The same split is also a *test* for premiums confined to a few skus
(:func:`crossfit_tests`): the all-sku z of a 3 % premium on a tenth of the skus is
diluted to ~1.5, while its numerator on the skus the other half selected,
T = Σ_f Σ_{s ∈ S(1−f)} a_s(f), is undiluted. Given the other fold, each fold's
term has mean 0 under the null (labels exchangeable within the fold's cells)
and variance v_f: the larger of its exact within-cell permutation variance and
its variance clustered by customer (Σ_i (Σ of customer i's contributions)²), so a
customer who always pays more moves all of their orders together. The two terms
are not independent (each fold selects for the other and is measured on its own
skus), so their standard deviations are added (Cauchy–Schwarz: sd(T) ≤ sd_0 +
sd_1) instead of their variances: z = T / (√v_0 + √v_1) is conservative.
:func:`crossfit_permutation_p` gives its Monte Carlo permutation p-value, with the
selection redone in every shuffle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special as _sp

from workbench.pricing._estimator import _Data, _Struct
from workbench.stats import benjamini_hochberg

#: Per-fold sku selection: ``"bh"`` (Benjamini–Hochberg, the method) or ``"z"``
#: (unadjusted one-sided z, kept for the comparison in ``docs/pricing.md``).
SELECTION = "bh"


def customer_folds(n_cust: int, seed: int) -> np.ndarray:
    """A random half of the customers (int8 fold 0/1 per customer index), seeded."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x464F4C44]))
    fold = np.zeros(n_cust, np.int8)
    fold[rng.permutation(n_cust)[: n_cust // 2]] = 1
    return fold


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The integers of the ranges ``starts[i]:ends[i]``, concatenated."""
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + offsets


@dataclass(frozen=True)
class CrossFit:
    """One group's cross-fitted premium and test on its affected skus."""

    effect: float | None  # Σ a / Σ b on the skus the other fold selected (None: none)
    n_skus: int  # skus selected in either fold
    t: float  # T = Σ_f Σ_{s ∈ S(1−f)} a_s(f)
    sd: float  # √v_0 + √v_1 (permutation or clustered variance, the larger)

    @property
    def z(self) -> float:
        return self.t / self.sd if self.sd > 0 else 0.0


class _FoldSums:
    """Per (cell, fold) sizes, outcome means and sums of squares, for all groups."""

    def __init__(self, st: _Struct, data: _Data, y: np.ndarray, fold: np.ndarray) -> None:
        self.n_sku = max(len(data.sku_names), 1)
        n_cells = st.cstart.size - 1
        # key = 2 × cell + fold: every per-cell sum of both folds in one bincount
        key = np.repeat(np.arange(n_cells, dtype=np.int64) * 2, st.csize)
        key += fold[data.cust[st.rows]]
        self.key, self.size, self.y = key, 2 * n_cells, y
        self.n = np.bincount(key, minlength=self.size).astype(np.float64)
        sy = np.bincount(key, weights=y, minlength=self.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = np.where(self.n > 0, sy / self.n, 0.0)
        self.ss = np.maximum(
            np.bincount(key, weights=y * y, minlength=self.size) - self.n * self.mean ** 2, 0.0)
        self.cell_sku = st.cell_sku.astype(np.int64)


def _select(a: np.ndarray, b: np.ndarray, v: np.ndarray, alpha: float) -> np.ndarray:
    """A fold's affected skus: a > 0 and BH q < alpha on the one-sided permutation z."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(v > 0, a / np.sqrt(v), 0.0)
    if SELECTION == "bh":
        q = benjamini_hochberg(np.where(b > 0, _sp.ndtr(-z), np.nan))
        return (a > 0) & (b > 0) & (np.nan_to_num(q, nan=1.0) < alpha)
    return (a > 0) & (b > 0) & (z >= -_sp.ndtri(alpha))


def _one_group(st: _Struct, fs: _FoldSums, g: int, alpha: float,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, v) per (fold, sku), the selections per fold and the group's (cell, fold)
    keys, from the group's own rows (a_c = Σ_g y − n_g ȳ_c).
    """
    pidx = np.flatnonzero(st.plab == g)
    rg = _ranges(st.pstart[pidx], st.pstart[pidx + 1])
    kg = fs.key[rg]
    ng_all = np.bincount(kg, minlength=fs.size)
    uk = np.flatnonzero(ng_all)  # the group's (cell, fold) pairs
    ng = ng_all[uk].astype(np.float64)
    nk, mk, sk = fs.n[uk], fs.mean[uk], fs.ss[uk]
    ok = nk - ng >= 1
    a_c = np.where(ok, np.bincount(kg, weights=fs.y[rg], minlength=fs.size)[uk] - ng * mk, 0.0)
    b_c = np.where(ok, ng * (nk - ng) / nk, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_c = np.where(ok, ng * (nk - ng) / (nk * (nk - 1)) * sk, 0.0)
    slot = (uk % 2) * fs.n_sku + fs.cell_sku[uk // 2]  # (fold, sku)
    shape = (2, fs.n_sku)
    a2 = np.bincount(slot, weights=a_c, minlength=2 * fs.n_sku).reshape(shape)
    b2 = np.bincount(slot, weights=b_c, minlength=2 * fs.n_sku).reshape(shape)
    v2 = np.bincount(slot, weights=v_c, minlength=2 * fs.n_sku).reshape(shape)
    chosen = np.stack([_select(a2[f], b2[f], v2[f], alpha) for f in (0, 1)])
    return a2, b2, v2, chosen, uk[ok]


def _clustered_var(st: _Struct, data: _Data, fs: _FoldSums, g: int, keys: np.ndarray,
                   chosen: np.ndarray) -> np.ndarray:
    """Per fold f: Σ_i (Σ of customer i's contributions (D − D̄)(y − ȳ) on the skus
    the other fold selected)², over every order of the group's usable cells.
    """
    cells = np.unique(keys // 2)
    rows = _ranges(st.cstart[cells], st.cstart[cells + 1])
    k = fs.key[rows]
    d = (st.lab[rows] == g).astype(np.float64)
    ng = np.bincount(k, weights=d, minlength=fs.size)
    use = np.zeros(fs.size, bool)
    use[keys] = True
    f_r, s_r = k % 2, fs.cell_sku[k // 2]
    m = use[k] & chosen[1 - f_r, s_r]
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (d[m] - ng[k[m]] / fs.n[k[m]]) * (fs.y[rows[m]] - fs.mean[k[m]])
    cust = data.cust[st.rows[rows[m]]]
    out = np.zeros(2)
    for f in (0, 1):
        mf = f_r[m] == f
        per = np.bincount(cust[mf], weights=c[mf])
        out[f] = float(per @ per)
    return out


def crossfit_tests(st: _Struct, data: _Data, y: np.ndarray, groups: list[int],
                   fold: np.ndarray, alpha: float, *, clustered: bool = True,
                   ) -> list[CrossFit]:
    """The cross-fitted premium and test of each group of ``groups`` (module
    docstring); the cell sums of each fold are computed once for all.

    Parameters
    ----------
    st, data
        The (attribute set, metric) structure and the audit's arrays.
    y
        The round's outcome per informative row of ``st`` (in ``st.rows`` order,
        flagged premiums removed); the round's residuals serve as well, since a
        shift per cell does not change a within-cell contrast.
    groups
        Label indices in ``st``.
    fold
        Fold (0/1) per customer index (:func:`customer_folds`).
    alpha
        Level of the per-sku Benjamini–Hochberg selection.
    clustered
        Also compute the customer-clustered variance (the permutation variance alone
        gives a z that is an upper bound, enough to rule a group out cheaply).
    """
    if st.rows.size == 0 or not groups:
        return [CrossFit(None, 0, 0.0, 0.0)] * len(groups)
    fs = _FoldSums(st, data, y, fold)
    out = []
    for g in groups:
        a2, b2, v2, chosen, keys = _one_group(st, fs, g, alpha)
        other = chosen[::-1]  # fold f is measured on the skus fold 1 − f selected
        t = float((a2 * other).sum())
        den = float((b2 * other).sum())
        var = (v2 * other).sum(axis=1)
        if clustered and other.any():
            var = np.maximum(var, _clustered_var(st, data, fs, g, keys, chosen))
        out.append(CrossFit(t / den if den > 0 else None, int((chosen[0] | chosen[1]).sum()),
                            t, float(np.sqrt(var).sum())))
    return out


def crossfit_effects(st: _Struct, data: _Data, y: np.ndarray, groups: list[int],
                     fold: np.ndarray, alpha: float) -> list[tuple[float | None, int]]:
    """Per group: the cross-fitted premium (None when no sku is selected in either
    fold) and the number of skus selected in either fold (:func:`crossfit_tests`).
    """
    return [(c.effect, c.n_skus)
            for c in crossfit_tests(st, data, y, groups, fold, alpha, clustered=False)]


def crossfit_permutation_p(st: _Struct, data: _Data, y: np.ndarray, g: int,
                           fold: np.ndarray, alpha: float, n_permutations: int,
                           rng: np.random.Generator) -> float:
    """Monte Carlo p-value of the cross-fitted z (permutation variance) of group
    ``g``: its labels shuffled within each (cell, fold), the selection redone in
    every shuffle; (1 + hits) / (1 + B). Only the group's cells take part.
    """
    fs = _FoldSums(st, data, y, fold)
    pidx = np.flatnonzero(st.plab == g)
    cells = np.unique(st.pcell[pidx])
    rows = _ranges(st.cstart[cells], st.cstart[cells + 1])
    order = np.argsort(fs.key[rows], kind="stable")
    rows = rows[order]
    k = fs.key[rows]
    d = (st.lab[rows] == g).astype(np.float64)
    yr = fs.y[rows]
    # a sub-structure over the group's cells with the original labels' sums
    uk, first = np.unique(k, return_index=True)
    seg = np.repeat(np.arange(uk.size), np.diff(np.append(first, k.size)))
    n, mean, ss = fs.n[uk], fs.mean[uk], fs.ss[uk]
    slot = (uk % 2) * fs.n_sku + fs.cell_sku[uk // 2]

    def z_of(dd: np.ndarray) -> float:
        ng = np.bincount(seg, weights=dd, minlength=uk.size)
        ok = (ng > 0) & (n - ng >= 1)
        a_c = np.where(ok, np.bincount(seg, weights=dd * yr, minlength=uk.size) - ng * mean, 0.)
        b_c = np.where(ok, ng * (n - ng) / n, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            v_c = np.where(ok, ng * (n - ng) / (n * (n - 1)) * ss, 0.0)
        size, shape = 2 * fs.n_sku, (2, fs.n_sku)
        a2 = np.bincount(slot, weights=a_c, minlength=size).reshape(shape)
        b2 = np.bincount(slot, weights=b_c, minlength=size).reshape(shape)
        v2 = np.bincount(slot, weights=v_c, minlength=size).reshape(shape)
        other = np.stack([_select(a2[f], b2[f], v2[f], alpha) for f in (0, 1)])[::-1]
        sd = float(np.sqrt((v2 * other).sum(axis=1)).sum())
        return float((a2 * other).sum()) / sd if sd > 0 else 0.0

    observed = z_of(d)
    hits = 0
    for _ in range(n_permutations):
        shuffled = d[np.lexsort((rng.random(d.size), seg))]
        hits += z_of(shuffled) >= observed - 1e-12
    return (1 + hits) / (1 + n_permutations)

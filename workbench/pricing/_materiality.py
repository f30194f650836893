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
"""

from __future__ import annotations

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


def crossfit_effects(st: _Struct, data: _Data, y: np.ndarray, groups: list[int],
                     fold: np.ndarray, alpha: float) -> list[tuple[float | None, int]]:
    """The cross-fitted premium of each group of ``groups`` on its affected skus
    (module docstring); the cell sums of each fold are computed once for all.

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
        One-sided level of the per-sku selection.

    Returns
    -------
    list
        Per group: the effect (None when no sku is selected in either fold) and the
        number of skus selected in either fold.
    """
    if st.rows.size == 0 or not groups:
        return [(None, 0)] * len(groups)
    n_sku = max(len(data.sku_names), 1)
    n_cells = st.cstart.size - 1
    # key = 2 × cell + fold: every per-cell sum of both folds in one bincount
    key = np.repeat(np.arange(n_cells, dtype=np.int32) * 2, st.csize)
    key += fold[data.cust[st.rows]]
    yy = y
    size = 2 * n_cells
    n = np.bincount(key, minlength=size).astype(np.float64)
    sy = np.bincount(key, weights=yy, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, sy / n, 0.0)
    ss = np.maximum(np.bincount(key, weights=yy * yy, minlength=size) - n * mean * mean, 0.0)
    cell_sku = st.cell_sku.astype(np.int64)
    z_sel = -_sp.ndtri(alpha)
    out = []
    for g in groups:
        pidx = np.flatnonzero(st.plab == g)
        rg = _ranges(st.pstart[pidx], st.pstart[pidx + 1])
        kg = key[rg]
        ng_all = np.bincount(kg, minlength=size)
        uk = np.flatnonzero(ng_all)  # the group's (cell, fold) pairs
        ng = ng_all[uk].astype(np.float64)
        nk, mk, sk = n[uk], mean[uk], ss[uk]
        ok = nk - ng >= 1
        a_c = np.where(ok, np.bincount(kg, weights=yy[rg], minlength=size)[uk] - ng * mk, 0.0)
        b_c = np.where(ok, ng * (nk - ng) / nk, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            v_c = np.where(ok, ng * (nk - ng) / (nk * (nk - 1)) * sk, 0.0)
        slot = (uk % 2) * n_sku + cell_sku[uk // 2]  # (fold, sku)
        a2 = np.bincount(slot, weights=a_c, minlength=2 * n_sku).reshape(2, n_sku)
        b2 = np.bincount(slot, weights=b_c, minlength=2 * n_sku).reshape(2, n_sku)
        v2 = np.bincount(slot, weights=v_c, minlength=2 * n_sku).reshape(2, n_sku)
        chosen = []
        for f in (0, 1):
            a, b, v = a2[f], b2[f], v2[f]
            with np.errstate(invalid="ignore", divide="ignore"):
                z = np.where(v > 0, a / np.sqrt(v), 0.0)
            if SELECTION == "bh":
                q = benjamini_hochberg(np.where(b > 0, _sp.ndtr(-z), np.nan))
                chosen.append((a > 0) & (b > 0) & (np.nan_to_num(q, nan=1.0) < alpha))
            else:
                chosen.append((a > 0) & (b > 0) & (z >= z_sel))
        num = sum(float(a2[f][chosen[1 - f]].sum()) for f in (0, 1))
        den = sum(float(b2[f][chosen[1 - f]].sum()) for f in (0, 1))
        out.append((num / den if den > 0 else None, int((chosen[0] | chosen[1]).sum())))
    return out

"""Placebo (A/A) floors: random customer-level pseudo-groups through the same estimator.

Customer i belongs to pseudo-group k of share s when its uniform u_ki < s (one
row of uniforms per placebo draw, :class:`_Placebo`). The pseudo-groups'
numerators are customer-level dot products; their denominators (which do not
depend on the outcome) are computed once per (set, share) and reused across
rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from workbench.pricing._estimator import _Data, _Struct

#: Placebo numerators: above this many shares of one set, prefix sums over sorted customers.
_PLACEBO_PREFIX = 8


@dataclass
class _Placebo:
    """The placebo draws of one audit and the views of them the numerators use."""

    uniforms: np.ndarray  # n_placebo × customers
    uorder: np.ndarray = field(init=False)  # per draw: customers by increasing uniform
    usorted: np.ndarray = field(init=False)  # per draw: the sorted uniforms
    half: np.ndarray = field(init=False)  # per draw: 1.0 where u < 0.5 (the A/A split)
    uniforms_t: np.ndarray = field(init=False)  # customers × draws

    def __post_init__(self) -> None:
        self.uorder = np.argsort(self.uniforms, axis=1, kind="stable").astype(np.int32)
        self.usorted = np.take_along_axis(self.uniforms, self.uorder, axis=1)
        self.half = (self.uniforms < 0.5).astype(np.float64)
        self.uniforms_t = np.ascontiguousarray(self.uniforms.T)


def _denominators(pb: _Placebo, data: _Data, st: _Struct, cust: np.ndarray,
                  shares: list[float]) -> None:
    """Σ_c n1 (N − n1) / N per draw for the ``shares`` not yet in ``st.placebo_den``."""
    k = pb.uniforms.shape[0]
    todo = [s for s in dict.fromkeys(shares) if 0 < s < 1 and s not in st.placebo_den]
    if not todo:
        return
    csize = st.csize
    exact = np.int16 if csize.max() < 2**15 else np.float32  # counts are exact in either
    counts = sparse.csr_matrix(
        (np.ones(st.rows.size, exact), cust.astype(np.int64), st.cstart),
        shape=(len(csize), data.n_cust),
    )
    big_n = csize.astype(np.float64)[:, None]
    step = max(1, 40 // k)
    for j0 in range(0, len(todo), step):
        part = todo[j0:j0 + step]
        inside = np.empty((data.n_cust, k * len(part)), exact)  # customers × (share, draw)
        for j, s in enumerate(part):
            np.less(pb.uniforms_t, s, out=inside[:, j * k:(j + 1) * k])
        n1 = np.asarray(counts @ inside, dtype=np.float64)  # exact counts per cell
        den = (n1 * (big_n - n1) / big_n).sum(axis=0)
        for j, s in enumerate(part):
            st.placebo_den[s] = den[j * k:(j + 1) * k]


def _placebo_betas(pb: _Placebo, data: _Data, st: _Struct, e: np.ndarray,
                   shares: list[float]) -> np.ndarray:
    """β of K random customer-level pseudo-groups (customer i is in when its uniform
    u_ki < ``share``) against the rest, with the same cells and estimator; shares × K.

    Numerator Σ_{i in} Σ_{o of i} e_o: a customer-level dot product (a prefix sum
    over the customers sorted by u_k when there are many shares). Denominator
    Σ_c n1 (N − n1) / N (n1 = pseudo-group orders in the cell): it does not depend
    on the outcome, so it is computed once per (set, share) and kept.
    """
    k = pb.uniforms.shape[0]
    out = np.full((len(shares), k), np.nan)
    if st.rows.size == 0 or k == 0:
        return out
    cust = data.cust[st.rows]
    _denominators(pb, data, st, cust, shares)
    total = np.bincount(cust, weights=e, minlength=data.n_cust)  # Σ e per customer
    inner = [s for s in shares if 0 < s < 1 and s != 0.5]
    prefix = np.cumsum(total[pb.uorder], axis=1) if len(inner) > _PLACEBO_PREFIX else None
    for j, s in enumerate(shares):
        if not 0 < s < 1:
            continue
        if s == 0.5:
            num = pb.half @ total
        elif prefix is None:
            num = total @ (pb.uniforms_t < s)
        else:
            n_in = np.array([np.searchsorted(pb.usorted[i], s, side="left") for i in range(k)])
            num = np.where(n_in > 0, prefix[np.arange(k), np.maximum(n_in - 1, 0)], 0.0)
        den = st.placebo_den[s]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[j] = np.where(den > 0, num / den, np.nan)
    return out


def _floor(betas: np.ndarray) -> float:
    """95th percentile of |β| of the pseudo-groups (NaN with fewer than two)."""
    ok = np.isfinite(betas)
    return float(np.quantile(np.abs(betas[ok]), 0.95)) if ok.sum() >= 2 else float("nan")

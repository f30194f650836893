"""Standard errors clustered by customer of the cell fixed-effects estimate.

For group g, β = Σ_i a_i / Σ_i b_i with, per customer i, a_i = Σ (D − p_gc)·e and
b_i = Σ (D − p_gc)² over i's orders in the group's cells (p_gc the group's share of
cell c, e the outcome less its cell mean). Customers are the clusters: a
customer's orders may share a personal price level, so they are not independent,
but customers are. The cluster-robust (sandwich, CR1) variance is

    V(β) = G / (G − 1) · Σ_i (a_i − β b_i)² / (Σ_i b_i)²,

G the customers with a contribution (Liang & Zeger 1986; Cameron & Miller 2015).
It is what a customer bootstrap of the ratio with cell means held fixed converges
to — the 300-replicate Poisson bootstrap this replaces — without its Monte Carlo
noise or its customers × replicates product (on ``large`` 6 s of 10; the
per-customer contrasts, :func:`_contrasts`, are common to both). Intervals are
Wald intervals on the larger of this and the permutation standard error.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy import special as _sp

from workbench.pricing._estimator import _Data, _Struct

#: (groups × customers) entries of the per-customer contrasts built at a time (memory).
_CONTRAST_CELLS = 16_000_000


def _contrasts(
    st: _Struct, data: _Data, e: np.ndarray | None, groups: np.ndarray
) -> sparse.csr_matrix:
    """Per group (rows) and customer (columns): Σ over the customer's orders in the
    group's cells of (D − p_gc)·e (``e`` given) or (D − p_gc)² = D(1 − 2 p_gc) + p_gc²
    (``e`` None), with p_gc = n_gc / N_c the group's share of its cell.

    As sparse products: the members' own part (Σ e, or Σ (1 − 2 p_gc), over the
    customer's orders in the group) minus (plus) a customers × cells matrix of the
    customer's Σ e (or order count) per cell times the cells × groups shares (or
    squared shares) — one C-level product instead of expanding every order of every
    cell once per group (twice as fast on ``large``). Groups go ``_CONTRAST_CELLS``
    (groups × customers) entries at a time (memory).
    """
    n_cust = data.n_cust
    step = max(1, _CONTRAST_CELLS // max(n_cust, 1))
    parts = [_contrast_block(st, data, e, groups[g0:g0 + step])
             for g0 in range(0, len(groups), step)]
    return sparse.vstack(parts, format="csr") if len(parts) > 1 else parts[0]


def _contrast_block(st: _Struct, data: _Data, e: np.ndarray | None,
                    groups: np.ndarray) -> sparse.csr_matrix:
    n_cust, n_cells, k = data.n_cust, st.cstart.size - 1, len(groups)
    pos = np.full(st.n_groups, -1, np.int64)
    pos[groups] = np.arange(k)
    share = st.pn / st.csize[st.pcell]  # p_gc per (cell, label) pair
    pairs = np.flatnonzero(pos[st.plab] >= 0)
    cust = data.cust[st.rows]
    cell_of_row = np.repeat(np.arange(n_cells, dtype=np.int64), st.csize)
    p_mat = sparse.csr_matrix(
        (share[pairs] if e is not None else share[pairs] ** 2,
         (st.pcell[pairs], pos[st.plab[pairs]])), shape=(n_cells, k))
    used = np.zeros(n_cells, bool)
    used[st.pcell[pairs]] = True
    r = np.flatnonzero(used[cell_of_row])  # the orders of the groups' cells only
    vals = e[r] if e is not None else np.ones(r.size)
    per_cell = sparse.csr_matrix((vals, (cust[r], cell_of_row[r])), shape=(n_cust, n_cells))
    rest = (per_cell @ p_mat).T
    # the members themselves: + e (numerator) or 1 − 2p (denominator)
    m_n = st.pn[pairs]
    m_at = np.repeat(st.pstart[pairs] - np.concatenate([[0], np.cumsum(m_n)[:-1]]), m_n)
    m_at += np.arange(int(m_n.sum()))
    m_w = e[m_at] if e is not None else np.repeat(1.0 - 2.0 * share[pairs], m_n)
    own = sparse.csr_matrix((m_w, (np.repeat(pos[st.plab[pairs]], m_n), cust[m_at])),
                            shape=(k, n_cust))
    out = ((own - rest) if e is not None else (own + rest)).tocsr()
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def clustered_se(num: sparse.csr_matrix, den: sparse.csr_matrix) -> np.ndarray:
    """CR1 standard error of β = Σ a_i / Σ b_i per row (group) of the per-customer
    contrasts ``num`` (a_i) and ``den`` (b_i); NaN where Σ b_i = 0 or one customer.

    >>> num = sparse.csr_matrix(np.array([[1.0, -1.0, 2.0, 0.0]]))
    >>> den = sparse.csr_matrix(np.array([[1.0, 1.0, 1.0, 1.0]]))
    >>> round(float(clustered_se(num, den)[0]), 4)  # β = 0.5; residuals .5 −1.5 1.5 −.5
    0.6455
    """
    a = np.asarray(num.sum(axis=1)).ravel()
    b = np.asarray(den.sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(b > 0, a / b, 0.0)
    r = (num - sparse.diags(beta) @ den).tocsr()
    rows = np.repeat(np.arange(r.shape[0]), np.diff(r.indptr))
    ss = np.bincount(rows, weights=r.data * r.data, minlength=r.shape[0])
    g = np.diff(den.indptr).astype(np.float64)  # customers with b_i > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((b > 0) & (g > 1), np.sqrt(ss * g / (g - 1)) / b, np.nan)


def wald_interval(beta: np.ndarray, se: np.ndarray, level: float = 0.95,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """β ∓ z_{(1+level)/2} · se."""
    z = _sp.ndtri(0.5 + level / 2)
    return beta - z * se, beta + z * se

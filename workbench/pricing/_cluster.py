"""Bootstrap over customers (Poisson weights) of the cell fixed-effects estimate.

Poisson(1) weights are stored as ``uint8`` (customers × B), drawn in the order
one ``rng.poisson(1.0, size=(B, n))`` call draws them (:func:`_weights`); the
per-customer contributions of the groups that need them form a sparse groups ×
customers matrix (:func:`_contrasts`), and all (set, metric) of a round are
multiplied with the weights in one batched sparse × dense product over blocks of
customers whose weights are converted to float64 once and stay in cache
(:func:`_weighted_sums`). :func:`_intervals` turns the replicates into percentile
intervals and a standard error.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from workbench.pricing._estimator import _Data, _Struct
from workbench.pricing._parallel import _map

#: Non-zeros of the per-customer contrasts multiplied with the weights at a time (memory).
_BOOT_NNZ = 8_000_000
#: (groups × customers) entries of the per-customer contrasts built at a time (memory).
_CONTRAST_CELLS = 16_000_000
#: Customers whose bootstrap weights are multiplied at a time (a float64 block that stays in cache).
_BOOT_CUSTOMERS = 2048


def _weights(rng: np.random.Generator, n_bootstrap: int, n_cust: int) -> np.ndarray:
    """Poisson(1) bootstrap weights, customers × B, as uint8 (drawn row by row in
    the order ``rng.poisson(1.0, size=(B, n_cust))`` draws them).
    """
    w = np.empty((n_bootstrap, n_cust), np.uint8)
    step = max(1, 4_000_000 // max(n_cust, 1))
    for b0 in range(0, n_bootstrap, step):
        draws = rng.poisson(1.0, size=(min(step, n_bootstrap - b0), n_cust))
        if draws.size and draws.max() > 255:
            raise OverflowError("Poisson(1) weight above 255")
        w[b0:b0 + draws.shape[0]] = draws
    return np.ascontiguousarray(w.T)


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


def _weighted_sums(mats: list[sparse.csr_matrix], weights: np.ndarray) -> list[np.ndarray]:
    """Σ_i w_i x_i for every row of every matrix and every replicate (``weights``:
    customers × B, uint8). Matrices are stacked (up to ``_BOOT_NNZ`` non-zeros at a
    time) and multiplied over blocks of ``_BOOT_CUSTOMERS`` customers, whose weights
    are converted to float64 once per block and stay in cache. Returns per matrix
    an array B × rows.
    """
    res: list[np.ndarray] = []
    n_cust, n_b = weights.shape
    i = 0
    while i < len(mats):
        j, nnz = i, 0
        while j < len(mats) and (j == i or nnz + mats[j].nnz <= _BOOT_NNZ):
            nnz += mats[j].nnz
            j += 1
        big = sparse.vstack(mats[i:j], format="csr").tocsc()
        indptr = big.indptr

        def product(span: tuple[int, int], big=big, indptr=indptr) -> np.ndarray:
            part = np.zeros((big.shape[0], n_b))
            for i0 in range(span[0], span[1], _BOOT_CUSTOMERS):
                i1 = min(span[1], i0 + _BOOT_CUSTOMERS)
                if indptr[i1] > indptr[i0]:
                    part += big[:, i0:i1] @ weights[i0:i1].astype(np.float64)
            return part

        # Two halves of the customers on two threads (scipy releases the GIL here).
        half = (n_cust // 2) // _BOOT_CUSTOMERS * _BOOT_CUSTOMERS
        spans = [(0, half), (half, n_cust)] if half else [(0, n_cust)]
        out = sum(_map(product, spans))
        at = 0
        for m in mats[i:j]:
            res.append(out[at:at + m.shape[0]].T)
            at += m.shape[0]
        i = j
    return res


def _intervals(
    num: np.ndarray, den: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


"""Within-cell permutations: the Monte Carlo engine, and Cantelli's bound.

The candidate groups of one set and both metrics share one batch; only the slots
each group's members land on are drawn — small cells from tables of subset sums,
larger cells by selection sampling, uniform injection or argsort of random keys
(:func:`_permutation_hits`). :func:`cantelli_p` bounds the exact permutation
p-value without any draw.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from functools import cache

import numpy as np

#: Cells of up to this many orders draw a row of the table of their C(N, m) subset sums.
_TABLE_MAX = 8
#: Larger multi-group cells of up to this many orders are argsorted per cell size
#: (larger: together).
_BUCKET_MAX = 4096
#: Larger multi-group cells whose tested members are at most this share of the orders
#: draw only the members' slots (injection); denser ones are argsorted whole.
_INJECT_SHARE = 0.2
#: Elements per array in one batch of permutations (bounds the batch's memory).
_BATCH_ELEMENTS = 3_000_000


@cache
def _binomials() -> np.ndarray:
    """C(n, m) for n, m ≤ ``_TABLE_MAX``."""
    n = range(_TABLE_MAX + 1)
    return np.array([[math.comb(i, m) for m in n] for i in n], np.int64)


@cache
def _combinations(n: int, m: int) -> np.ndarray:
    """All m-subsets of 0..n-1 (C(n, m) × m)."""
    return np.array(list(itertools.combinations(range(n), m)), dtype=np.int64).reshape(-1, m)


def _subset_tables(cstart: np.ndarray, csize: np.ndarray, m: np.ndarray, cells: np.ndarray,
                   residuals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """For entries (cell, m) of small cells: the sum of e over each of the C(N, m)
    subsets of m of the cell's orders, per residual array, flat; returns (offset
    per entry, C(N, m) per entry, sums).
    """
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


def _inject(
    rng: np.random.Generator, kk: int, size: np.ndarray, key0: np.ndarray, space: int
) -> np.ndarray:
    """For each of ``kk`` replicates, give every item a slot in [0, ``size``) of its
    cell, distinct from the slots of the other items of the same cell: a uniform
    injection. Items draw uniform slots; an item whose slot is taken draws again
    (ties between items drawing the same free slot at once go to one of them). The
    procedure treats the slots of a cell symmetrically, so every injection is equally
    likely. ``key0``: per item the offset of its cell in a [0, ``space``) numbering
    of the cells' slots. Returns kk × items slot numbers.
    """
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


def _subset_sums(rng: np.random.Generator, kk: int, start: np.ndarray, size: np.ndarray,
                 m: np.ndarray,
                 residuals: list[np.ndarray]) -> list[np.ndarray]:
    """For each of ``kk`` replicates and each cell (orders ``start`` … ``start + size``),
    the sum of e over a uniform random subset of ``m`` of its orders, per residual
    array: selection sampling (Knuth's algorithm S: slot i is taken with probability
    (m − taken) / (size − i)), vectorised over replicates and cells with slots in
    step; the cells are visited longest first, so the cells still open at step i
    are a prefix. Returns per residual array kk × cells.
    """
    n = size.size
    order = np.argsort(-size, kind="stable")
    st, sz, mm = start[order], size[order].astype(np.float64), m[order].astype(np.float64)
    steps = int(sz[0]) if n else 0
    # cells with size > i
    open_at = np.searchsorted(-sz, -np.arange(steps, dtype=np.float64), side="left")
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


def _permutation_hits(cstart: np.ndarray, col: np.ndarray, residuals: list[np.ndarray],
                      observed: np.ndarray, n_permutations: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Monte Carlo of within-cell shuffles of the labels.

    ``cstart``: cell offsets of orders sorted by cell; ``col``: per order the
    column (0…k−1) of the tested group it belongs to, −1 for every other order;
    ``residuals``: one array e per outcome; ``observed``: outcomes × k. Returns
    outcomes × k counts of shuffles whose Σ_{members} e ≥ observed
    (− 1e-12·max(1, |obs|)).

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

    acc = _Sums(n_permutations, k, len(residuals))
    _small_cells(acc, rng, cstart, csize, cell[small[cell]], mcol[small[cell]], residuals)
    u_cells = np.flatnonzero(single)
    _one_column_cells(acc, rng, cstart, csize, u_cells, cmin[u_cells], m_cnt, residuals)
    inj = multi[cell] & ~dense[cell]
    _injected_cells(acc, rng, cstart, csize, mem[inj], cell[inj], mcol[inj], residuals)
    srt = np.flatnonzero(dense[cell])
    srt = srt[np.argsort(csize[cell[srt]], kind="stable")]  # one contiguous slice per cell size
    _argsorted_cells(acc, rng, cstart, csize, mem[srt], cell[srt], mcol[srt], residuals)
    with np.errstate(invalid="ignore"):  # observed = +inf: a (group, outcome) not asked for
        bar = np.where(np.isfinite(observed),
                       observed - 1e-12 * np.maximum(1.0, np.abs(observed)), np.inf)
    for j in range(n_out):
        hits[j] = (acc.sums[j] >= bar[j]).sum(axis=0)
    return hits


class _Sums:
    """Per replicate and column, Σ e over the members' images (one array per outcome);
    each path batches the replicates by its own width.
    """

    def __init__(self, n_permutations: int, k: int, n_out: int) -> None:
        self.n_permutations, self.k = n_permutations, k
        self.sums = [np.zeros((n_permutations, k)) for _ in range(n_out)]

    def batches(self, width: int) -> Iterator[tuple[int, int, np.ndarray]]:
        n, k = self.n_permutations, self.k
        step = max(1, min(n, _BATCH_ELEMENTS // max(width, 1)))
        for r0 in range(0, n, step):
            kk = min(step, n - r0)
            yield r0, kk, (np.arange(kk, dtype=np.int64)[:, None] * k)

    def add(self, r0: int, kk: int, idx: np.ndarray, values: list[np.ndarray]) -> None:
        k = self.k
        for out, v in zip(self.sums, values, strict=True):
            out[r0:r0 + kk] += np.bincount(
                idx.ravel(), weights=v.ravel(), minlength=kk * k).reshape(kk, k)


def _small_cells(acc: _Sums, rng: np.random.Generator, cstart: np.ndarray, csize: np.ndarray,
                 cell: np.ndarray, mcol: np.ndarray, residuals: list[np.ndarray]) -> None:
    """Small cells, per (cell, column): a uniform row of the table of subset sums."""
    k = acc.k
    v_key, v_m = np.unique(cell * k + mcol, return_counts=True)
    v_cells, v_col = v_key // k, v_key % k
    v_off, v_count, v_sums = _subset_tables(cstart, csize, v_m, v_cells, residuals)
    v_countf = v_count.astype(np.float64)
    if not v_cells.size:
        return
    for r0, kk, rep in acc.batches(len(v_cells)):
        draw = (rng.random((kk, len(v_cells))) * v_countf).astype(np.int64)
        at = v_off + np.minimum(draw, v_count - 1)
        acc.add(r0, kk, rep + v_col, [t[at] for t in v_sums])


def _one_column_cells(acc: _Sums, rng: np.random.Generator, cstart: np.ndarray,
                      csize: np.ndarray, u_cells: np.ndarray, u_col: np.ndarray,
                      m_cnt: np.ndarray, residuals: list[np.ndarray]) -> None:
    """Larger cells whose members all belong to one column: selection sampling."""
    if not u_cells.size:
        return
    for r0, kk, rep in acc.batches(len(u_cells)):
        sums = _subset_sums(rng, kk, cstart[u_cells], csize[u_cells], m_cnt[u_cells], residuals)
        acc.add(r0, kk, rep + u_col, sums)


def _injected_cells(acc: _Sums, rng: np.random.Generator, cstart: np.ndarray,
                    csize: np.ndarray, i_mem: np.ndarray, i_cell: np.ndarray, i_col: np.ndarray,
                    residuals: list[np.ndarray]) -> None:
    """Larger multi-column cells with few members: the members' images are a uniform
    injection into the cell's slots.
    """
    i_cells, i_inv = np.unique(i_cell, return_inverse=True)
    i_off = np.concatenate([[0], np.cumsum(csize[i_cells])])
    i_key0 = i_off[:-1][i_inv]
    if not i_mem.size:
        return
    for r0, kk, rep in acc.batches(max(i_mem.size, int(i_off[-1]))):
        pos = cstart[i_cell] + _inject(rng, kk, csize[i_cell], i_key0, int(i_off[-1]))
        acc.add(r0, kk, rep + i_col, [e[pos] for e in residuals])


def _argsorted_cells(acc: _Sums, rng: np.random.Generator, cstart: np.ndarray,
                     csize: np.ndarray, s_mem: np.ndarray, s_cell: np.ndarray, s_col: np.ndarray,
                     residuals: list[np.ndarray]) -> None:
    """Larger multi-column cells with many members (given sorted by cell size): σ is
    the argsort of uniform 32-bit keys per cell size, cells above ``_BUCKET_MAX``
    orders together (argsort of their index plus a uniform).
    """
    s_slot, s_size = s_mem - cstart[s_cell], csize[s_cell]
    # (size, slice, cells in the bucket, cell start per member, flat index in the bucket)
    buckets = []
    for size in np.unique(s_size[s_size <= _BUCKET_MAX]).tolist():
        a, b = np.searchsorted(s_size, [size, size + 1])
        b_cells, b_inv = np.unique(s_cell[a:b], return_inverse=True)
        buckets.append((size, slice(a, b), len(b_cells), cstart[s_cell[a:b]],
                        b_inv * size + s_slot[a:b]))
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
    if not s_mem.size:
        return
    width = max(s_mem.size, h_total, max((b[2] * b[0] for b in buckets), default=0))
    for r0, kk, rep in acc.batches(width):
        q = np.empty((kk, s_mem.size), np.int64)
        for size, part, n_cells_b, starts, flat_at in buckets:
            keys = rng.integers(0, 2**32, (kk, n_cells_b, size), dtype=np.uint32)
            sigma = np.argsort(keys, axis=2)
            q[:, part] = starts + np.take(sigma.reshape(kk, -1), flat_at, axis=1)
        if huge.size:
            sigma = np.argsort(h_local + rng.random((kk, len(h_local))), axis=1)
            q[:, huge] = h_global[sigma[:, h_at]]
        acc.add(r0, kk, rep + s_col, [e[q] for e in residuals])


def permutation_p(
    cells: np.ndarray, member: np.ndarray, e: np.ndarray, observed: float, n_permutations: int,
    rng: np.random.Generator,
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



def cantelli_p(observed: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """A distribution-free upper bound of the exact one-sided permutation p-value.

    Under within-cell permutation the numerator T = Σ D·e has mean 0 and the exact
    variance ``vperm`` (sampling without replacement), so Cantelli's one-sided
    inequality gives P(T ≥ t) ≤ σ² / (σ² + t²) for t > 0, whatever the shape of the
    permutation distribution. When that bound is already ≤ alpha (z = t/σ ≥
    √(1/alpha − 1), 4.36 at 5 %), Monte Carlo shuffles could only add Monte Carlo
    error: the bound is reported instead. 1 where t ≤ 0 or σ² = 0.

    >>> t, v = np.array([3.0, 5.0, -1.0, 1.0]), np.array([1.0, 1.0, 1.0, 0.0])
    >>> cantelli_p(t, v).round(4).tolist()
    [0.1, 0.0385, 1.0, 1.0]
    """
    t = np.asarray(observed, dtype=np.float64)
    v = np.asarray(variance, dtype=np.float64)
    out = np.ones_like(t)
    ok = (t > 0) & (v > 0)
    out[ok] = v[ok] / (v[ok] + t[ok] ** 2)
    return out

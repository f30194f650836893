"""Threads and memory for the audit's per-set work.

The per-set work of a round (structures, residuals, contrasts, placebo,
permutations) runs on up to ``_MAX_WORKERS`` threads (:func:`_map`); numpy and
scipy release the GIL in their loops. :func:`_release_memory` hands freed heap
pages back to the system between the round's steps.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

#: Threads running the per-set work of a round (structures, contrasts, placebo, permutations).
_MAX_WORKERS = 4


def _map(fn: Callable, items: Sequence) -> list:
    """``[fn(x) for x in items]`` on up to ``_MAX_WORKERS`` threads (numpy and scipy
    release the GIL in the heavy loops); results in order. Nothing run this way
    draws random numbers, so the results do not depend on the scheduling.
    """
    workers = max(1, min(len(items), os.cpu_count() or 1, _MAX_WORKERS))
    if workers == 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


@lru_cache(maxsize=1)
def _libc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_memory() -> None:
    """Give the heap pages numpy's freed temporaries leave behind back to the system
    (glibc keeps them otherwise: ~1.6 GB of RSS on 10M orders). No-op without glibc.
    """
    trim = _libc_trim()
    if trim is not None:
        trim(0)


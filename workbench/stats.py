"""Statistics a regulator would accept, in one place.

Every analysis reports effect sizes with confidence intervals, tests with a stated
correction for multiple comparisons, and refuses to judge groups that are too
small. The functions here are small, vectorised (numpy) and seeded, so a report
re-run on the same inputs gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

__all__ = [
    "Interval",
    "wilson_interval",
    "benjamini_hochberg",
    "holm",
    "bootstrap_ci",
    "rate_difference_test",
    "two_proportion_ci",
]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval."""

    estimate: float
    low: float
    high: float
    level: float = 0.95

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        """Estimate and interval rounded to 6 places, keys prefixed for a finding's evidence."""
        return {
            f"{prefix}estimate": round(self.estimate, 6),
            f"{prefix}ci_low": round(self.low, 6),
            f"{prefix}ci_high": round(self.high, 6),
        }


def _z(level: float) -> float:
    return float(_st.norm.ppf(0.5 + level / 2))


def wilson_interval(successes: np.ndarray | int, n: np.ndarray | int, level: float = 0.95):
    """Wilson score interval for a binomial rate (good at small n and near 0 or 1).

    Returns ``(rate, low, high)`` arrays (or floats for scalar input); n = 0 gives NaN.

    >>> r, lo, hi = wilson_interval(8, 10)
    >>> round(lo, 3), round(hi, 3)
    (0.49, 0.943)
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(m > 0, k / m, np.nan)
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
    low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    if np.ndim(p) == 0:
        return float(p), float(low), float(high)
    return p, low, high


def benjamini_hochberg(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), NaN kept as NaN.

    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q)
    ranked = q[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    res = np.empty(m)
    res[order] = adjusted
    out[ok] = res
    return out


def holm(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (family-wise error), NaN kept as NaN.

    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q)
    ranked = q[order] * (m - np.arange(m))
    adjusted = np.maximum.accumulate(ranked).clip(max=1.0)
    res = np.empty(m)
    res[order] = adjusted
    out[ok] = res
    return out


def two_proportion_ci(k1: int, n1: int, k0: int, n0: int, level: float = 0.95) -> Interval:
    """Newcombe (Wilson-based) interval for the difference of two rates p1 − p0."""
    p1, l1, u1 = wilson_interval(k1, n1, level)
    p0, l0, u0 = wilson_interval(k0, n0, level)
    d = p1 - p0
    low = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return Interval(float(d), float(low), float(high), level)


def rate_difference_test(k1: int, n1: int, k0: int, n0: int) -> float:
    """One-sided p-value that group 1's rate exceeds the rest's (Fisher's exact test).

    Exact, so it stays honest for the small groups an intersection produces.
    """
    if n1 == 0 or n0 == 0:
        return float("nan")
    table = np.array([[k1, n1 - k1], [k0, n0 - k0]])
    return float(_st.fisher_exact(table, alternative="greater").pvalue)


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    clusters: np.ndarray,
    *,
    n_resamples: int = 999,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap over clusters (e.g. customers, not orders).

    ``statistic`` receives an index array of resampled cluster positions
    (``0 … len(clusters)-1``, with repeats) and returns the statistic for that
    resample; resampling whole clusters keeps a customer's orders together so
    intervals are not too narrow.
    """
    n = len(clusters)
    rng = np.random.default_rng(seed)
    point = float(statistic(np.arange(n)))
    if n < 2:
        return Interval(point, float("nan"), float("nan"), level)
    draws = np.array([statistic(rng.integers(0, n, n)) for _ in range(n_resamples)])
    alpha = (1 - level) / 2
    low, high = np.nanquantile(draws, [alpha, 1 - alpha])
    return Interval(point, float(low), float(high), level)

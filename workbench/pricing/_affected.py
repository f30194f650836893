"""The second statistic of a confirmatory group, within one round of the audit.

A premium confined to a few skus is diluted in the all-sku β; the cross-fitted
premium on the affected skus (:func:`~workbench.pricing._materiality.crossfit_tests`)
is not. Each testable confirmatory group gets both statistics
(:func:`~workbench.pricing._multiplicity.two_statistics_p`); ``test_basis`` says
which carried the test, and a group carried by the cross-fitted one is checked by
that statistic's own permutation p-value (:func:`permute_affected`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy import special as _sp

from workbench.pricing._materiality import crossfit_permutation_p, crossfit_tests
from workbench.pricing._multiplicity import family_adjusted, two_statistics_p
from workbench.pricing._parallel import _map

if TYPE_CHECKING:
    from workbench.pricing._round import _RoundState

#: The same for a confirmatory group whose test rests on its affected skus.
P_VALUE_METHOD_AFFECTED = (
    "one-sided normal test of the cross-fitted premium on the affected skus (skus selected "
    "on one half of the customers, measured on the other, both ways; sd = sum of the two "
    "halves' sds, each the larger of the permutation and the customer-clustered one), "
    "doubled for the two statistics of a confirmatory group, adjusted for multiplicity"
)
#: ``test_basis``: which statistic carried a group's test.
ALL_SKUS, AFFECTED_SKUS = "all_skus", "affected_skus_crossfit"


def crossfit_step(rs: _RoundState, table: pl.DataFrame, tested: pl.Expr) -> pl.DataFrame:
    """The cross-fitted test on the affected skus (:func:`crossfit_tests`) of every
    testable confirmatory group: ``xfit_effect``, ``xfit_skus``, ``z_affected`` (null
    elsewhere). The customer-clustered variance, the costly part, only for the groups
    whose z from the permutation variance alone (an upper bound) could reject.
    """
    settings = rs.au.settings
    conf = table.with_row_index("_i").filter(pl.col("confirmatory") & tested)
    eff, n_skus, z = (np.full(table.height, np.nan), np.zeros(table.height, np.int64),
                      np.full(table.height, np.nan))
    parts = list(conf.group_by("_key", maintain_order=True))
    if parts:
        fold = rs.au.fold()

    def run(item: tuple, clustered: bool) -> list:
        (ki,), part = item
        return crossfit_tests(rs.struct(ki), rs.au.data, rs.res(ki).e, part["gidx"].to_list(),
                              fold, settings.alpha, clustered=clustered)

    for (_, part), fits in zip(parts, _map(lambda it: run(it, False), parts), strict=True):
        i = part["_i"].to_numpy()
        eff[i] = [np.nan if f.effect is None else f.effect for f in fits]
        n_skus[i] = [f.n_skus for f in fits]
        z[i] = [f.z for f in fits]
    # z from the permutation variance alone is an upper bound: who can still reject?
    b_ = table["b"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z_all = np.where(b_ > 0, table["a"].to_numpy() / np.sqrt(table["vperm"].to_numpy()), 0.)
    tested_ = table.select(tested).to_series().to_numpy()
    p_lb = two_statistics_p(np.where(tested_, _sp.ndtr(-z_all), np.nan), z)
    could = family_adjusted(p_lb, table["confirmatory"].to_numpy()) < settings.alpha
    again = []
    for k, part in parts:
        i = part["_i"].to_numpy()
        part = part.filter(pl.Series(could[i] & (z[i] > 0)))
        if part.height:
            again.append((k, part))
    for (_, part), fits in zip(again, _map(lambda it: run(it, True), again), strict=True):
        z[part["_i"].to_numpy()] = [f.z for f in fits]
    return table.with_columns(
        pl.Series("xfit_effect", eff).fill_nan(None), pl.Series("xfit_skus", n_skus),
        pl.Series("z_affected", z),
    )


def permute_affected(rs: _RoundState, table: pl.DataFrame, p_perm: np.ndarray,
                     method: np.ndarray, skip: set[tuple[str, str]],
                     rng: Callable[[int, int], np.random.Generator]) -> None:
    """Monte Carlo permutation p-values of the groups whose test rests on their
    affected skus (:func:`crossfit_permutation_p`, selection redone per shuffle).
    The placebo floor is a floor for the all-sku β and does not apply to them.
    """
    settings = rs.au.settings
    sel = table.with_row_index("_i").filter(
        pl.col("significant_material") & (pl.col("test_basis") == AFFECTED_SKUS))
    rows = [r for r in sel.select("_i", "_key", "gidx", "label", "metric").rows()
            if (r[3], r[4]) not in skip]

    def one(row: tuple) -> float:
        i, ki, gidx, _, _ = row
        return crossfit_permutation_p(
            rs.struct(ki), rs.au.data, rs.res(ki).e, gidx, rs.au.fold(), settings.alpha,
            settings.n_permutations, rng(ki, gidx))

    if rows:
        rs.au.fold()
    for row, p in zip(rows, _map(one, rows), strict=True):
        p_perm[row[0]], method[row[0]] = p, "monte_carlo_crossfit"

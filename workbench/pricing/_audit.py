"""The stepwise matched audit: does a group pay more for the same sku at the same time.

Unit of comparison
    A *cell* is sku × time window × channel: "same goods, same time, same
    conditions". The window is ``window_days`` long, counted from the Monday of
    the period start's ISO week, so the default 7 gives ISO weeks (1 gives days);
    channel is left out when ``cell_includes_channel`` is false or the audited
    attribute set contains ``channel`` itself. A cell is *informative* when it
    holds at least two groups of the audited attribute set, ``min_cell_orders``
    orders and ``min_cell_customers`` distinct customers; orders whose attribute
    is unknown are left out of that attribute's comparison. The choice of ISO
    weeks over days (a day × channel cell holds two or more orders for a third of
    the sample's orders) is argued with recall and false-alarm numbers in
    ``docs/pricing.md``; the same estimator on sku × day (× channel) cells is
    kept as day-level evidence of every flagged group (``beta_day``).

Attributes of an order
    At the time of the order (:mod:`workbench.pricing._attributes`): tenure band
    from whole calendar months between signup and the order, age band from the
    order's year, the tier held at order time.

Outcome
    ``log_premium`` = log(charged / explained) of the unit price, and
    ``log_net_premium`` = log((charged × q − coupon) / (explained × q)), the
    price paid after coupons. Both are 0 when the published factors explain the
    price exactly.

Estimator (cell fixed effects)
    For group g with indicator D and outcome r,
    β_g = Σ (D − D̄_c)(r − r̄_c) / Σ (D − D̄_c)², sums over orders in informative
    cells, bars = cell means. This equals the OLS coefficient of D in a
    regression of r on D with cell fixed effects, and the weighted average of the
    within-cell gaps (mean_g − mean_rest) with weights n_g·n_rest/n_cell. It is
    read as a relative premium (log points ≈ %).

Inference
    * **Permutation** (null: labels exchangeable within cells). The numerator
      T = Σ D (r − r̄_c) has, under within-cell permutation, mean 0 and exact
      variance Σ_c n_g n_r / (n (n − 1)) · Σ_c (r − r̄_c)² (sampling without
      replacement), so ``se_perm`` is exact. ``n_permutations`` Monte Carlo
      shuffles of the labels within cells give the empirical one-sided p-value
      ``p_perm`` for the groups that pass every other test — unless Cantelli's
      inequality with the exact permutation variance already bounds the exact
      permutation p-value by ``alpha`` (:func:`cantelli_p`, z ≥ 4.36 at 5 %):
      then that bound is ``p_perm`` (``p_perm_method`` says which). With a few hundred
      permutations the smallest attainable empirical p (1/(B+1)) cannot survive
      a Holm correction over dozens of hypotheses, so the corrected test uses
      the normal approximation with the exact permutation variance, and the
      empirical p must also be ≤ ``alpha``.
    * **Standard errors clustered by customer** (:mod:`~workbench.pricing._cluster`).
      Per customer i and group g: a_i = Σ (D − D̄_c)(r − r̄_c), b_i = Σ (D − D̄_c)²
      over i's orders; ``se_cluster`` is the CR1 sandwich
      √(G/(G−1) · Σ (a_i − β b_i)²) / Σ b_i (cell means held at their
      full-sample values, as a linearised customer bootstrap would — the exact
      limit of that bootstrap without its Monte Carlo noise). A customer's
      orders move together, so repeat buyers do not narrow the interval.
      Intervals are Wald intervals β ∓ 1.96 · se.
    * The z-score uses max(``se_perm``, ``se_cluster``): the permutation variance
      assumes independent orders, the sandwich treats customers as clusters (standard
      errors clustered by customer: a customer who always pays more moves all
      their orders together); taking the larger is conservative. p = 1 − Φ(z)
      (one-sided: only paying *more* is adverse). The family-adjusted ``p_adj``
      is the one p-value of the test (``p_value_method``); the permutation
      p-value and the placebo floor are further conditions of a flag.
    * **Premiums on a few skus** (confirmatory groups): a second statistic, the
      cross-fitted premium on the skus the other half of the customers selected
      (:func:`~workbench.pricing._materiality.crossfit_tests`, z = T / (sd_0 + sd_1),
      conservative). The group's p is min(1, 2 · min(p_all_skus, p_affected_skus));
      ``test_basis`` says which statistic carried it (the all-sku one whenever it
      rejects alone), and a group carried by the cross-fitted one is checked by its
      own Monte Carlo permutation p (selection redone per shuffle) instead of the
      placebo floor of β (``docs/pricing.md``).
    * **Multiplicity**: Holm over the confirmatory family (single-attribute
      groups of ``tenure_band``, ``device_os``, ``province``, both outcomes),
      Benjamini–Hochberg over every other hypothesis, and Bonferroni across the
      two families (:func:`family_adjusted`), so that ``alpha`` is the run's
      probability of any false flag under no discrimination, not a per-family one.
    * **Placebo (A/A)**: a random half of *all* customers against the other
      half, with the same cells and estimator (``n_placebo`` draws), gives the
      A/A floor reported for every attribute set (``aa_floor``, 95th percentile
      of |β|). The noise floor a group must beat (``placebo_floor``) is the same
      quantile for random customer-level pseudo-groups holding the group's share
      of the orders, so the floor matches the group's size. (Splitting the
      group itself in half was tried and rejected: half of a group against its
      other half uses far fewer matched cells than the group against its rest,
      so that floor is noisier than the test it calibrates — on the sample data
      it swamped a planted 4 % iOS premium.)
    * **Minimum size**: a group is tested when it has ≥ ``min_group_orders``
      orders and ≥ ``min_group_customers`` customers in informative cells, and
      its rest has ≥ ``min_group_orders`` orders there.

Where each part lives
    :mod:`~workbench.pricing._estimator` (cells, the estimator, per-sku effects),
    :mod:`~workbench.pricing._cluster`, :mod:`~workbench.pricing._permutations`
    (and Cantelli's bound), :mod:`~workbench.pricing._placebo`,
    :mod:`~workbench.pricing._round` (one round of tests, the multiplicity
    correction, where the expensive inference runs),
    :mod:`~workbench.pricing._parallel` (threads, memory); this module ties them
    into the stepwise decision rule (:func:`audit`).

Where the premium sits, and materiality
    Per group and sku the same estimator (cells nest in skus) gives β_gs with
    its permutation z; skus with β_gs > 0 and BH q < ``alpha`` (within the group)
    are the *affected skus* (descriptive: ``affected_effect``, the premium on
    them, is inflated by their selection and decides nothing). A premium
    confined to a few skus is diluted in the all-sku β_g, so the practical
    threshold ``min_premium`` is judged on the premium where it is charged,
    estimated without the winner's curse: skus are selected on one random half
    of the customers and the premium is measured on the other half, both ways
    (:mod:`~workbench.pricing._materiality`, ``material_effect``); β_g where
    neither half selects a sku.

Echoes and intersections (stepwise)
    A group correlated with a discriminated one shows an echo of its premium
    (``channel=app`` carries most iOS orders; ``device_os=ios&gender=f`` is
    iOS). The audit is therefore stepwise: flag the strongest candidate (single
    attributes before intersections), remove its estimated per-sku premium
    (the group × sku effect, on every sku) from its orders' outcome, re-test
    everything, repeat until no candidate is left; finally each flagged group's
    per-sku effects are re-estimated with the other flagged groups removed. A
    group that stops being a candidate once another is removed is reported as
    its ``echo_of`` and not flagged.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.pricing._estimator import (
    Settings,
    _build,
    _combo,
    _group_frame,
    _prepare,
    _residuals,
    _sku_effects,
    cell_column,
)
from workbench.pricing._parallel import _map
from workbench.pricing._placebo import _Placebo
from workbench.pricing._round import _Audit, _test_round
from workbench.pricing._units import day_cells


@dataclass(frozen=True)
class Disparity:
    """Outcome of the stepwise matched audit.

    Attributes
    ----------
    groups
        Round-0 table, one row per (attribute set, group, metric) plus its status
        (``flagged``, ``echo_of``).
    sku_effects
        Round-0 per group × sku estimates (every set and metric).
    flagged_sku_effects
        Flagged groups × sku, mutually adjusted (``affected``: carries the premium).
    flagged
        One row per flagged (group, metric), estimates at selection.
    rounds
        Rounds run.
    adjusted_units
        The units with ``adj_*`` columns: the flagged premiums to remove.
    """

    groups: pl.DataFrame
    sku_effects: pl.DataFrame
    flagged_sku_effects: pl.DataFrame
    flagged: pl.DataFrame
    rounds: int
    adjusted_units: pl.DataFrame


def audit(units: pl.DataFrame, sets: list[tuple[str, ...]], settings: Settings) -> Disparity:
    """Run the stepwise matched audit over ``sets`` on the prepared order ``units``.

    Parameters
    ----------
    units
        Order units (:func:`workbench.pricing.order_units`): ``cust`` (0-based
        customer index), ``cell``, ``cell_ch``, ``sku``, the metric columns and the
        attribute columns.
    sets
        The attribute sets to audit (:func:`workbench.attributes.attribute_sets`).
    settings
        The thresholds and resampling sizes.

    Returns
    -------
    Disparity
        The round-0 table with every group's status, the flagged groups and their
        per-sku premiums, and the units with the premiums to remove.
    """
    au = _start(units, sets, settings)
    first, first_skus, picked, echo_of, rounds = _stepwise(au)
    final_skus = _mutually_adjusted(au, picked)
    adj = _adjustments(au, picked)
    units = units.with_columns(pl.Series(f"adj_{m}", adj[m]) for m in settings.metrics)
    sku_final = (
        pl.concat([final_skus[i].with_columns(pl.lit(pk["attribute"]).alias("attribute"),
                                              pl.lit(pk["metric"]).alias("metric"))
                   for i, pk in enumerate(picked)], how="diagonal_relaxed")
        if picked else first_skus.clear()
    )
    for i, pk in enumerate(picked):
        aff = final_skus[i].filter(pl.col("affected"))
        pk["affected_skus"] = aff.sort("beta", descending=True)["sku"].to_list()
        pk["affected_effect"] = float(aff["a"].sum() / aff["b"].sum()) if aff.height else None
    _day_evidence(au, units, picked)
    for pk in picked:
        pk.pop("_eff")
        pk.pop("_member")
    flagged = (pl.DataFrame(picked) if picked
               else first.clear().with_columns(pl.lit(0).alias("round")))
    groups = first.join(_status(picked, echo_of), on=["label", "metric"], how="left")
    groups = groups.with_columns(pl.col("flagged").fill_null(False))
    return Disparity(groups, first_skus, sku_final, flagged, rounds, units)


def _start(units: pl.DataFrame, sets: list[tuple[str, ...]], settings: Settings) -> _Audit:
    """The audit's arrays, per-set structures and random draws (placebo uniforms,
    drawn while the structures are built).
    """
    rng = np.random.default_rng(settings.seed)
    data = _prepare(units, sets, settings)

    def draws() -> np.ndarray:  # pseudo-group uniforms
        return rng.random(size=(settings.n_placebo, data.n_cust))

    with ThreadPoolExecutor(1) as pool:  # draw while the per-set structures are built
        drawn = pool.submit(draws)
        metric_key: dict[str, str] = {}
        for m in settings.metrics:
            metric_key[m] = next((k for k in metric_key.values()
                                  if np.array_equal(data.valid[k], data.valid[m])), m)
        keys = list(dict.fromkeys((attrs, metric_key[m])
                                  for m in settings.metrics for attrs in sets))
        built = _map(lambda k: _build(data, k[0], k[1], settings), keys)
        structs = dict(zip(keys, built, strict=True))
        uniforms = drawn.result()
    return _Audit(data, list(sets), settings, _Placebo(uniforms), structs, metric_key)


def _stepwise(au: _Audit) -> tuple[pl.DataFrame, pl.DataFrame, list[dict],
                                   dict[tuple[str, str], str], int]:
    """Flag the strongest candidate, remove its premium, re-test; until none is left.

    Returns the round-0 table and per-sku effects, the picked groups (rows of
    their round with ``round``, ``_eff`` and ``_member``), the echoes and the
    number of rounds.
    """
    settings = au.settings
    adj = {m: np.zeros(au.data.n) for m in settings.metrics}
    first: pl.DataFrame | None = None
    first_skus: pl.DataFrame | None = None
    picked: list[dict] = []
    echo_of: dict[tuple[str, str], str] = {}
    prev_candidates: set[tuple[str, str]] = set()
    rounds = 0
    for rnd in range(settings.max_rounds):
        rounds = rnd + 1
        table, skus = _test_round(au, adj, rnd, with_aa=(rnd == 0), perm_all=(rnd == 0),
                                  skip={(p["label"], p["metric"]) for p in picked})
        table = table.drop("_key")
        if first is None:
            first, first_skus = table, skus
        cands = table.filter(pl.col("candidate"))
        now = {(r["label"], r["metric"])
               for r in cands.select("label", "metric").iter_rows(named=True)}
        if picked:
            for key in prev_candidates - now:
                if key not in {(p["label"], p["metric"]) for p in picked}:
                    echo_of.setdefault(key, picked[-1]["label"])
        prev_candidates = now
        best = _strongest(cands, {(p["label"], p["metric"]) for p in picked})
        if best is None:
            break
        best["round"] = rnd + 1
        # Remove the group's premium on every sku (its group × sku effect), not only on
        # the skus where it is individually significant: an undetected remainder
        # would otherwise resurface in intersections (``channel=app&device_os=ios``).
        se = (
            skus.filter((pl.col("label") == best["label"]) & (pl.col("metric") == best["metric"])
                        & (pl.col("attribute") == best["attribute"]))
            if skus is not None
            else _round_skus(au, adj, best["attribute"], best["metric"], best["label"])
        )
        best["_eff"] = se.select("sku", pl.col("beta").alias("_eff"))
        best["_member"] = _membership(au, best["attribute"], best["metric"], best["label"])
        picked.append(best)
        adj = _adjustments(au, picked)
    assert first is not None and first_skus is not None
    return first, first_skus, picked, echo_of, rounds


def _strongest(cands: pl.DataFrame, done: set[tuple[str, str]]) -> dict | None:
    """The candidate not yet picked to flag next: single attributes before
    intersections, then the largest z.
    """
    new = cands.filter(
        ~pl.struct("label", "metric").is_in([{"label": k[0], "metric": k[1]} for k in done])
        if done else pl.lit(True)
    )
    if new.height == 0:
        return None
    new = new.with_columns(pl.col("attribute").str.contains("&").alias("_pair")).sort(
        ["_pair", "z"], descending=[False, True]
    )
    return new.row(0, named=True)


def _mutually_adjusted(au: _Audit, picked: list[dict]) -> dict[int, pl.DataFrame]:
    """Mutual adjustment: re-estimate each flagged group's per-sku premium with every
    *other* flagged group's premium removed (two passes), so that one planted
    premium does not leak into another group's affected skus through chance
    correlation of the groups within cells. Updates each pick's ``_eff``.
    """
    final_skus: dict[int, pl.DataFrame] = {}
    for _ in range(2 if len(picked) > 1 else 1):
        for i, pk in enumerate(picked):
            others = [q for j, q in enumerate(picked) if j != i]
            se = _round_skus(au, _adjustments(au, others), pk["attribute"], pk["metric"],
                             pk["label"])
            final_skus[i] = se
            pk["_eff"] = se.select("sku", pl.col("beta").alias("_eff"))
    return final_skus


def _day_evidence(au: _Audit, units: pl.DataFrame, picked: list[dict]) -> None:
    """Day-level evidence of each flagged group: the same estimator on sku × day
    (× channel) cells, every other flagged group's premium removed. Adds
    ``beta_day``, ``se_perm_day`` and ``orders_matched_day`` to each pick (the
    decision is taken on the audit's cells; this shows the premium at the finest
    "same time").
    """
    if not picked or "day" not in units.columns:
        return
    needed = {cell_column(tuple(pk["attribute"].split("&")), au.settings) for pk in picked}
    cells = {c: v for c, v in day_cells(units).items() if c in needed}
    by_cell = {c: np.argsort(v, kind="stable").astype(np.int32) for c, v in cells.items()}
    day = dataclasses.replace(au.data, cells=cells, by_cell=by_cell)
    for i, pk in enumerate(picked):
        attrs = tuple(pk["attribute"].split("&"))
        st = _build(day, attrs, pk["metric"], au.settings)
        others = _adjustments(au, [q for j, q in enumerate(picked) if j != i])
        row = _group_frame(st, _residuals(st, au.outcome(pk["metric"], others))).row(
            st.labels.index(pk["label"]), named=True) if pk["label"] in st.labels else None
        ok = row is not None and row["b"] > 0
        pk["beta_day"] = row["a"] / row["b"] if ok else None
        pk["se_perm_day"] = float(np.sqrt(row["vperm"]) / row["b"]) if ok else None
        pk["orders_matched_day"] = int(row["n_inf"]) if row is not None else 0


def _status(picked: list[dict], echo_of: dict[tuple[str, str], str]) -> pl.DataFrame:
    """``flagged`` and ``echo_of`` per (label, metric) of the picked groups and echoes."""
    picked_keys = {(p["label"], p["metric"]) for p in picked}
    echo_of = {k: v for k, v in echo_of.items() if k not in picked_keys}
    return pl.DataFrame(
        {
            "label": [p["label"] for p in picked] + [k[0] for k in echo_of],
            "metric": [p["metric"] for p in picked] + [k[1] for k in echo_of],
            "flagged": [True] * len(picked) + [False] * len(echo_of),
            "echo_of": [None] * len(picked) + list(echo_of.values()),
        },
        schema={"label": pl.String, "metric": pl.String, "flagged": pl.Boolean,
                "echo_of": pl.String},
    )


def _round_skus(au: _Audit, adj: dict[str, np.ndarray], attribute: str, metric: str,
                label: str) -> pl.DataFrame:
    """Per-sku estimates of one group with the given adjustments."""
    attrs = tuple(attribute.split("&"))
    st = au.struct(attrs, metric)
    gidx = st.labels.index(label)
    rd = _residuals(st, au.outcome(metric, adj))
    return _sku_effects(st, au.data, rd, au.settings.alpha, only=np.array([gidx]))


def _membership(au: _Audit, attribute: str, metric: str, label: str) -> np.ndarray:
    """Rows of ``units`` in the group (``group_label(attrs) == label``)."""
    attrs = tuple(attribute.split("&"))
    st = au.struct(attrs, metric)
    combo, _ = _combo(au.data, attrs)
    return combo == st.combos[st.labels.index(label)]


def _adjustments(au: _Audit, picks: list[dict]) -> dict[str, np.ndarray]:
    """``adj_<metric>`` per unit row = the sum of the given flagged groups' per-sku
    premiums on their members' orders (a unit-price premium also lowers the net one).
    """
    data, metrics = au.data, au.settings.metrics
    adj = {m: np.zeros(data.n) for m in metrics}
    for pk in picks:
        eff = np.zeros(max(len(data.sku_names), 1))
        e = pk["_eff"]
        if e.height:
            code = pl.Series(e["sku"]).cast(pl.Enum(data.sku_names)).to_physical()
            eff[code.to_numpy().astype(np.int64)] = e["_eff"].to_numpy()
        add = np.where(pk["_member"], eff[data.sku] if data.n else 0.0, 0.0)
        targets = [pk["metric"]]
        if pk["metric"] == "log_premium" and "log_net_premium" in metrics:
            targets.append("log_net_premium")
        for m in targets:
            adj[m] = adj[m] + add
    return adj

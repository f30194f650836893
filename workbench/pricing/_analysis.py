"""The pricing analysis' entry point: :func:`analyze`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from workbench.analysis import AnalysisResult, as_period
from workbench.attributes import attribute_sets, group_label
from workbench.findings import empty_findings, make_findings
from workbench.periods import Period
from workbench.pricing import _figures, _money
from workbench.pricing._attributes import (
    CONFIRMATORY_ATTRIBUTES,
    DEFAULT_ATTRIBUTES,
    check_attributes,
    customer_attributes,
)
from workbench.pricing._explained import DEFAULT_TOLERANCE, order_findings, priced_orders
from workbench.pricing._matched import METRIC_TITLES, Disparity, Settings, audit
from workbench.pricing._metricframe import group_metric_frame

ANALYSIS = "pricing"
#: The contract tables this analysis reads.
TABLES: tuple[str, ...] = (
    "subsidiaries",
    "customers",
    "tier_policy",
    "tier_benefits",
    "tier_assignments",
    "promotions",
    "orders",
)
#: Per-sku rows kept in a finding's evidence.
MAX_SKUS_IN_DETAIL = 50


@dataclass(frozen=True)
class PricingResult(AnalysisResult):
    """:class:`~workbench.analysis.AnalysisResult` plus the audit's intermediate frames.

    ``orders`` holds every order of the period with its explained price,
    attributes, cell ids and outcomes (``log_premium``, ``log_net_premium``, and
    ``adj_*``: the flagged groups' estimated premiums, removed in the mitigation
    view). ``disparity`` is the stepwise audit (:class:`~workbench.pricing.Disparity`).
    """

    orders: pl.DataFrame | None = None
    disparity: Disparity | None = None
    params: dict[str, Any] | None = None


def orders_by_month(
    frames: Mapping[str, pl.LazyFrame], period: Period | str, *, months: int = 12
) -> pl.DataFrame:
    """Orders per calendar month and channel over the ``months`` months ending with
    ``period``. Columns ``month`` (first day), ``channel``, ``orders``."""
    p = as_period(period)
    return (
        frames["orders"]
        .filter(pl.col("ordered_at").is_between(p.months_back(months), p.end, closed="left"))
        .group_by(pl.col("ordered_at").dt.truncate("1mo").dt.date().alias("month"), "channel")
        .agg(pl.len().alias("orders"))
        .sort("month", "channel")
        .collect()
    )


def order_units(
    frames: Mapping[str, pl.LazyFrame], period: Period | str, *, tolerance: float = DEFAULT_TOLERANCE,
    window_days: int = 1,
) -> pl.DataFrame:
    """Orders of the period ready for the matched audit (collected once, here).

    Explained price and flags (:func:`priced_orders`), the customer's audit
    attributes, ``log_premium``, ``log_net_premium`` (null where not positive),
    ``window`` (index of the ``window_days`` window since the period start),
    integer cell ids ``cell`` (sku × window) and ``cell_ch`` (× channel), and
    ``cust`` (0-based customer index for the bootstrap).
    """
    p = as_period(period)
    attrs = customer_attributes(frames["customers"], p.end, p.last_day.year)
    q = pl.col("quantity")
    net = pl.col("charged_price") * q - pl.col("coupon_cny")
    lf = (
        priced_orders(frames, p, tolerance=tolerance)
        .rename({"province": "delivery_province"})
        .join(attrs, on="customer_id", how="left")
        .with_columns(
            pl.when((pl.col("charged_price") > 0) & (pl.col("explained_price") > 0))
            .then((pl.col("charged_price") / pl.col("explained_price")).log())
            .alias("log_premium"),
            pl.when((net > 0) & (pl.col("explained_price") > 0))
            .then((net / (pl.col("explained_price") * q)).log())
            .alias("log_net_premium"),
            ((pl.col("ordered_at") - pl.lit(p.start)).dt.total_days() // window_days).alias("window"),
        )
        .with_columns(
            pl.concat_str("sku", pl.col("window").cast(pl.String), separator="|").rank("dense").cast(pl.Int64).alias("cell"),
            pl.concat_str("sku", pl.col("window").cast(pl.String), "channel", separator="|")
            .rank("dense").cast(pl.Int64).alias("cell_ch"),
            (pl.col("customer_id").rank("dense").cast(pl.Int64) - 1).alias("cust"),
        )
        .sort("order_id")
    )
    return lf.collect()


def _detail(row: dict[str, Any], metrics: list[dict[str, Any]], skus: pl.DataFrame, money: dict[str, Any],
            echoes: list[str], settings: Settings, tolerance: float, window_days: int) -> dict[str, Any]:
    def r6(x: Any) -> Any:
        return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else round(float(x), 6)

    per_metric = {
        m["metric"]: {
            "what": METRIC_TITLES[m["metric"]],
            "premium_log_points": r6(m["beta"]),
            "premium_pct": r6(np.expm1(m["beta"]) * 100),
            "ci_low": r6(m["ci_low"]),
            "ci_high": r6(m["ci_high"]),
            "se_permutation": r6(m["se_perm"]),
            "se_bootstrap_customers": r6(m["se_boot"]),
            "z": r6(m["z"]),
            "p_value": r6(m["p"]),
            "p_adjusted": r6(m["p_adj"]),
            "correction": m["correction"],
            "p_permutation": r6(m["p_perm"]),
            "p_permutation_method": m.get("p_perm_method"),
            "placebo_floor": r6(m["floor"]),
            "aa_floor_all_customers": r6(m["aa_floor"]),
            "premium_on_affected_skus": r6(m["affected_effect"]),
            "orders_in_matched_cells": int(m["n_inf"]),
            "customers_in_matched_cells": int(m["customers_inf"]),
            "selected_in_round": int(m["round"]),
        }
        for m in metrics
    }
    return {
        "attribute": row["attribute"],
        "group": row["label"],
        "metrics": per_metric,
        "affected_skus": skus.head(MAX_SKUS_IN_DETAIL).to_dicts(),
        "affected_sku_count": skus.height,
        "echoes": echoes,
        **money,
        "method": "matched cells sku × window"
        + (" × channel" if settings.cell_includes_channel and "channel" not in row["attribute"] else "")
        + f" ({window_days} d); cell fixed-effects contrast of log(charged/explained) vs the rest; "
        "bootstrap over customers; within-cell permutation; placebo A/A floor; stepwise removal of echoes",
        "thresholds": {
            "alpha": settings.alpha,
            "min_premium": settings.min_premium,
            "min_group_orders": settings.min_group_orders,
            "min_group_customers": settings.min_group_customers,
            "tolerance": tolerance,
        },
    }


def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    window_days: int = 1,
    cell_includes_channel: bool = True,
    min_group_orders: int = 200,
    min_group_customers: int = 50,
    alpha: float = 0.05,
    min_premium: float = 0.01,
    n_bootstrap: int = 300,
    n_permutations: int = 200,
    n_placebo: int = 20,
    intersections: bool = True,
    attributes: tuple[str, ...] = DEFAULT_ATTRIBUTES,
    model_check: bool = True,
    model_max_rows: int = 200_000,
    seed: int = 0,
) -> PricingResult:
    """Audit the period's prices: unexplained premiums, unannounced promotions, and
    groups that pay more for the same sku at the same time (大数据杀熟).

    Parameters
    ----------
    frames
        Contract LazyFrames (:func:`workbench.sources.load` with :data:`TABLES`).
    period
        A :class:`~workbench.periods.Period` or its label.
    tolerance
        Relative tolerance on charged vs explained price (rounding to cents).
    window_days
        Length of the time window of a matched cell.
    cell_includes_channel
        Whether a cell is also split by channel (never when auditing channel).
    min_group_orders, min_group_customers
        Minimum size of a group (and orders of its rest) in matched cells.
    alpha
        Level after Holm (confirmatory: tenure_band, device_os, province) or
        Benjamini–Hochberg (everything else).
    min_premium
        Practical threshold on the premium (log points ≈ relative).
    n_bootstrap, n_permutations, n_placebo
        Customer bootstrap replicates, Monte Carlo within-cell permutations,
        random A/A splits.
    intersections
        Also audit every pair of attributes (``a=x&b=y``, alphabetical).
    attributes
        The audit attributes (:data:`DEFAULT_ATTRIBUTES`).
    model_check
        Fit the gradient-boosting check (legitimate features vs + audited ones).
    model_max_rows
        Rows sampled for the model check.
    seed
        Seed of every random draw (bootstrap, permutation, placebo, model).

    Returns
    -------
    PricingResult
        ``findings`` (contract schema), ``tables`` and ``figures`` (plotly).

    Examples
    --------
    >>> from workbench.pricing._synthetic import synthetic_frames
    >>> res = analyze(synthetic_frames(seed=1, ios_premium=0.04), "2026-Q3", intersections=False,
    ...               n_bootstrap=50, n_permutations=50, n_placebo=5, model_check=False)
    >>> sorted(res.findings.filter(pl.col("rule") == "price_disparity")["entity_id"])
    ['device_os=ios']
    """
    p = as_period(period)
    attrs = check_attributes(attributes)
    settings = Settings(
        cell_includes_channel=cell_includes_channel, min_group_orders=min_group_orders,
        min_group_customers=min_group_customers, alpha=alpha, min_premium=min_premium,
        n_bootstrap=n_bootstrap, n_permutations=n_permutations, n_placebo=n_placebo, seed=seed,
    )
    params = {k: v for k, v in locals().items() if k not in ("frames", "period", "p", "settings", "attrs")}
    units = order_units(frames, p, tolerance=tolerance, window_days=window_days)
    sets = attribute_sets(attrs, intersections)
    disparity = audit(units, sets, settings)

    raw = [order_findings(units, tolerance=tolerance)]
    flagged = disparity.flagged
    tables: dict[str, pl.DataFrame] = {}
    group_money = _money.group_overcharge(units, flagged, disparity.flagged_sku_effects)
    if flagged.height:
        echoes = disparity.groups.filter(pl.col("echo_of").is_not_null())
        rows = []
        for label, part in flagged.group_by("label", maintain_order=True):
            first = part.row(0, named=True)
            set_attrs = tuple(first["attribute"].split("&"))
            skus = (
                disparity.flagged_sku_effects.filter(
                    (pl.col("label") == first["label"]) & (pl.col("metric") == first["metric"]) & pl.col("affected")
                )
                .sort("beta", descending=True)
                .select("sku", pl.col("beta").round(6).alias("premium_log_points"), pl.col("q").round(6),
                        pl.col("n_inf").alias("orders"))
            )
            money = group_money.filter(pl.col("group") == first["label"]).drop("group").to_dicts()[0]
            e = echoes.filter((pl.col("echo_of") == first["label"]) & (pl.col("label") != first["label"]))[
                "label"].unique().sort().to_list()
            detail = _detail(first, part.to_dicts(), skus, money, e, settings, tolerance, window_days)
            effect = float(part["material_effect"].max())
            rows.append(
                {
                    "rule": "price_disparity",
                    "severity": "high" if effect >= 0.03 or set_attrs[0] in CONFIRMATORY_ATTRIBUTES else "medium",
                    "entity_type": "group",
                    "entity_id": first["label"],
                    "subsidiary_id": None,
                    "amount_cny": round(float(money["overcharge_cny"]), 2),
                    "detail": json.dumps(detail, ensure_ascii=False, default=str),
                }
            )
        raw.append(pl.DataFrame(rows))
    raw = [r for r in raw if r.height]
    findings = (
        make_findings(pl.concat(raw, how="diagonal_relaxed"), analysis=ANALYSIS, period=p.label)
        if raw else empty_findings()
    )

    # ------------------------------------------------------------------ tables
    tables["orders_summary"] = _money.orders_summary(units)
    tables["groups"] = _group_table(disparity.groups)
    tables["flagged"] = _group_table(flagged) if flagged.height else _group_table(disparity.groups.clear())
    tables["sku_effects"] = disparity.flagged_sku_effects.sort("label", "metric", "beta", descending=[False, False, True])
    tables["group_overcharge"] = group_money
    tables["refund_list"] = _money.refund_list(units, flagged)
    tables["overcharge_by_subsidiary"] = _money.overcharge_by_subsidiary(units, flagged)
    tables["mitigation"] = _money.mitigation(disparity, settings, sets)
    tables["metric_frame"] = group_metric_frame(units, [a for a in attrs], tolerance=tolerance)
    if model_check:
        from workbench.pricing._model import model_check as _model_check

        tables["model_check"], tables["model_importance"] = _model_check(
            units, attrs, max_rows=model_max_rows, seed=seed
        )
    figures = _figures.all_figures(units, disparity, tables)
    return PricingResult(findings=findings, tables=tables, figures=figures, orders=units,
                         disparity=disparity, params=params)


_GROUP_COLUMNS = [
    "attribute", "label", "metric", "orders", "customers", "n_inf", "customers_inf", "rest_inf", "beta",
    "ci_low", "ci_high", "se_perm", "se_boot", "z", "p", "p_adj", "correction", "p_perm", "p_perm_method",
    "floor", "aa_floor", "affected_effect", "material_effect", "affected_skus", "tested", "candidate", "flagged", "echo_of", "round",
]


def _group_table(df: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in _GROUP_COLUMNS if c in df.columns]
    out = df.select(cols).rename({"label": "group", "n_inf": "orders_matched", "customers_inf": "customers_matched",
                                  "rest_inf": "rest_orders_matched", "floor": "placebo_floor"})
    if "affected_skus" in out.columns:
        out = out.with_columns(pl.col("affected_skus").list.len().fill_null(0).alias("affected_skus"))
    return out.sort("attribute", "group", "metric")


__all__ = ["ANALYSIS", "TABLES", "PricingResult", "analyze", "order_units", "orders_by_month", "group_label"]

"""One builder per pricing rule code (see :data:`workbench.contract.RULES`).

* :func:`unexplained_premium` — one finding per order charged above its explained
  price by more than the tolerance.
* :func:`unpublished_promotion` — one finding per order using a promotion that was
  never announced.
* :func:`price_disparity` — one finding per flagged group of the stepwise matched
  audit (:mod:`workbench.pricing._audit`).

Each returns raw findings (``rule``, ``severity``, ``entity_type``, ``entity_id``,
``subsidiary_id``, ``amount_cny``, ``detail`` as JSON text), empty when nothing is
found; :func:`workbench.findings.make_findings` turns them into contract findings.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl

from workbench.pricing._audit import Disparity
from workbench.pricing._estimator import METRIC_TITLES, Settings
from workbench.pricing._money import AMOUNT_CI_METHOD, AMOUNT_METHOD, excess_cents
from workbench.pricing._round import P_VALUE_METHOD
from workbench.severity import evidence_dict, severity, severity_evidence, severity_value

#: Per-sku rows kept in a ``price_disparity`` finding's evidence.
MAX_SKUS_IN_DETAIL = 50

_ORDER_COLUMNS = ["order_id", "customer_id", "sku", "ordered_at", "channel", "tier", "list_price",
                  "charged_price", "explained_price", "quantity", "promo_id"]


def _encoded(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(pl.col("detail").struct.json_encode()) if raw.height else raw


def _flagged_groups(priced: pl.DataFrame, parts: pl.DataFrame | None) -> pl.DataFrame:
    """Per order with a part: ``flagged_groups`` (list of group, attributed_cny, share
    of the order's excess) and ``attributed_cents``.
    """
    schema = {"order_id": pl.String, "attributed_cents": pl.Int64}
    if parts is None or not parts.height:
        return pl.DataFrame(schema=schema).with_columns(
            pl.lit(None, pl.List(pl.Struct({"group": pl.String, "attributed_cny": pl.Float64,
                                            "share": pl.Float64}))).alias("flagged_groups"))
    x = priced.select("order_id", excess_cents(priced).alias("_x"))
    return (
        parts.join(x, on="order_id", how="left")
        .sort("order_id", "cents", "group", descending=[False, True, False])
        .group_by("order_id", maintain_order=True)
        .agg(
            pl.struct(pl.col("group"), (pl.col("cents") / 100).alias("attributed_cny"),
                      (pl.col("cents") / pl.col("_x")).round(4).alias("share"))
            .alias("flagged_groups"),
            pl.col("cents").sum().alias("attributed_cents"),
        )
    )


def unexplained_premium(priced: pl.DataFrame, *, tolerance: float,
                        parts: pl.DataFrame | None = None) -> pl.DataFrame:
    """Raw ``unexplained_premium`` findings, one per order above the tolerance.

    Amount = (charged − explained) × quantity (kind overcharge). The evidence names
    the flagged groups the order's customer belongs to with the part of the excess
    attributed to each (``flagged_groups``: group, attributed_cny, share) and the
    ``unattributed_cny`` rest; severity from the packaged severity policy on the
    premium and the excess (a ¥0.40 excess is low), its inputs in ``severity_basis``.

    Parameters
    ----------
    priced
        Priced orders (:func:`workbench.pricing.priced_orders`, collected).
    tolerance
        The tolerance the orders were flagged with (reported in ``detail``).
    parts
        The orders' parts per flagged group (:func:`workbench.pricing._money.order_parts`);
        None: no flagged group.

    Returns
    -------
    polars.DataFrame
        Raw findings.
    """
    amount = pl.col("_x") / 100
    inputs = {"premium": pl.col("premium"), "excess_cny": amount}
    raw = (
        priced.filter(pl.col("is_unexplained"))
        .with_columns(excess_cents(priced).alias("_x"))
        .join(_flagged_groups(priced, parts), on="order_id", how="left")
        .select(
            pl.lit("unexplained_premium").alias("rule"),
            severity("unexplained_premium", **inputs).alias("severity"),
            pl.lit("order").alias("entity_type"),
            pl.col("order_id").alias("entity_id"),
            "subsidiary_id",
            amount.alias("amount_cny"),
            pl.lit("overcharge").alias("amount_kind"),
            pl.struct(
                *_ORDER_COLUMNS,
                pl.col("tier_discount_pct"),
                pl.col("promo_discount_pct"),
                (pl.col("premium") * 100).round(3).alias("premium_pct"),
                pl.lit(tolerance * 100).alias("tolerance_pct"),
                pl.col("flagged_groups").fill_null(pl.lit([], pl.List(pl.Struct({
                    "group": pl.String, "attributed_cny": pl.Float64, "share": pl.Float64})))),
                ((pl.col("_x") - pl.col("attributed_cents").fill_null(0)) / 100)
                .alias("unattributed_cny"),
                severity_evidence("unexplained_premium", **inputs).alias("severity_basis"),
            ).alias("detail"),
        )
    )
    return _encoded(raw)


def unpublished_promotion(priced: pl.DataFrame) -> pl.DataFrame:
    """Raw ``unpublished_promotion`` findings, one per order using an unannounced promotion.

    Amount = the undisclosed discount given (kind discount: a benefit some customers
    received and others could not know of, never money at stake for them); severity
    from the severity policy on that discount (``severity_basis``).

    Parameters
    ----------
    priced
        Priced orders (:func:`workbench.pricing.priced_orders`, collected).

    Returns
    -------
    polars.DataFrame
        Raw findings.
    """
    discount = pl.col("hidden_discount_cny").round(2)
    raw = priced.filter(pl.col("is_unpublished_promo")).select(
        pl.lit("unpublished_promotion").alias("rule"),
        severity("unpublished_promotion", discount_cny=discount).alias("severity"),
        pl.lit("order").alias("entity_type"),
        pl.col("order_id").alias("entity_id"),
        "subsidiary_id",
        discount.alias("amount_cny"),
        pl.lit("discount").alias("amount_kind"),
        pl.struct(*_ORDER_COLUMNS, pl.lit("promotion is not public").alias("why"),
                  severity_evidence("unpublished_promotion", discount_cny=discount)
                  .alias("severity_basis")).alias("detail"),
    )
    return _encoded(raw)


def order_findings(priced: pl.DataFrame, *, tolerance: float) -> pl.DataFrame:
    """Raw ``unexplained_premium`` and ``unpublished_promotion`` findings together.

    Parameters
    ----------
    priced
        Priced orders (:func:`workbench.pricing.priced_orders`, collected).
    tolerance
        Relative tolerance on charged vs explained price.

    Returns
    -------
    polars.DataFrame
        :func:`unexplained_premium` then :func:`unpublished_promotion` rows (no
        columns when there is neither).
    """
    out = [f for f in (unexplained_premium(priced, tolerance=tolerance),
                       unpublished_promotion(priced)) if f.height]
    return pl.concat(out, how="vertical") if out else pl.DataFrame()


def price_disparity(disparity: Disparity, group_amounts: pl.DataFrame, settings: Settings, *,
                    tolerance: float, window_days: int) -> pl.DataFrame:
    """Raw ``price_disparity`` findings, one per flagged group.

    Amount = the group's attributable overcharge (kind overcharge; contract v1.1:
    its own premium on its members' orders, net of the other flagged groups; see
    :mod:`workbench.pricing._money`), with ``amount_ci_low`` / ``amount_ci_high`` and
    the method in ``detail`` — the one money figure of the group. Severity from the
    severity policy on the material effect, that amount and the customers who paid
    it (``severity_basis``). ``detail`` also holds the per-metric estimates, the
    affected skus, the echoes and the thresholds.

    Parameters
    ----------
    disparity
        The stepwise audit (:func:`workbench.pricing.audit`).
    group_amounts
        Money per flagged group (:func:`workbench.pricing._money.group_amounts`).
    settings
        The audit's thresholds.
    tolerance
        Relative tolerance on charged vs explained price.
    window_days
        Length of a matched cell's time window.

    Returns
    -------
    polars.DataFrame
        Raw findings.
    """
    flagged = disparity.flagged
    if not flagged.height:
        return pl.DataFrame()
    echoes = disparity.groups.filter(pl.col("echo_of").is_not_null())
    rows = []
    for _, part in flagged.group_by("label", maintain_order=True):
        first = part.row(0, named=True)
        label = first["label"]
        skus = (
            disparity.flagged_sku_effects.filter(
                (pl.col("label") == label) & (pl.col("metric") == first["metric"])
                & pl.col("affected")
            )
            .sort("beta", descending=True)
            .select("sku", pl.col("beta").round(6).alias("premium_log_points"),
                    pl.col("q").round(6), pl.col("n_inf").alias("orders"))
        )
        money = _money_detail(group_amounts.filter(pl.col("group") == label).row(0, named=True))
        e = echoes.filter((pl.col("echo_of") == label) & (pl.col("label") != label))[
            "label"].unique().sort().to_list()
        detail = _detail(first, part.to_dicts(), skus, money, e, settings, tolerance, window_days)
        inputs = {"effect": _r6(part["material_effect"].max()),
                  "overcharge_cny": money["amount_cny"],
                  "customers": money["customers_overcharged"]}
        detail["severity_basis"] = evidence_dict("price_disparity", **inputs)
        rows.append(
            {
                "rule": "price_disparity",
                "severity": severity_value("price_disparity", **inputs),
                "entity_type": "group",
                "entity_id": label,
                "subsidiary_id": None,
                "amount_cny": money["amount_cny"],
                "amount_kind": "overcharge",
                "detail": json.dumps(detail, ensure_ascii=False, default=str),
            }
        )
    return pl.DataFrame(rows)


def _money_detail(row: dict[str, Any]) -> dict[str, Any]:
    """A group's money evidence: the attributable amount, its interval and how."""
    return {
        "amount_cny": row["amount_cny"],
        "amount_kind": "overcharge",
        "amount_ci_low": row["amount_ci_low"],
        "amount_ci_high": row["amount_ci_high"],
        "amount_method": AMOUNT_METHOD,
        "amount_ci_method": AMOUNT_CI_METHOD,
        "orders": row["orders"],
        "customers": row["customers"],
        "orders_overcharged": row["orders_overcharged"],
        "customers_overcharged": row["customers_overcharged"],
    }


def _r6(x: Any) -> Any:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return round(float(x), 6)


#: How ``material_effect`` (the premium that decides materiality) is estimated.
MATERIAL_EFFECT_METHOD = (
    "cross-fitted: skus selected (Benjamini-Hochberg) on one random half of the customers, "
    "premium measured on the other half and vice versa; the all-sku premium where no sku is "
    "selected (no winner's curse)"
)


def _sig3(x: Any) -> Any:
    """A p-value to 3 significant digits: a tiny p stays visible instead of rounding to 0."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return float(f"{float(x):.3g}")


def _metric_detail(m: dict[str, Any]) -> dict[str, Any]:
    """One metric's evidence: the estimate, ONE p-value with how it was obtained, and the
    robustness checks the decision also required (conditions, not more p-values).
    """
    return {
        "what": METRIC_TITLES[m["metric"]],
        "premium_log_points": _r6(m["beta"]),
        "premium_pct": _r6(np.expm1(m["beta"]) * 100),
        "ci_low": _r6(m["ci_low"]),
        "ci_high": _r6(m["ci_high"]),
        "se_permutation": _r6(m["se_perm"]),
        "se_clustered_customers": _r6(m["se_cluster"]),
        "z": _r6(m["z"]),
        "p_value": _sig3(m["p_adj"]),
        "p_value_method": f"{m.get('p_value_method') or P_VALUE_METHOD} ({m['correction']})",
        "test_basis": m.get("test_basis"),
        "z_affected_skus": _r6(m.get("z_affected")),
        "material_effect": _r6(m.get("material_effect")),
        "material_effect_method": MATERIAL_EFFECT_METHOD,
        "robustness_checks": {
            "permutation": {"method": m.get("p_perm_method"), "p_at_most": _sig3(m["p_perm"])},
            "placebo_floor": _r6(m["floor"]),
            "aa_floor_all_customers": _r6(m["aa_floor"]),
        },
        "premium_on_selected_skus_descriptive": _r6(m["affected_effect"]),
        "orders_in_matched_cells": int(m["n_inf"]),
        "customers_in_matched_cells": int(m["customers_inf"]),
        "selected_in_round": int(m["round"]),
    }


def _detail(row: dict[str, Any], metrics: list[dict[str, Any]], skus: pl.DataFrame,
            money: dict[str, Any], echoes: list[str], settings: Settings, tolerance: float,
            window_days: int) -> dict[str, Any]:
    channel = settings.cell_includes_channel and "channel" not in row["attribute"]
    return {
        "attribute": row["attribute"],
        "group": row["label"],
        "metrics": {m["metric"]: _metric_detail(m) for m in metrics},
        "affected_skus": skus.head(MAX_SKUS_IN_DETAIL).to_dicts(),
        "affected_sku_count": skus.height,
        "echoes": echoes,
        **money,
        "method": "matched cells sku × "
        + ("ISO week" if window_days == 7 else f"{window_days}-day window")
        + (" × channel" if channel else "")
        + "; cell fixed-effects contrast of log(charged/explained) vs the rest; "
        "standard errors clustered by customer; within-cell permutation; placebo A/A floor; "
        "stepwise removal of echoes",
        "thresholds": {
            "alpha": settings.alpha,
            "min_premium": settings.min_premium,
            "min_group_orders": settings.min_group_orders,
            "min_group_customers": settings.min_group_customers,
            "tolerance": tolerance,
        },
    }

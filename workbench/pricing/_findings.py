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

from workbench.pricing._attributes import CONFIRMATORY_ATTRIBUTES
from workbench.pricing._audit import Disparity
from workbench.pricing._estimator import METRIC_TITLES, Settings

#: Per-sku rows kept in a ``price_disparity`` finding's evidence.
MAX_SKUS_IN_DETAIL = 50
#: ``unexplained_premium`` severity: high from this premium (charged / explained − 1) …
HIGH_PREMIUM = 0.10
#: … medium from this one, else low.
MEDIUM_PREMIUM = 0.03
#: ``price_disparity`` is high from this material effect (log points), or on a
#: confirmatory attribute; medium otherwise.
HIGH_GROUP_PREMIUM = 0.03

_ORDER_COLUMNS = ["order_id", "customer_id", "sku", "ordered_at", "channel", "tier", "list_price",
                  "charged_price", "explained_price", "quantity", "promo_id"]


def _severity(premium: pl.Expr) -> pl.Expr:
    return (
        pl.when(premium >= HIGH_PREMIUM).then(pl.lit("high"))
        .when(premium >= MEDIUM_PREMIUM).then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )


def _encoded(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(pl.col("detail").struct.json_encode()) if raw.height else raw


def unexplained_premium(priced: pl.DataFrame, *, tolerance: float) -> pl.DataFrame:
    """Raw ``unexplained_premium`` findings, one per order above the tolerance.

    Amount = (charged − explained) × quantity; severity high from a 10 % premium,
    medium from 3 %, else low.

    Parameters
    ----------
    priced
        Priced orders (:func:`workbench.pricing.priced_orders`, collected).
    tolerance
        The tolerance the orders were flagged with (reported in ``detail``).

    Returns
    -------
    polars.DataFrame
        Raw findings.
    """
    raw = priced.filter(pl.col("is_unexplained")).select(
        pl.lit("unexplained_premium").alias("rule"),
        _severity(pl.col("premium")).alias("severity"),
        pl.lit("order").alias("entity_type"),
        pl.col("order_id").alias("entity_id"),
        "subsidiary_id",
        ((pl.col("charged_price") - pl.col("explained_price")) * pl.col("quantity")).round(2)
        .alias("amount_cny"),
        pl.struct(
            *_ORDER_COLUMNS,
            pl.col("tier_discount_pct"),
            pl.col("promo_discount_pct"),
            (pl.col("premium") * 100).round(3).alias("premium_pct"),
            pl.lit(tolerance * 100).alias("tolerance_pct"),
        ).alias("detail"),
    )
    return _encoded(raw)


def unpublished_promotion(priced: pl.DataFrame) -> pl.DataFrame:
    """Raw ``unpublished_promotion`` findings, one per order using an unannounced promotion.

    Amount = the undisclosed discount given (a benefit some customers received and
    others could not know of); severity medium.

    Parameters
    ----------
    priced
        Priced orders (:func:`workbench.pricing.priced_orders`, collected).

    Returns
    -------
    polars.DataFrame
        Raw findings.
    """
    raw = priced.filter(pl.col("is_unpublished_promo")).select(
        pl.lit("unpublished_promotion").alias("rule"),
        pl.lit("medium").alias("severity"),
        pl.lit("order").alias("entity_type"),
        pl.col("order_id").alias("entity_id"),
        "subsidiary_id",
        pl.col("hidden_discount_cny").round(2).alias("amount_cny"),
        pl.struct(*_ORDER_COLUMNS, pl.lit("promotion is not public").alias("why")).alias("detail"),
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


def price_disparity(disparity: Disparity, group_money: pl.DataFrame, settings: Settings, *,
                    tolerance: float, window_days: int) -> pl.DataFrame:
    """Raw ``price_disparity`` findings, one per flagged group.

    Amount = the group's overcharge (:func:`workbench.pricing._money.group_overcharge`);
    severity high when the material effect reaches 3 % or the attribute is
    confirmatory, else medium. ``detail`` holds the per-metric estimates, the
    affected skus, the echoes, the money and the thresholds.

    Parameters
    ----------
    disparity
        The stepwise audit (:func:`workbench.pricing.audit`).
    group_money
        Money per flagged group (column ``group`` and the money columns).
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
        set_attrs = tuple(first["attribute"].split("&"))
        skus = (
            disparity.flagged_sku_effects.filter(
                (pl.col("label") == label) & (pl.col("metric") == first["metric"])
                & pl.col("affected")
            )
            .sort("beta", descending=True)
            .select("sku", pl.col("beta").round(6).alias("premium_log_points"),
                    pl.col("q").round(6), pl.col("n_inf").alias("orders"))
        )
        money = group_money.filter(pl.col("group") == label).drop("group").to_dicts()[0]
        e = echoes.filter((pl.col("echo_of") == label) & (pl.col("label") != label))[
            "label"].unique().sort().to_list()
        detail = _detail(first, part.to_dicts(), skus, money, e, settings, tolerance, window_days)
        effect = float(part["material_effect"].max())
        high = effect >= HIGH_GROUP_PREMIUM or set_attrs[0] in CONFIRMATORY_ATTRIBUTES
        rows.append(
            {
                "rule": "price_disparity",
                "severity": "high" if high else "medium",
                "entity_type": "group",
                "entity_id": label,
                "subsidiary_id": None,
                "amount_cny": round(float(money["overcharge_cny"]), 2),
                "detail": json.dumps(detail, ensure_ascii=False, default=str),
            }
        )
    return pl.DataFrame(rows)


def _r6(x: Any) -> Any:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return round(float(x), 6)


def _metric_detail(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "what": METRIC_TITLES[m["metric"]],
        "premium_log_points": _r6(m["beta"]),
        "premium_pct": _r6(np.expm1(m["beta"]) * 100),
        "ci_low": _r6(m["ci_low"]),
        "ci_high": _r6(m["ci_high"]),
        "se_permutation": _r6(m["se_perm"]),
        "se_bootstrap_customers": _r6(m["se_boot"]),
        "z": _r6(m["z"]),
        "p_value": _r6(m["p"]),
        "p_adjusted": _r6(m["p_adj"]),
        "correction": m["correction"],
        "p_permutation": _r6(m["p_perm"]),
        "p_permutation_method": m.get("p_perm_method"),
        "placebo_floor": _r6(m["floor"]),
        "aa_floor_all_customers": _r6(m["aa_floor"]),
        "premium_on_affected_skus": _r6(m["affected_effect"]),
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
        "method": "matched cells sku × window"
        + (" × channel" if channel else "")
        + f" ({window_days} d); cell fixed-effects contrast of log(charged/explained) vs the rest; "
        "bootstrap over customers; within-cell permutation; placebo A/A floor; "
        "stepwise removal of echoes",
        "thresholds": {
            "alpha": settings.alpha,
            "min_premium": settings.min_premium,
            "min_group_orders": settings.min_group_orders,
            "min_group_customers": settings.min_group_customers,
            "tolerance": tolerance,
        },
    }

"""Money at stake: overcharge per flagged group, refund lists, the mitigation view.

* **Overcharge** of an order = max(0, charged − explained) × quantity: what the
  published factors do not explain. A flagged group's ``overcharge_cny`` sums it
  over its members' orders in the period (the contract's amount for a group);
  ``attributable_cny`` is the narrower part caused by the group premium itself,
  Σ charged × q × (1 − e^(−β_gs)) over its orders of the affected skus.
* **Refund list**: one row per customer and selling subsidiary (the order's
  ``subsidiary_id``) over orders above the tolerance or belonging to a flagged
  group with an overcharge; columns ``customer_id``, ``subsidiary_id``,
  ``orders``, ``overcharge_cny`` only (no other personal identifiers).
* **Mitigation view** (remove-the-effect): each flagged group's estimated
  per-sku premium (group × sku effect, mutually adjusted for the other flagged
  groups) is subtracted from its orders' log premium (a counterfactual price
  charged × e^(−β_gs)); the audit figures are recomputed on that outcome.
  fairlearn's mitigators do not fit here: ``ThresholdOptimizer`` post-processes
  *classifiers*, and the reductions
  (``ExponentiatedGradient`` with ``BoundedGroupLoss``) bound a regression's
  *loss* per group rather than equalising the mean price, and would retrain a
  pricing model we do not have; the price itself is the decision.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from workbench.attributes import group_label
from workbench.pricing._audit import Disparity
from workbench.pricing._estimator import Settings, _set_stats

REFUND_COLUMNS = ("customer_id", "subsidiary_id", "orders", "overcharge_cny")


def _membership(units: pl.DataFrame, flagged: pl.DataFrame) -> list[tuple[str, pl.Series]]:
    """(group label, boolean mask over ``units``) per flagged group."""
    out = []
    for attribute, label in flagged.select("attribute", "label").unique(maintain_order=True).rows():
        in_group = (group_label(attribute.split("&")) == label).fill_null(False)
        mask = units.select(in_group).to_series()
        out.append((label, mask))
    return out


def group_overcharge(units: pl.DataFrame, flagged: pl.DataFrame,
                     sku_effects: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per flagged group: orders, customers, customers affected (with an order above
    the tolerance), orders above the tolerance, overcharge (Σ max(0, charged −
    explained) × q over all its orders) and the part attributable to the group premium.
    """
    rows = []
    for label, mask in _membership(units, flagged):
        m = units.filter(mask)
        attributable = 0.0
        if sku_effects is not None and sku_effects.height:
            eff = sku_effects.filter((pl.col("label") == label) & pl.col("affected")
                                     & (pl.col("metric") == "log_premium"))
            if eff.height:
                j = m.join(eff.select("sku", "beta"), on="sku")
                paid = j["charged_price"] * j["quantity"]
                attributable = float((paid * (1 - np.exp(-j["beta"]))).sum())
        rows.append(
            {
                "group": label,
                "orders": m.height,
                "customers": m["customer_id"].n_unique(),
                "customers_affected": m.filter(pl.col("is_unexplained"))["customer_id"].n_unique(),
                "orders_above_tolerance": int(m["is_unexplained"].sum()),
                "overcharge_cny": round(float(m["overcharge_cny"].sum()), 2),
                "attributable_cny": round(attributable, 2),
            }
        )
    schema = {"group": pl.String, "orders": pl.Int64, "customers": pl.Int64,
              "customers_affected": pl.Int64, "orders_above_tolerance": pl.Int64,
              "overcharge_cny": pl.Float64, "attributable_cny": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def _refund_orders(units: pl.DataFrame, flagged: pl.DataFrame) -> pl.Series:
    mask = units["is_unexplained"]
    for _, m in _membership(units, flagged):
        mask = mask | m
    return mask & (units["overcharge_cny"] > 0)


def refund_list(units: pl.DataFrame, flagged: pl.DataFrame) -> pl.DataFrame:
    """Customers owed a refund, per selling subsidiary (columns :data:`REFUND_COLUMNS`)."""
    return (
        units.filter(_refund_orders(units, flagged))
        .group_by("customer_id", "subsidiary_id")
        .agg(pl.len().cast(pl.Int64).alias("orders"), pl.col("overcharge_cny").sum().round(2))
        .sort("subsidiary_id", "overcharge_cny", "customer_id", descending=[False, True, False])
        .select(REFUND_COLUMNS)
    )


def write_refund_lists(refunds: pl.DataFrame, directory: str | Path) -> list[Path]:
    """Write one ``refunds_<subsidiary_id>.csv`` per subsidiary; returns the paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for (sub,), part in refunds.group_by("subsidiary_id", maintain_order=True):
        path = out / f"refunds_{sub}.csv"
        part.select(REFUND_COLUMNS).write_csv(path)
        paths.append(path)
    return paths


def overcharge_by_subsidiary(units: pl.DataFrame, flagged: pl.DataFrame) -> pl.DataFrame:
    """Per selling subsidiary: orders, orders above tolerance, their overcharge, the
    overcharge on flagged groups' orders, and the refund exposure.
    """
    in_group = pl.Series("in_group", [False] * units.height)
    for _, m in _membership(units, flagged):
        in_group = in_group | m
    refund = _refund_orders(units, flagged)
    return (
        units.with_columns(in_group.alias("_g"), refund.alias("_r"))
        .group_by("subsidiary_id")
        .agg(
            pl.len().alias("orders"),
            pl.col("is_unexplained").sum().alias("orders_above_tolerance"),
            pl.col("overcharge_cny").filter(pl.col("is_unexplained")).sum().round(2)
            .alias("unexplained_overcharge_cny"),
            pl.col("overcharge_cny").filter(pl.col("_g")).sum().round(2)
            .alias("flagged_group_overcharge_cny"),
            pl.col("customer_id").filter(pl.col("_r")).n_unique().alias("refund_customers"),
            pl.col("overcharge_cny").filter(pl.col("_r")).sum().round(2).alias("refund_cny"),
        )
        .sort("subsidiary_id")
    )


def orders_summary(units: pl.DataFrame) -> pl.DataFrame:
    """One row: orders of the period, above tolerance, with unannounced promotions, money."""
    return units.select(
        pl.len().alias("orders"),
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("is_unexplained").sum().alias("orders_above_tolerance"),
        pl.col("overcharge_cny").filter(pl.col("is_unexplained")).sum().round(2)
        .alias("overcharge_cny"),
        pl.col("is_unpublished_promo").sum().alias("orders_unpublished_promo"),
        pl.col("hidden_discount_cny").sum().round(2).alias("hidden_discount_cny"),
        pl.col("log_premium").mean().alias("mean_log_premium"),
    )


def mitigation(disparity: Disparity, settings: Settings) -> pl.DataFrame:
    """β of every flagged group before and after removing the flagged premiums.

    ``removed_cny``: Σ charged × q × (1 − e^(−adjustment)) over the group's orders —
    what the counterfactual (premium-free) prices would have saved its members.
    """
    flagged = disparity.flagged
    schema = {"group": pl.String, "metric": pl.String, "beta_before": pl.Float64,
              "beta_after": pl.Float64, "mean_premium_before": pl.Float64,
              "mean_premium_after": pl.Float64, "removed_cny": pl.Float64}
    if flagged.height == 0:
        return pl.DataFrame(schema=schema)
    units = disparity.adjusted_units
    rows = []
    for row in flagged.iter_rows(named=True):
        attrs = tuple(row["attribute"].split("&"))
        metric = row["metric"]
        st = _set_stats(units, attrs, metric, settings)
        g = st.groups.filter(pl.col("label") == row["label"])
        after = float(g["a"][0] / g["b"][0]) if g.height and g["b"][0] > 0 else float("nan")
        m = units.filter((group_label(attrs) == row["label"]).fill_null(False))
        adj = m[f"adj_{metric}"]
        rows.append(
            {
                "group": row["label"],
                "metric": metric,
                "beta_before": float(disparity.groups.filter(
                    (pl.col("label") == row["label"]) & (pl.col("metric") == metric))["beta"][0]),
                "beta_after": after,
                "mean_premium_before": float(m[metric].mean() or 0.0),
                "mean_premium_after": float((m[metric] - adj).mean() or 0.0),
                "removed_cny": round(float(
                    (m["charged_price"] * m["quantity"] * (1 - np.exp(-adj))).sum()), 2),
            }
        )
    return pl.DataFrame(rows, schema=schema)

"""The evidence tables of a pricing result (``AnalysisResult.tables``)."""

from __future__ import annotations

import polars as pl

from workbench.pricing import _money
from workbench.pricing._audit import Disparity
from workbench.pricing._estimator import Settings
from workbench.pricing._metricframe import group_metric_frame

_GROUP_COLUMNS = [
    "attribute", "label", "metric", "orders", "customers", "n_inf", "customers_inf", "rest_inf",
    "beta", "ci_low", "ci_high", "se_perm", "se_cluster", "z", "z_affected", "p_all_skus",
    "p_affected_skus", "test_basis", "p", "p_adj", "correction", "p_perm",
    "p_perm_method", "floor", "aa_floor", "affected_effect", "material_effect", "affected_skus",
    "tested", "candidate", "flagged", "echo_of", "round",
]
_GROUP_RENAMES = {"label": "group", "n_inf": "orders_matched", "customers_inf": "customers_matched",
                  "rest_inf": "rest_orders_matched", "floor": "placebo_floor"}


def _group_table(df: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in _GROUP_COLUMNS if c in df.columns]
    out = df.select(cols).rename(_GROUP_RENAMES)
    if "affected_skus" in out.columns:
        out = out.with_columns(
            pl.col("affected_skus").list.len().fill_null(0).alias("affected_skus"))
    return out.sort("attribute", "group", "metric")


def evidence_tables(units: pl.DataFrame, disparity: Disparity, money: _money.Money,
                    settings: Settings, attrs: tuple[str, ...], *, tolerance: float,
                    model_check: bool, model_max_rows: int) -> dict[str, pl.DataFrame]:
    """Every table the notebook shows, by name.

    ``orders_summary``, ``groups`` (round-0 audit table with each group's status),
    ``flagged``, ``sku_effects`` (flagged groups × sku, mutually adjusted),
    ``group_amounts`` (each flagged group's attributable overcharge with its
    interval), ``group_premiums`` (the per-sku premiums it is computed from),
    ``overcharge_breakdown`` (the order-level overcharge by flagged group and
    ``unattributed``, to the cent), ``refunds`` (published), ``overcharge_by_subsidiary``,
    ``mitigation``, ``metric_frame``, with ``model_check`` and ``model_importance``
    when the model check runs; ``orders`` (the period's order units with the
    ``adj_*`` premiums the mitigation removes) and ``group_sku_effects`` (round-0
    per group × sku estimates of every set and metric).
    """
    flagged = disparity.flagged
    tables: dict[str, pl.DataFrame] = {}
    tables["orders_summary"] = _money.orders_summary(units)
    tables["groups"] = _group_table(disparity.groups)
    tables["flagged"] = _group_table(flagged if flagged.height else disparity.groups.clear())
    tables["sku_effects"] = disparity.flagged_sku_effects.sort(
        "label", "metric", "beta", descending=[False, False, True])
    tables["group_amounts"] = money.groups
    tables["group_premiums"] = money.premiums
    tables["overcharge_breakdown"] = _money.overcharge_breakdown(units, money.parts)
    tables["refunds"] = _money.refunds(units, money.parts)
    tables["overcharge_by_subsidiary"] = _money.overcharge_by_subsidiary(units, money.parts)
    tables["mitigation"] = _money.mitigation(disparity, settings)
    tables["metric_frame"] = group_metric_frame(units, list(attrs), tolerance=tolerance)
    if model_check:
        from workbench.pricing._model import model_check as _model_check

        tables["model_check"], tables["model_importance"] = _model_check(
            units, attrs, max_rows=model_max_rows, seed=settings.seed
        )
    tables["orders"] = disparity.adjusted_units
    tables["group_sku_effects"] = disparity.sku_effects
    return tables

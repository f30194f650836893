"""Pricing analysis: price discrimination (大数据杀熟) and unexplained premiums.

Entry point :func:`analyze` (``analyze(frames, period, **params) -> PricingResult``,
an :class:`~workbench.analysis.AnalysisResult`), called by
``notebooks/pricing.ipynb``. Rules (see :data:`workbench.contract.RULES`):

* ``unexplained_premium`` — an order charged above its *explained price*
  (list price × published tier discount held at order time × applicable public
  promotion) by more than the tolerance; amount = (charged − explained) × q.
* ``unpublished_promotion`` — an order whose promotion was never announced.
* ``price_disparity`` — a group (``device_os=ios``, ``tenure_band=36m+``,
  ``gender=f&province=31``, …) pays a significant, material unexplained premium
  for the same sku at the same time (:mod:`workbench.pricing._matched` states the
  estimator, the inference and the decision rule).

Legal basis: PIPL art. 24 (no unreasonable differential treatment in transaction
prices by automated decision-making); CPL Implementing Regulation (2024) art. 9
(different prices for the same goods under the same conditions without the
consumer's knowledge); the platform pricing rules in force since 2026-04-10
(willingness to pay, preferences and habits are forbidden bases).

>>> from workbench.pricing import TABLES, SUPPORTED_ATTRIBUTES
>>> "orders" in TABLES and "device_os" in SUPPORTED_ATTRIBUTES
True
"""

from workbench.attributes import age_band, attribute_sets, group_label, tenure_band
from workbench.pricing._analysis import (
    ANALYSIS,
    TABLES,
    PricingResult,
    analyze,
    order_units,
    orders_by_month,
)
from workbench.pricing._attributes import (
    CONFIRMATORY_ATTRIBUTES,
    DEFAULT_ATTRIBUTES,
    SUPPORTED_ATTRIBUTES,
)
from workbench.pricing._explained import (
    DEFAULT_TOLERANCE,
    order_findings,
    priced_orders,
    tier_at_order,
)
from workbench.pricing._figures import (
    forest_plot,
    mitigation_figure,
    overcharge_by_subsidiary,
    premium_distribution,
    refund_exposure,
    sku_group_heatmap,
)
from workbench.pricing._matched import METRICS, Disparity, Settings, audit, permutation_p
from workbench.pricing._metricframe import group_metric_frame, matched_metric_frame
from workbench.pricing._model import model_check
from workbench.pricing._money import REFUND_COLUMNS, refund_list, write_refund_lists

__all__ = [
    "ANALYSIS",
    "CONFIRMATORY_ATTRIBUTES",
    "DEFAULT_ATTRIBUTES",
    "DEFAULT_TOLERANCE",
    "METRICS",
    "REFUND_COLUMNS",
    "SUPPORTED_ATTRIBUTES",
    "TABLES",
    "Disparity",
    "PricingResult",
    "Settings",
    "age_band",
    "analyze",
    "attribute_sets",
    "audit",
    "forest_plot",
    "group_label",
    "group_metric_frame",
    "matched_metric_frame",
    "mitigation_figure",
    "model_check",
    "order_findings",
    "order_units",
    "orders_by_month",
    "overcharge_by_subsidiary",
    "permutation_p",
    "premium_distribution",
    "priced_orders",
    "refund_exposure",
    "refund_list",
    "sku_group_heatmap",
    "tenure_band",
    "tier_at_order",
    "write_refund_lists",
]

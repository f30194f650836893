"""Pricing analysis: price discrimination (大数据杀熟) and unexplained premiums.

Entry point :func:`analyze` (``analyze(frames, period, **params) ->
AnalysisResult``) with its declared :data:`PARAMETERS`, called by
``notebooks/pricing.ipynb``. Rules (see :data:`workbench.contract.RULES`; one
builder each in :mod:`workbench.pricing._findings`):

* ``unexplained_premium`` — an order charged above its *explained price*
  (list price × published tier discount held at order time × applicable public
  promotion) by more than the tolerance; amount = (charged − explained) × q.
* ``unpublished_promotion`` — an order whose promotion was never announced.
* ``price_disparity`` — a group (``device_os=ios``, ``tenure_band=36m+``,
  ``gender=f&province=31``, …) pays a significant, material unexplained premium
  for the same sku at the same time (:mod:`workbench.pricing._audit` states the
  estimator, the inference and the decision rule).

Legal basis: PIPL art. 24 (no unreasonable differential treatment in transaction
prices by automated decision-making); CPL Implementing Regulation (2024) art. 9
(different prices for the same goods under the same conditions without the
consumer's knowledge); the platform pricing rules in force since 2026-04-10
(willingness to pay, preferences and habits are forbidden bases).

Modules: ``_analysis`` (parameters, :func:`analyze`, headline metrics),
``_findings`` (one builder per rule), ``_figures``, ``_words`` (the report's headers,
coded values and reader views, registered on import), ``_conclusions`` (each
section's conclusion and next step in words), and private helpers:
``_explained`` (explained price), ``_attributes``, ``_units`` (order units),
``_audit`` (stepwise decision rule) with ``_round``, ``_estimator``,
``_cluster``, ``_permutations``, ``_placebo``, ``_parallel``; ``_money``,
``_tables``, ``_metricframe``, ``_model``, ``_synthetic`` (test data).

>>> from workbench.pricing import TABLES, SUPPORTED_ATTRIBUTES
>>> "orders" in TABLES and "device_os" in SUPPORTED_ATTRIBUTES
True
"""

from workbench.attributes import age_band, attribute_sets, group_label, tenure_band
from workbench.pricing import _words as words
from workbench.pricing._analysis import ANALYSIS, PARAMETERS, PUBLISHED, TABLES, analyze
from workbench.pricing._attributes import (
    CONFIRMATORY_ATTRIBUTES,
    DEFAULT_ATTRIBUTES,
    SUPPORTED_ATTRIBUTES,
)
from workbench.pricing._audit import Disparity, audit
from workbench.pricing._conclusions import SECTIONS, conclusion
from workbench.pricing._estimator import METRICS, Settings
from workbench.pricing._explained import DEFAULT_TOLERANCE, priced_orders, tier_at_order
from workbench.pricing._figures import (
    forest_plot,
    mitigation_figure,
    monthly_orders,
    overcharge_by_subsidiary,
    premium_distribution,
    refund_exposure,
    sku_group_heatmap,
)
from workbench.pricing._findings import (
    order_findings,
    price_disparity,
    unexplained_premium,
    unpublished_promotion,
)
from workbench.pricing._metricframe import group_metric_frame, matched_metric_frame
from workbench.pricing._model import model_check
from workbench.pricing._money import REFUND_COLUMNS, refunds, write_refund_lists
from workbench.pricing._multiplicity import family_adjusted
from workbench.pricing._permutations import cantelli_p, permutation_p
from workbench.pricing._units import order_units, orders_by_month

__all__ = [
    "ANALYSIS",
    "CONFIRMATORY_ATTRIBUTES",
    "DEFAULT_ATTRIBUTES",
    "DEFAULT_TOLERANCE",
    "METRICS",
    "PARAMETERS",
    "PUBLISHED",
    "REFUND_COLUMNS",
    "SECTIONS",
    "SUPPORTED_ATTRIBUTES",
    "TABLES",
    "Disparity",
    "Settings",
    "age_band",
    "analyze",
    "attribute_sets",
    "audit",
    "cantelli_p",
    "conclusion",
    "family_adjusted",
    "forest_plot",
    "group_label",
    "group_metric_frame",
    "matched_metric_frame",
    "mitigation_figure",
    "model_check",
    "monthly_orders",
    "order_findings",
    "order_units",
    "orders_by_month",
    "overcharge_by_subsidiary",
    "permutation_p",
    "premium_distribution",
    "price_disparity",
    "priced_orders",
    "refund_exposure",
    "refunds",
    "sku_group_heatmap",
    "tenure_band",
    "tier_at_order",
    "unexplained_premium",
    "unpublished_promotion",
    "words",
    "write_refund_lists",
]

"""Tiering analysis: customers tiered by the published criteria, fairly.

Are customers tiered by the published criteria, without hidden favours and
without treating any group worse?

Entry point :func:`analyze` (``analyze(frames, period, **params) ->
AnalysisResult``), called by ``notebooks/tiering.ipynb`` with the declared
:data:`PARAMETERS`. Rules (see :data:`workbench.contract.RULES`; each is built by
the function of the same name in ``_findings.py``):

* ``tier_mismatch`` — the tier held at the period end differs from the one the
  published criteria give (trailing-12-month spend and orders, tenure);
* ``manual_tier_without_reason`` — the current row is manual with a blank reason;
* ``stale_tier`` — the current tier is older than its review cycle;
* ``dormant_top_tier`` — a top-tier customer with no order in ``dormant_months``;
* ``unpublished_policy`` — tier criteria not published by the period end;
* ``hidden_benefit`` — a grant outside the published schedule of the tier held
  at grant time, or above its published value;
* ``tier_disparity`` — a group under-tiered (or left out of hidden favours) at a
  significantly and materially higher rate than the rest.

The semantics chosen where the contract leaves room are stated in
``docs/tiering.md``.

>>> from workbench.tiering import PARAMETERS, SUPPORTED_ATTRIBUTES
>>> "gender" in SUPPORTED_ATTRIBUTES, PARAMETERS["dormant_months"].default
(True, 6)
"""

from workbench.attributes import age_band, tenure_band, tenure_months
from workbench.tiering import _conclusions as conclusions
from workbench.tiering import _views as views
from workbench.tiering import _words as words
from workbench.tiering._analysis import ANALYSIS, PARAMETERS, PUBLISHED, TABLES, analyze
from workbench.tiering._disparity import (
    DEFAULT_ATTRIBUTES,
    FOUR_FIFTHS,
    METRICS,
    SUPPORTED_ATTRIBUTES,
    Metric,
    group_disparity,
)
from workbench.tiering._metricframe import hidden_benefit_rate, metric_frame, under_tiered_rate
from workbench.tiering._stats import fisher_one_sided
from workbench.tiering._status import current_tiers, tier_counts

__all__ = [
    "ANALYSIS",
    "DEFAULT_ATTRIBUTES",
    "FOUR_FIFTHS",
    "METRICS",
    "PARAMETERS",
    "PUBLISHED",
    "SUPPORTED_ATTRIBUTES",
    "TABLES",
    "Metric",
    "age_band",
    "analyze",
    "conclusions",
    "current_tiers",
    "fisher_one_sided",
    "group_disparity",
    "hidden_benefit_rate",
    "metric_frame",
    "tenure_band",
    "tenure_months",
    "tier_counts",
    "under_tiered_rate",
    "views",
    "words",
]

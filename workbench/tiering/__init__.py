"""Tiering analysis: are customers tiered by the published criteria, without hidden
favours and without treating any group worse?

Entry point :func:`analyze` (``analyze(frames, period, **params) -> TieringResult``,
an :class:`~workbench.analysis.AnalysisResult`), called by
``notebooks/tiering.ipynb``. Rules (see :data:`workbench.contract.RULES`):

* ``tier_mismatch`` — the tier held at the period end differs from the one the
  published criteria give (trailing-12-month spend and orders, tenure);
* ``manual_tier_without_reason`` — the current row is manual with a blank reason;
* ``stale_tier`` — the current tier is older than its review cycle;
* ``dormant_top_tier`` — a top-tier customer with no order in N months;
* ``unpublished_policy`` — tier criteria not published by the period end;
* ``hidden_benefit`` — a grant outside the published schedule of the tier held
  at grant time, or above its published value;
* ``tier_disparity`` — a group under-tiered (or left out of hidden favours) at a
  significantly and materially higher rate than the rest.

The semantics chosen where the contract leaves room are stated in
``docs/tiering.md``.

>>> from workbench.tiering import analyze, SUPPORTED_ATTRIBUTES
>>> "gender" in SUPPORTED_ATTRIBUTES
True
"""

from workbench.attributes import age_band, tenure_band, tenure_months
from workbench.tiering._analysis import (
    ANALYSIS,
    TABLES,
    TieringResult,
    analyze,
    current_tiers,
    tier_counts,
)
from workbench.tiering._disparity import (
    DEFAULT_ATTRIBUTES,
    FOUR_FIFTHS,
    METRICS,
    SUPPORTED_ATTRIBUTES,
    Metric,
    fisher_one_sided,
    group_disparity,
    hidden_benefit_rate,
    metric_frame,
    under_tiered_rate,
)

__all__ = [
    "ANALYSIS",
    "DEFAULT_ATTRIBUTES",
    "FOUR_FIFTHS",
    "METRICS",
    "SUPPORTED_ATTRIBUTES",
    "TABLES",
    "Metric",
    "TieringResult",
    "age_band",
    "analyze",
    "current_tiers",
    "fisher_one_sided",
    "group_disparity",
    "hidden_benefit_rate",
    "metric_frame",
    "tenure_band",
    "tenure_months",
    "tier_counts",
    "under_tiered_rate",
]

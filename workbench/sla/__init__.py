"""Complaint SLA analysis: were complaints acknowledged, accepted and resolved in time.

The committed limits are data (the packaged ``default_policy.yaml``, or
``policy_path``; versioned by ``effective_from``, read by :func:`load_policy`); a
complaint is judged by the version in force when it was received. Clocks run on
the service record (``complaint_events``) up to the end of the period, never beyond
it (:func:`judge`); working-day limits use China's official calendar
(:class:`workbench.workdays.WorkCalendar`).

Entry point: :func:`analyze` (``analyze(frames, period, **params) -> AnalysisResult``;
the declared parameters are :data:`PARAMETERS`), called by ``notebooks/sla.ipynb``.
Rules, each built by the function of the same name in ``workbench/sla/_findings.py``:

* ``ack_breach``, ``acceptance_breach``, ``resolution_breach``, ``update_gap`` — a
  complaint received in P whose target was breached by the end of P (a clock still
  running then, within its limit, is censored, not breached);
* ``missing_record`` — the handling record is incomplete or contradicts the
  complaints table (:data:`CHECKS`);
* ``breach_risk`` — at risk at the end of P (resolution running, nothing breached),
  predicted probability of breaching resolution within 28 days at or above a cut-off
  set by the precision policy ``risk_min_precision`` (or a fixed ``risk_threshold``);
  a landmark model validated on a later period (``workbench/sla/_risk.py``);
* ``recurring_cause`` — a subsidiary where a root cause's monthly volume did not
  fall after the month it first exceeded a threshold (``workbench/sla/_recurring.py``).

Adherence = met / (met + breached) per target, with Wilson intervals
(:func:`adherence`); ``result.metrics`` carries the overall adherence of each
headline target (:func:`headline_metrics`). Time to resolution: Kaplan–Meier by
severity and by subsidiary, open complaints censored at the end of P, with median
and 90th percentile and their intervals (:func:`kaplan_meier`, checked against
lifelines in the tests).

Reading the report: :mod:`~workbench.sla._words` registers the tables' headers and
coded values in Chinese and English (on import), :mod:`~workbench.sla._views` gives
the tables as a reader sees them and :mod:`~workbench.sla._conclusions` each
section's conclusion and what to do next, in words (``sla.conclusions``).

>>> from workbench.sla import load_policy
>>> load_policy().version_for(__import__("datetime").date(2026, 7, 1)).version
'2026.1'
"""

from workbench.sla import _conclusions as conclusions
from workbench.sla import _views as views
from workbench.sla import _words as words
from workbench.sla._adherence import adherence, adherence_by_dimension, complaints_by_month
from workbench.sla._analysis import (
    ANALYSIS,
    HEADLINE_TARGETS,
    PARAMETERS,
    PUBLISHED,
    TABLES,
    analyze,
    headline_metrics,
)
from workbench.sla._clocks import CLOCK_SCHEMA, judge, judge_at
from workbench.sla._figures import complaints_per_month as complaints_figure
from workbench.sla._policy import DEFAULT_POLICY_PATH, Policy, PolicyError, load_policy
from workbench.sla._records import CHECKS, record_checks
from workbench.sla._survival import kaplan_meier

__all__ = [
    "ANALYSIS",
    "CHECKS",
    "CLOCK_SCHEMA",
    "DEFAULT_POLICY_PATH",
    "HEADLINE_TARGETS",
    "PARAMETERS",
    "PUBLISHED",
    "TABLES",
    "Policy",
    "PolicyError",
    "adherence",
    "adherence_by_dimension",
    "analyze",
    "complaints_by_month",
    "complaints_figure",
    "conclusions",
    "headline_metrics",
    "judge",
    "judge_at",
    "kaplan_meier",
    "load_policy",
    "record_checks",
    "views",
    "words",
]

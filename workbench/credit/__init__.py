"""Customer credit: identity, registry checks and a credit scorecard for every
enterprise customer.

Entry point :func:`analyze` (``analyze(frames, period, **params)`` returns an
:class:`~workbench.analysis.AnalysisResult` whose published table
``credit_grades`` holds one grade per enterprise customer), called by
``notebooks/credit.ipynb``; its parameters are declared in :data:`PARAMETERS`.
Rules (see :data:`workbench.contract.RULES`), one builder each in ``_findings.py``:

* ``invalid_uscc`` — the USCC fails its structure, the GB 32100 final check
  character or the embedded GB 11714 organisation-code check character
  (:func:`check_uscc`); the evidence says which, and whether the code appears in
  the registry extract;
* ``registry_knockout`` — revoked, cancelled or on the serious-illegal list at the
  latest extract at or before the end of P (:func:`registry_facts`);
* ``registry_change`` — status, abnormal-list or serious-illegal-list membership
  differs from the extract before (before/after in the evidence);
* ``annual_report_overdue`` — an active enterprise without the annual report for
  Y−1 after 30 June of year Y.

Grades (contract ``credit_grades``): a monotone-WoE logistic :class:`Scorecard`
(scikit-learn estimators) developed only on features as of T0 − 12 months with
the default label over (T0 − 12 months, T0] (T0 = end of P − 12 months;
:func:`development_sample`, built from what was known before T0), scoring every
enterprise on its features at the end of P; the credit policy
(:func:`load_policy`, ``credit_policy.yaml``) turns points into grade, terms and
limit, rejects knock-outs and unverifiable identities and caps suspended /
moved-out / listed / overdue enterprises. An invoice not yet 90 days past due at
the label date is undetermined, not good; customers with nothing else are left
out and counted (:func:`sample_summary`). Validation (``tables["validation"]``):
the headline AUC, Gini, KS, Brier score, reliability by PD decile and by grade
against the PD master scale (Jeffreys intervals) only on the out-of-time sample
(features as of T0, outcomes in (T0, end of P]; :func:`out_of_time_sample`);
in-sample and cross-validated numbers on the development sample for comparison;
PSI of the score and each feature. Headline numbers are in ``result.metrics``.

Semantics chosen where the contract leaves room are stated in the docstrings of
the private modules ``_registry``, ``_features`` and ``_grades``.

The report reads in Chinese (English on request): ``_words`` registers the headers
and coded values of every table the notebook shows (on import) and holds the
display views; :func:`conclusion` words each section's conclusion and what to do
next (``_conclusions``).
"""

from workbench.credit._analysis import (
    ANALYSIS,
    PARAMETERS,
    PUBLISHED,
    TABLES,
    analyze,
)
from workbench.credit._conclusions import SECTIONS, auc_p_value, conclusion
from workbench.credit._features import (
    FEATURES,
    as_of,
    build_features,
    default_labels,
    development_sample,
    out_of_time_sample,
    sample_summary,
    sample_windows,
)
from workbench.credit._findings import alerts
from workbench.credit._grades import (
    CreditPolicy,
    assign_grades,
    load_policy,
    migration_matrix,
    pd_bands,
    write_credit_grades,
)
from workbench.credit._registry import registry_facts, registry_status_counts
from workbench.credit._scorecard import MonotoneBinner, Scorecard
from workbench.credit._uscc import check_uscc, check_usccs, is_valid_uscc, org_code_check
from workbench.credit._validation import (
    brier,
    grade_reliability,
    jeffreys_interval,
    ks_statistic,
    psi,
    raw_logistic_baseline,
    reliability_table,
    roc_auc,
)
from workbench.credit._words import (
    findings_overview,
    grade_reliability_view,
    grade_summary_view,
    grades_view,
    migration_view,
    notes_text,
    policy_view,
    psi_view,
    reasons_text,
    registry_view,
    run_details_html,
    validation_view,
    weak_status_view,
)

__all__ = [
    "ANALYSIS",
    "FEATURES",
    "PARAMETERS",
    "PUBLISHED",
    "SECTIONS",
    "TABLES",
    "CreditPolicy",
    "MonotoneBinner",
    "Scorecard",
    "alerts",
    "analyze",
    "as_of",
    "assign_grades",
    "auc_p_value",
    "brier",
    "build_features",
    "check_uscc",
    "check_usccs",
    "conclusion",
    "default_labels",
    "development_sample",
    "findings_overview",
    "grade_reliability",
    "grade_reliability_view",
    "grade_summary_view",
    "grades_view",
    "is_valid_uscc",
    "jeffreys_interval",
    "ks_statistic",
    "load_policy",
    "migration_matrix",
    "migration_view",
    "notes_text",
    "org_code_check",
    "out_of_time_sample",
    "pd_bands",
    "policy_view",
    "psi",
    "psi_view",
    "raw_logistic_baseline",
    "reasons_text",
    "registry_facts",
    "registry_status_counts",
    "registry_view",
    "reliability_table",
    "roc_auc",
    "run_details_html",
    "sample_summary",
    "sample_windows",
    "validation_view",
    "weak_status_view",
    "write_credit_grades",
]

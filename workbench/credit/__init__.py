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
(scikit-learn estimators) developed on features at T0 = end of P − 12 months
with the 12-month default label (:func:`development_sample`), scoring every
enterprise on its features at the end of P; the credit policy
(:func:`load_policy`, ``credit_policy.yaml``) turns points into grade, terms and
limit, rejects knock-outs and unverifiable identities and caps suspended /
moved-out / listed / overdue enterprises. Validation (``tables["validation"]``):
AUC, Gini, KS in sample, cross-validated and out of time (the previous period's
scorecard on this period's cohort), calibration, and PSI of the score and each
feature. Headline numbers are in ``result.metrics``.

Semantics chosen where the contract leaves room are stated in the docstrings of
the private modules ``_registry``, ``_features`` and ``_grades``.
"""

from workbench.credit._analysis import (
    ANALYSIS,
    PARAMETERS,
    PUBLISHED,
    TABLES,
    analyze,
)
from workbench.credit._features import (
    FEATURES,
    build_features,
    default_labels,
    development_sample,
)
from workbench.credit._findings import alerts
from workbench.credit._grades import (
    CreditPolicy,
    assign_grades,
    load_policy,
    migration_matrix,
    write_credit_grades,
)
from workbench.credit._registry import registry_facts, registry_status_counts
from workbench.credit._scorecard import MonotoneBinner, Scorecard
from workbench.credit._uscc import check_uscc, check_usccs, is_valid_uscc, org_code_check
from workbench.credit._validation import (
    ks_statistic,
    psi,
    raw_logistic_baseline,
    reliability_table,
    roc_auc,
)

__all__ = [
    "ANALYSIS",
    "FEATURES",
    "PARAMETERS",
    "PUBLISHED",
    "TABLES",
    "CreditPolicy",
    "MonotoneBinner",
    "Scorecard",
    "alerts",
    "analyze",
    "assign_grades",
    "build_features",
    "check_uscc",
    "check_usccs",
    "default_labels",
    "development_sample",
    "is_valid_uscc",
    "ks_statistic",
    "load_policy",
    "migration_matrix",
    "org_code_check",
    "psi",
    "raw_logistic_baseline",
    "registry_facts",
    "registry_status_counts",
    "reliability_table",
    "roc_auc",
    "write_credit_grades",
]

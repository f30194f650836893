"""Customer credit: identity, registry checks and a credit scorecard for every
enterprise customer.

Entry point :func:`analyze` (``analyze(frames, period, **params) -> CreditResult``,
an :class:`~workbench.analysis.AnalysisResult` with ``credit_grades``), called by
``notebooks/credit.ipynb``. Rules (see :data:`workbench.contract.RULES`):

* ``invalid_uscc`` — the USCC fails its structure, the GB 32100 final check
  character or the embedded GB 11714 organisation-code check character
  (:mod:`workbench.credit.uscc`); the evidence says which, and whether the code
  appears in the registry extract;
* ``registry_knockout`` — revoked, cancelled or on the serious-illegal list at the
  latest extract at or before the end of P (:mod:`workbench.credit.registry`);
* ``registry_change`` — status, abnormal-list or serious-illegal-list membership
  differs from the extract before (before/after in the evidence);
* ``annual_report_overdue`` — an active enterprise without the annual report for
  Y−1 after 30 June of year Y.

Grades (contract ``credit_grades``): a monotone-WoE logistic scorecard
(:mod:`workbench.credit.scorecard`, scikit-learn estimators) developed on
features at T0 = end of P − 12 months with the 12-month default label
(:mod:`workbench.credit.features`), scoring every enterprise on its features at
the end of P; the credit policy (:mod:`workbench.credit.grades`,
``credit_policy.yaml``) turns points into grade, terms and limit, rejects
knock-outs and unverifiable identities and caps suspended / moved-out / listed /
overdue enterprises. Validation (:mod:`workbench.credit.validation`): AUC, Gini,
KS in sample, cross-validated and out of time (the previous period's scorecard on
this period's cohort), calibration, and PSI of the score and each feature.

Semantics chosen where the contract leaves room are stated in the module
docstrings (``registry``, ``features``, ``grades``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from workbench.analysis import as_period
from workbench.contract import CREDIT_GRADES_SCHEMA
from workbench.credit._analysis import (
    ANALYSIS,
    TABLES,
    CreditResult,
    alerts,
    analyze,
    empty_credit_grades,
)
from workbench.credit.features import FEATURES, build_features, default_labels, development_sample
from workbench.credit.grades import CreditPolicy, assign_grades, load_policy, migration_matrix
from workbench.credit.registry import registry_facts
from workbench.credit.scorecard import MonotoneBinner, Scorecard
from workbench.credit.uscc import check_uscc, check_usccs, is_valid_uscc, org_code_check
from workbench.credit.validation import ks_statistic, psi, reliability_table, roc_auc
from workbench.periods import Period

__all__ = [
    "ANALYSIS",
    "FEATURES",
    "TABLES",
    "CreditPolicy",
    "CreditResult",
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
    "empty_credit_grades",
    "is_valid_uscc",
    "ks_statistic",
    "load_policy",
    "migration_matrix",
    "org_code_check",
    "psi",
    "registry_facts",
    "registry_status_counts",
    "reliability_table",
    "roc_auc",
    "write_credit_grades",
]


def registry_status_counts(
    frames: Mapping[str, pl.LazyFrame], period: Period | str
) -> pl.DataFrame:
    """Enterprises by registry status at each one's latest extract on or before the
    end of ``period``. Columns ``status``, ``enterprises``."""
    end = as_period(period).end.date()
    return (
        frames["registry_snapshots"]
        .filter(pl.col("snapshot_date") < end)
        .sort("snapshot_date")
        .group_by("uscc")
        .last()
        .group_by("status")
        .agg(pl.len().alias("enterprises"))
        .sort("status")
        .collect()
    )


def write_credit_grades(df: pl.DataFrame, path: str | Path) -> Path:
    """Write credit grades (parquet) with the contract schema where the runner expects them."""
    missing = [c for c in CREDIT_GRADES_SCHEMA if c not in df.columns]
    if missing:
        raise ValueError(f"credit grades lack the columns {missing}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = df.select(list(CREDIT_GRADES_SCHEMA)).cast(CREDIT_GRADES_SCHEMA)  # type: ignore[arg-type]
    out.write_parquet(path)
    return path

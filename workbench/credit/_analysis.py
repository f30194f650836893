"""The credit analysis' entry point :func:`analyze`, its declared parameters and
its headline metrics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult, as_period
from workbench.credit._calibration import METHODS
from workbench.credit._features import enterprises, sample_summary
from workbench.credit._figures import all_figures
from workbench.credit._findings import owners, raw_findings
from workbench.credit._grades import (
    GRADE_ORDER,
    CreditPolicy,
    contract_grades,
    load_policy,
    migration_matrix,
)
from workbench.credit._registry import WEAK_STATUSES
from workbench.credit._scoring import Graded, grade_period
from workbench.credit._validation import validate
from workbench.findings import make_findings
from workbench.params import Interval, Options, Param, ParameterSet, PathOrNone, declared
from workbench.periods import Period

ANALYSIS = "credit"
#: The contract tables this analysis reads.
TABLES: tuple[str, ...] = (
    "subsidiaries",
    "customers",
    "registry_snapshots",
    "registry_events",
    "receivables",
)
#: Tables the report publishes beside the findings (``credit_grades.parquet``).
PUBLISHED: tuple[str, ...] = ("credit_grades",)
_REQUIRED = ("customers", "registry_snapshots", "registry_events", "receivables")
MSG_MISSING_TABLES = "the credit analysis needs the tables {names}; the frames lack {missing}"
_POSITIVE = Interval(float, 0, None, closed="neither")

PARAMETERS = ParameterSet(ANALYSIS, {
    "policy_path": Param(None, PathOrNone(),
                         "credit policy YAML; empty: the packaged credit_policy.yaml",
                         doc_zh="信用政策文件（YAML）；留空则使用随程序提供的 credit_policy.yaml"),
    "pdo": Param(20, _POSITIVE, "scorecard points that double the odds good:bad",
                 doc_zh="评分卡刻度：好坏比翻一倍所增加的分数"),
    "base_score": Param(600, Interval(float, None, None),
                        "scorecard points at odds good:bad of base_odds",
                        doc_zh="评分卡刻度：好坏比等于 base_odds 时的分数"),
    "base_odds": Param(50, _POSITIVE, "odds good:bad that score base_score points",
                       doc_zh="评分卡刻度：得 base_score 分时的好坏比"),
    "seed": Param(0, Interval(int, 0, 2**32 - 1), "seed of the cross-validation folds",
                  doc_zh="交叉验证分组的随机种子"),
    "min_iv": Param(0.02, Interval(float, 0, None),
                    "information value below which a feature stays out of the regression",
                    doc_zh="信息值（IV）低于此值的特征不进入评分卡回归"),
    "cv_folds": Param(5, Interval(int, 2, None), "folds of the cross-validated AUC",
                      doc_zh="开发样本交叉验证的折数"),
    "min_class_rows": Param(10, Interval(int, 1, None),
                            "defaults and non-defaults (each) needed to develop a scorecard",
                            doc_zh="开发评分卡所需的违约企业和未违约企业的最少数量（各自）"),
    "recalibration": Param("logistic", Options(METHODS),
                           "how the PDs are recalibrated on the out-of-time outcomes: "
                           "intercept and slope, intercept only, or none",
                           doc_zh="用样本外结果校准违约概率的方式：截距和斜率（logistic）、"
                                  "仅截距（intercept）或不校准（none）"),
})

#: Findings counted as registry alerts in the headline.
REGISTRY_ALERT_RULES = ("registry_knockout", "registry_change", "annual_report_overdue")
#: Grades whose receivables count as well covered (``receivables_aa_*``).
GOOD_GRADES = ("AAA", "AA")


@declared(PARAMETERS)
def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    policy_path: str | Path | None = None,
    pdo: float = 20,
    base_score: float = 600,
    base_odds: float = 50,
    seed: int = 0,
    min_iv: float = 0.02,
    cv_folds: int = 5,
    min_class_rows: int = 10,
    recalibration: str = "logistic",
    previous_grades: pl.DataFrame | None = None,
) -> AnalysisResult:
    """Findings and credit grades of every enterprise customer for ``period``.

    Parameters
    ----------
    frames
        Contract LazyFrames (:data:`TABLES`), e.g. from :func:`workbench.sources.load`.
    period
        A :class:`~workbench.periods.Period` or its label.
    policy_path
        A credit policy YAML (default: the package's ``credit_policy.yaml``).
    pdo, base_score, base_odds
        Scorecard scaling: odds ``base_odds``:1 score ``base_score``; doubling the
        odds adds ``pdo`` points.
    seed
        Seed of the cross-validation folds.
    min_iv
        Information value below which a feature is left out of the regression.
    cv_folds
        Folds of the cross-validated validation sample.
    min_class_rows
        A scorecard is developed only with at least this many defaults and as many
        non-defaults (and the recalibration slope is fitted only with as many).
    recalibration
        ``logistic`` (intercept and slope), ``intercept`` or ``none``: how the
        scorecard's PDs are recalibrated on the out-of-time outcomes before grading.
    previous_grades
        The previous period's published ``credit_grades`` for the migration matrix;
        by default the previous period is graded again from ``frames`` (with its own
        scorecard, as its report would have).

    Returns
    -------
    AnalysisResult
        ``tables["credit_grades"]`` (published) holds one grade per enterprise
        customer; the other tables hold the evidence and the validation: the
        scorecard is fitted on ``development`` (features as of T0 − 12 months,
        outcomes up to T0) and judged on ``out_of_time`` (features as of T0,
        outcomes in (T0, end of P]); ``samples`` counts both and the customers
        left out; ``validation`` by sample (the headline is ``out_of_time``),
        ``reliability`` and ``reliability_by_grade`` (out of time, against the PD
        master scale), ``scorecard`` when one could be developed, ``notes`` on what
        could not be done; ``metrics`` the headline numbers.
    """
    p = as_period(period)
    missing = [t for t in _REQUIRED if t not in frames]
    if missing:
        raise ValueError(MSG_MISSING_TABLES.format(names=list(TABLES), missing=missing))
    params = PARAMETERS.check({
        "policy_path": policy_path, "pdo": pdo, "base_score": base_score,
        "base_odds": base_odds, "seed": seed, "min_iv": min_iv, "cv_folds": cv_folds,
        "min_class_rows": min_class_rows, "recalibration": recalibration,
    })
    policy = load_policy(policy_path)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now

    ents_all = enterprises(frames["customers"])
    g = grade_period(frames, p.end.date(), ents_all, policy, params)
    lap("grade")
    raw = raw_findings(g.ents, g.checks, g.facts, g.current)
    findings = make_findings(raw, analysis=ANALYSIS, period=p.label)
    lap("findings")
    prev_p = p.previous()
    if previous_grades is None:
        previous_grades = grade_period(frames, prev_p.end.date(), ents_all, policy, params).grades
    lap("grade_previous")
    vtables, meta, notes = validate(g, params, policy)
    lap("validation")
    if g.note:
        notes.insert(0, g.note)
    tables = {
        **_evidence(g, policy, previous_grades),
        "out_of_time": g.oot,
        "samples": sample_summary(frames, g.end, g.ents),
        **vtables,
        "notes": pl.DataFrame({"note": notes}, schema={"note": pl.String}),
    }
    if g.model is not None:
        tables["scorecard"] = g.model.scorecard_table()
    meta.update(period=p.label, previous_period=prev_p.label)
    figures = all_figures(tables, meta)
    lap("figures")
    return AnalysisResult(
        analysis=ANALYSIS,
        findings=findings,
        tables=tables,
        figures=figures,
        parameters=params,
        metrics=credit_metrics(
            findings, tables["credit_grades"], g.current, tables["validation"],
            samples=tables["samples"], by_grade=tables.get("reliability_by_grade"),
        ),
        timings_s=timings,
        published=PUBLISHED,
    )


def _evidence(g: Graded, policy: CreditPolicy, prev_grades: pl.DataFrame) -> dict[str, Any]:
    """The evidence tables of the period's grading ``g``."""
    facts = g.facts.join(owners(g.ents), on="uscc", how="left")
    rank = {gr: i for i, gr in enumerate(GRADE_ORDER)}
    return {
        "registry_facts": g.facts,
        "weak_status": facts.filter(pl.col("status").is_in(WEAK_STATUSES)).select(
            "uscc", "name", "status", "status_before", "snapshot_date", "customer_ids",
        ),
        "uscc_checks": g.checks,
        "knockouts": facts.filter(pl.col("knockout")).select(
            "uscc", "name", "status", "serious_illegal", "serious_illegal_since",
            "serious_illegal_reason", "snapshot_date", "customer_ids",
        ),
        "changes": facts.filter(pl.col("registry_change")).select(
            "uscc", "name", "snapshot_date_before", "snapshot_date", "status_before", "status",
            "abnormal_before", "abnormal", "serious_illegal_before", "serious_illegal",
            "abnormal_reason", "serious_illegal_reason", "customer_ids",
        ),
        "overdue": facts.filter(pl.col("annual_report_overdue")).select(
            "uscc", "name", "status", "last_annual_report_year", "annual_report_required_year",
            "snapshot_date", "customer_ids",
        ),
        "credit_grades": contract_grades(g.grades),
        "credit_grades_detail": g.grades,
        "grade_summary": g.grades.group_by("grade").agg(
            pl.len().alias("customers"),
            pl.col("score").mean().alias("mean_score"),
            pl.col("pd").mean().alias("mean_pd"),
            pl.col("credit_limit_cny").sum().alias("total_limit_cny"),
        ).sort(pl.col("grade").replace_strict(rank, default=len(GRADE_ORDER))),
        "development": g.dev,
        "migration": migration_matrix(prev_grades, g.grades),
        "policy": policy.table(),
    }


def _share(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def _number(value: Any) -> float | None:
    """A plain float rounded to 6 places, None for a missing or NaN value."""
    return None if value is None or math.isnan(value) else round(float(value), 6)


def _validation_metrics(
    validation: pl.DataFrame, samples: pl.DataFrame | None, by_grade: pl.DataFrame | None
) -> dict[str, Any]:
    """The scorecard's headline numbers: out of time only (``oot_*``), plus the
    cross-validated AUC on the development sample for comparison, the sample sizes
    and the customers left out for an undetermined outcome.
    """
    by_sample = {r["sample"]: r for r in validation.iter_rows(named=True)}
    oot = by_sample.get("out_of_time", {})
    recal = by_sample.get("out_of_time_recalibrated", {})
    counts = {} if samples is None else {r["sample"]: r for r in samples.iter_rows(named=True)}
    above = None
    if by_grade is not None:
        above = int((by_grade["assessment"] == "above band").sum())
    return {
        "scorecard_developed": bool(by_sample),
        "oot_auc": _number(oot.get("auc")),
        "oot_ks": _number(oot.get("ks")),
        "oot_brier": _number(oot.get("brier")),
        "oot_brier_skill": _number(oot.get("brier_skill")),
        "oot_brier_recalibrated": _number(recal.get("brier")),
        "oot_brier_skill_recalibrated": _number(recal.get("brier_skill")),
        "oot_customers": oot.get("n"),
        "oot_defaults": oot.get("defaults"),
        "cv_auc": _number(by_sample.get("cross_validated", {}).get("auc")),
        "development_customers": counts.get("development", {}).get("labelled"),
        "labels_undetermined": {k: v["undetermined"] for k, v in counts.items()},
        "grades_above_pd_band": above,
    }


def credit_metrics(
    findings: pl.DataFrame,
    grades: pl.DataFrame,
    current: pl.DataFrame,
    validation: pl.DataFrame,
    *,
    samples: pl.DataFrame | None = None,
    by_grade: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """The credit headline numbers (plain Python values) of one run.

    Parameters
    ----------
    findings
        The run's contract findings.
    grades
        Its ``credit_grades`` (one row per enterprise customer graded).
    current
        The graded customers' features at the period end (``customer_id``,
        ``outstanding_cny``: invoiced before the end and not paid by then).
    validation
        The ``validation`` table (discrimination and calibration by sample).
    samples
        The ``samples`` table (sizes and customers left out per sample).
    by_grade
        The ``reliability_by_grade`` table (out of time), when there is one.

    Returns
    -------
    dict
        ``enterprises_graded``, ``enterprises_not_scored`` (graded without a score,
        in the most conservative band: no scorecard could be developed),
        ``grades`` (customers per grade),
        ``receivables_outstanding_cny``, ``receivables_aa_cny`` and
        ``receivables_aa_share`` (owed by customers graded AA or better; None when
        nothing is outstanding), ``registry_alerts`` (knock-outs, changes and
        overdue annual reports), ``registry_knockouts``, ``registry_changes``,
        ``annual_reports_overdue``, ``invalid_uscc``, ``scorecard_developed``, the
        out-of-time ``oot_auc``, ``oot_ks``, ``oot_brier``, ``oot_brier_skill`` (the
        scorecard as fitted), ``oot_brier_recalibrated`` and
        ``oot_brier_skill_recalibrated`` (its PDs recalibrated out of fold),
        ``oot_customers``, ``oot_defaults``, ``grades_above_pd_band`` (grades
        whose out-of-time default rate interval lies above the PD band), the
        development sample's ``cv_auc`` and ``development_customers``, and
        ``labels_undetermined`` (customers left out per sample); None when not
        available.
    """
    rules = findings["rule"].to_list()
    good = grades.filter(pl.col("grade").is_in(list(GOOD_GRADES)))["customer_id"]
    owed = current.select("customer_id", pl.col("outstanding_cny").fill_null(0.0))
    total = float(owed["outstanding_cny"].sum())
    good_amount = float(
        owed.filter(pl.col("customer_id").is_in(good.implode()))["outstanding_cny"].sum()
    )
    return {
        "enterprises_graded": grades.height,
        "enterprises_not_scored": int(grades["score"].is_null().sum()),
        "grades": {g: int((grades["grade"] == g).sum()) for g in GRADE_ORDER},
        "receivables_outstanding_cny": round(total, 2),
        "receivables_aa_cny": round(good_amount, 2),
        "receivables_aa_share": _share(good_amount, total),
        "registry_alerts": sum(rules.count(r) for r in REGISTRY_ALERT_RULES),
        "registry_knockouts": rules.count("registry_knockout"),
        "registry_changes": rules.count("registry_change"),
        "annual_reports_overdue": rules.count("annual_report_overdue"),
        "invalid_uscc": rules.count("invalid_uscc"),
        **_validation_metrics(validation, samples, by_grade),
    }

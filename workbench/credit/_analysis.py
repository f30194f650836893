"""The credit analysis' entry point :func:`analyze` and its result object."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from workbench.analysis import AnalysisResult, as_period
from workbench.contract import CREDIT_GRADES_SCHEMA
from workbench.credit import features as F
from workbench.credit import figures as fg
from workbench.credit import registry as R
from workbench.credit import validation as V
from workbench.credit.grades import (
    GRADE_ORDER,
    CreditPolicy,
    assign_grades,
    load_policy,
    migration_matrix,
)
from workbench.credit.scorecard import Scorecard
from workbench.credit.uscc import CHECKS, STANDARDS, check_usccs
from workbench.findings import make_findings
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
MSG_MISSING_TABLES = "the credit analysis needs the tables {names}; the frames lack {missing}"
MSG_BAD_PARAMETER = "{name} must be {rule} (got {value!r})"
#: A scorecard is developed only with at least this many defaults and goods.
MIN_CLASS_ROWS = 10
#: Information value below which a feature is left out of the regression.
MIN_IV = 0.02
CV_FOLDS = 5


def empty_credit_grades() -> pl.DataFrame:
    """A credit_grades frame with no rows and the contract schema."""
    return pl.DataFrame(schema=CREDIT_GRADES_SCHEMA)


@dataclass(frozen=True)
class CreditResult(AnalysisResult):
    """:class:`AnalysisResult` plus one credit grade per enterprise customer.

    ``tables`` (read-only) hold the evidence: ``registry_facts``, ``uscc_checks``,
    ``knockouts``, ``changes``, ``overdue``, ``weak_status`` (suspended / moved out), ``credit_grades_detail``,
    ``development``, ``validation``, ``reliability``, ``psi``, ``scorecard``,
    ``migration``, ``policy``, the ROC curves ``roc_<sample>`` and ``ks_curve``.
    ``metrics`` holds the validation figures by sample (``in_sample``,
    ``cross_validated``, ``out_of_time``); ``model`` the fitted
    :class:`~workbench.credit.scorecard.Scorecard` (None if none could be developed).
    """

    credit_grades: pl.DataFrame = field(default_factory=empty_credit_grades)
    period: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    timings_s: Mapping[str, float] = field(default_factory=dict)
    model: Scorecard | None = None
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------- grading step
@dataclass
class _Graded:
    """Everything grading one period produces (used for P and for P − 1)."""

    end: dt.date
    ents: pl.DataFrame
    checks: pl.DataFrame
    facts: pl.DataFrame
    current: pl.DataFrame  # features at the end, one row per enterprise customer
    dev: pl.DataFrame  # development sample (features at T0 + label)
    model: Scorecard | None
    grades: pl.DataFrame
    note: str | None


def _fit(dev: pl.DataFrame, params: dict[str, Any]) -> tuple[Scorecard | None, str | None]:
    if dev.height == 0:
        return None, "no enterprise has an invoice due in the outcome window"
    bads = int(dev["default"].sum())
    goods = dev.height - bads
    if min(bads, goods) < MIN_CLASS_ROWS:
        return None, (
            f"too few defaults ({bads}) or non-defaults ({goods}) to develop a scorecard "
            f"(at least {MIN_CLASS_ROWS} of each are needed)"
        )
    model = _new_model(params).fit(dev.select(list(F.FEATURES)), dev["default"].to_numpy())
    return model, None


def _new_model(params: dict[str, Any]) -> Scorecard:
    return Scorecard(
        min_iv=MIN_IV,
        base_score=params["base_score"],
        base_odds=params["base_odds"],
        pdo=params["pdo"],
    )


def _score_reasons(model: Scorecard, X: pl.DataFrame) -> list[list[str]]:
    """Readable reason codes: ``feature bin (−N pts)``, costliest first."""
    codes = model.reason_codes(X)
    names = model.feature_names_out()
    idx = model.binner_._bin_index(X.to_numpy().astype(np.float64))
    labels = [model.binner_.bin_labels(j) for j in range(len(names))]
    out = []
    for i, row in enumerate(codes):
        texts = []
        for name, lost in row:
            j = names.index(name)
            texts.append(f"{name} {labels[j][idx[i, j]]} (−{lost:.0f} pts)")
        out.append(texts)
    return out


def _grade(
    frames: Mapping[str, pl.LazyFrame],
    end: dt.date,
    ents_all: pl.DataFrame,
    policy: CreditPolicy,
    params: dict[str, Any],
) -> _Graded:
    ents = ents_all.filter(pl.col("signup_date") < end)
    checks = check_usccs(ents["uscc"])
    facts = R.registry_facts(
        frames["registry_snapshots"], frames["registry_events"], ents["uscc"], end
    )
    current = F.build_features(frames, end, ents)
    dev = F.development_sample(frames, end, ents)
    model, note = _fit(dev, params)
    X = current.select(list(F.FEATURES))
    if model is not None and current.height:
        score = model.predict_points(X)
        pd_ = model.predict_proba(X)[:, 1]
        reasons = _score_reasons(model, X)
    else:
        score = np.full(current.height, np.nan)
        pd_ = np.full(current.height, np.nan)
        reasons = [[] for _ in range(current.height)]
    flags = facts.join(checks, on="uscc", how="left").select(
        "uscc",
        pl.col("knockout").alias("registry_knockout"),
        (~pl.col("is_valid")).alias("invalid_uscc"),
        (pl.col("is_valid") & ~pl.col("in_registry")).alias("not_in_registry"),
        (pl.col("status") == "suspended").fill_null(False).alias("suspended"),
        (pl.col("status") == "moved_out").fill_null(False).alias("moved_out"),
        pl.col("abnormal").alias("abnormal_list"),
        pl.col("annual_report_overdue"),
    )
    scored = (
        current.select("customer_id", "uscc")
        .with_columns(
            pl.Series("score", score, pl.Float64).fill_nan(None),
            pl.Series("pd", pd_, pl.Float64).fill_nan(None),
            pl.Series("score_reasons", reasons, pl.List(pl.String)),
        )
        .join(flags, on="uscc", how="left")
    )
    grades = assign_grades(
        scored, policy, base_score=params["base_score"], base_odds=params["base_odds"],
        pdo=params["pdo"],
    )
    return _Graded(end, ents, checks, facts, current, dev, model, grades, note)


# ------------------------------------------------------------------- findings
def _owners(ents: pl.DataFrame) -> pl.DataFrame:
    """Per uscc: its customers and (when unique) its subsidiary."""
    return ents.group_by("uscc").agg(
        pl.col("customer_id").sort().alias("customer_ids"),
        pl.col("subsidiary_id").unique().sort().alias("_subs"),
    ).with_columns(
        pl.when(pl.col("_subs").list.len() == 1).then(pl.col("_subs").list.first()).alias(
            "subsidiary_id"
        ),
        pl.col("_subs").alias("subsidiary_ids"),
    ).drop("_subs")


def _findings(g: _Graded, period: Period) -> pl.DataFrame:
    owners = _owners(g.ents)
    at_stake = g.current.group_by("uscc").agg(pl.col("outstanding_cny").sum())
    facts = g.facts.join(owners, on="uscc", how="left").join(at_stake, on="uscc", how="left")
    rows: list[dict[str, Any]] = []

    def add(rule: str, severity: str, r: dict[str, Any], detail: dict[str, Any]) -> None:
        detail = {
            **detail,
            "customer_ids": r["customer_ids"],
            "subsidiary_ids": r["subsidiary_ids"],
            "outstanding_cny": round(r["outstanding_cny"] or 0.0, 2),
        }
        rows.append(
            {
                "rule": rule,
                "severity": severity,
                "entity_type": "enterprise",
                "entity_id": r["uscc"],
                "subsidiary_id": r["subsidiary_id"],
                "amount_cny": round(r["outstanding_cny"] or 0.0, 2),
                "detail": detail,
            }
        )

    bad = g.checks.filter(~pl.col("is_valid")).join(facts, on="uscc", how="left")
    for r in bad.iter_rows(named=True):
        add("invalid_uscc", "high", r, {
            "check": r["failed_check"],
            "explanation": CHECKS[r["failed_check"]],
            "in_registry": bool(r["in_registry"]),
            "uscc_as_given": r["uscc"],
            "registry_basis": [STANDARDS[r["failed_check"]]],
        })
    for r in facts.filter(pl.col("knockout")).iter_rows(named=True):
        add("registry_knockout", "high", r, R.knockout_detail(r))
    for r in facts.filter(pl.col("registry_change")).iter_rows(named=True):
        add("registry_change", R.change_severity(r), r, R.change_detail(r))
    for r in facts.filter(pl.col("annual_report_overdue")).iter_rows(named=True):
        add("annual_report_overdue", "medium", r, R.overdue_detail(r))
    if not rows:
        return make_findings(pl.DataFrame(), analysis=ANALYSIS, period=period.label)
    raw = pl.DataFrame(
        {
            "rule": [r["rule"] for r in rows],
            "severity": [r["severity"] for r in rows],
            "entity_type": [r["entity_type"] for r in rows],
            "entity_id": [r["entity_id"] for r in rows],
            "subsidiary_id": pl.Series([r["subsidiary_id"] for r in rows], dtype=pl.String),
            "amount_cny": pl.Series([r["amount_cny"] for r in rows], dtype=pl.Float64),
            "detail": [json.dumps(r["detail"], ensure_ascii=False, default=str) for r in rows],
        }
    )
    return make_findings(raw, analysis=ANALYSIS, period=period.label)


# ----------------------------------------------------------------- validation
def _validation(
    g: _Graded, prev: _Graded | None, params: dict[str, Any]
) -> tuple[dict[str, dict[str, float]], dict[str, pl.DataFrame], dict[str, Any], list[str]]:
    metrics: dict[str, dict[str, float]] = {}
    tables: dict[str, pl.DataFrame] = {}
    meta: dict[str, Any] = {"auc": {}}
    notes: list[str] = []
    model = g.model
    if model is None:
        return metrics, tables, meta, notes
    X = g.dev.select(list(F.FEATURES))
    y = g.dev["default"].to_numpy()
    risks: dict[str, tuple[np.ndarray, np.ndarray]] = {
        "in_sample": (y, model.predict_proba(X)[:, 1])
    }
    if int(y.sum()) >= CV_FOLDS and int((1 - y).sum()) >= CV_FOLDS:
        cv = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=params["seed"])
        oof = cross_val_predict(_new_model(params), X, y, cv=cv, method="predict_proba")[:, 1]
        risks["cross_validated"] = (y, oof)
    if prev is not None and prev.model is not None:
        risks["out_of_time"] = (y, prev.model.predict_proba(X)[:, 1])
    else:
        notes.append(
            "out-of-time check skipped: no scorecard could be developed for the previous period"
        )
    for name, (yy, risk) in risks.items():
        metrics[name] = V.discrimination(yy, risk)
        tables[f"roc_{name}"] = V.roc_table(yy, risk)
        meta["auc"][name] = metrics[name]["auc"]
    headline = "out_of_time" if "out_of_time" in risks else (
        "cross_validated" if "cross_validated" in risks else "in_sample"
    )
    yy, risk = risks[headline]
    tables["ks_curve"] = V.ks_curve(yy, risk)
    tables["reliability"] = V.reliability_table(yy, risk)
    meta.update(ks=metrics[headline]["ks"], ks_name=headline.replace("_", " "), headline=headline)
    tables["validation"] = pl.DataFrame(
        [{"sample": k, **v} for k, v in metrics.items()],
        schema={"sample": pl.String, "n": pl.Int64, "defaults": pl.Int64,
                "default_rate": pl.Float64, "auc": pl.Float64, "gini": pl.Float64,
                "ks": pl.Float64},
    )
    # Stability: development sample at T0 vs every enterprise scored at the end of P.
    Xc = g.current.select(list(F.FEATURES))
    rows = [{
        "variable": "score",
        "psi": V.psi(-model.predict_points(X), -model.predict_points(Xc)),
    }]
    dev_idx = model.binner_._bin_index(X.to_numpy().astype(np.float64))
    cur_idx = model.binner_._bin_index(Xc.to_numpy().astype(np.float64))
    for j, name in enumerate(model.feature_names_out()):
        n_bins = len(model.binner_.bin_edges_[j]) + 2
        value = V.psi_from_bins(dev_idx[:, j], cur_idx[:, j], n_bins)
        rows.append({"variable": name, "psi": value})
    used = [n for n, s in zip(model.feature_names_out(), model.selected_, strict=True) if s]
    tables["psi"] = pl.DataFrame(rows).with_columns(
        pl.col("psi").map_elements(V.psi_label, return_dtype=pl.String).alias("assessment"),
        pl.col("variable").is_in(["score", *used]).alias("in_model"),
    )
    return metrics, tables, meta, notes


# ---------------------------------------------------------------- entry point
def _check_params(pdo: float, base_score: float, base_odds: float, seed: int) -> None:
    for name, value in (("pdo", pdo), ("base_odds", base_odds)):
        if not isinstance(value, int | float) or not value > 0:
            raise ValueError(
                MSG_BAD_PARAMETER.format(name=name, rule="a positive number", value=value)
            )
    if not isinstance(base_score, int | float) or not np.isfinite(base_score):
        raise ValueError(
            MSG_BAD_PARAMETER.format(name="base_score", rule="a number", value=base_score)
        )
    if not isinstance(seed, int):
        raise ValueError(MSG_BAD_PARAMETER.format(name="seed", rule="an integer", value=seed))


def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    policy_path: str | Path | None = None,
    pdo: float = 20,
    base_score: float = 600,
    base_odds: float = 50,
    seed: int = 0,
    previous_grades: pl.DataFrame | None = None,
) -> CreditResult:
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
    previous_grades
        The previous period's published ``credit_grades`` for the migration matrix;
        by default the previous period is graded again from ``frames`` (with its own
        scorecard, as its report would have), which also gives the out-of-time
        check: the previous period's scorecard scored on this period's
        development cohort.
    """
    p = as_period(period)
    missing = [t for t in ("customers", "registry_snapshots", "registry_events", "receivables")
               if t not in frames]
    if missing:
        raise ValueError(MSG_MISSING_TABLES.format(names=list(TABLES), missing=missing))
    _check_params(pdo, base_score, base_odds, seed)
    params = {"pdo": pdo, "base_score": base_score, "base_odds": base_odds, "seed": seed}
    policy = load_policy(policy_path)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now

    ents_all = F.enterprises(frames["customers"])
    g = _grade(frames, p.end.date(), ents_all, policy, params)
    lap("grade")
    findings = _findings(g, p)
    lap("findings")
    prev_p = p.previous()
    prev = _grade(frames, prev_p.end.date(), ents_all, policy, params)
    lap("grade_previous")
    metrics, vtables, meta, notes = _validation(g, prev, params)
    lap("validation")
    if g.note:
        notes.insert(0, g.note)

    prev_grades = previous_grades if previous_grades is not None else prev.grades
    facts_view = g.facts.join(_owners(g.ents), on="uscc", how="left")
    knock = facts_view.filter(pl.col("knockout")).select(
        "uscc", "name", "status", "serious_illegal", "serious_illegal_since",
        "serious_illegal_reason", "snapshot_date", "customer_ids",
    )
    changes = facts_view.filter(pl.col("registry_change")).select(
        "uscc", "name", "snapshot_date_before", "snapshot_date", "status_before", "status",
        "abnormal_before", "abnormal", "serious_illegal_before", "serious_illegal",
        "abnormal_reason", "serious_illegal_reason", "customer_ids",
    )
    overdue = facts_view.filter(pl.col("annual_report_overdue")).select(
        "uscc", "name", "status", "last_annual_report_year", "annual_report_required_year",
        "snapshot_date", "customer_ids",
    )
    weak = facts_view.filter(pl.col("status").is_in(R.WEAK_STATUSES)).select(
        "uscc", "name", "status", "status_before", "snapshot_date", "customer_ids",
    )
    tables: dict[str, pl.DataFrame] = {
        "registry_facts": g.facts,
        "weak_status": weak,
        "uscc_checks": g.checks,
        "knockouts": knock,
        "changes": changes,
        "overdue": overdue,
        "credit_grades": g.grades.select(list(CREDIT_GRADES_SCHEMA)),
        "credit_grades_detail": g.grades,
        "grade_summary": g.grades.group_by("grade").agg(
            pl.len().alias("customers"),
            pl.col("score").mean().alias("mean_score"),
            pl.col("pd").mean().alias("mean_pd"),
            pl.col("credit_limit_cny").sum().alias("total_limit_cny"),
        ).sort(pl.col("grade").replace_strict(
            {gr: i for i, gr in enumerate(GRADE_ORDER)}, default=len(GRADE_ORDER)
        )),
        "development": g.dev,
        "migration": migration_matrix(prev_grades, g.grades),
        "policy": policy.table(),
        **vtables,
    }
    if g.model is not None:
        tables["scorecard"] = g.model.scorecard_table()
    meta.update(period=p.label, previous_period=prev_p.label)
    figures = fg.all_figures(tables, meta)
    lap("figures")
    return CreditResult(
        findings=findings,
        tables=MappingProxyType(tables),  # type: ignore[arg-type]
        figures=MappingProxyType(figures),  # type: ignore[arg-type]
        credit_grades=tables["credit_grades"],
        period=p.label,
        parameters=MappingProxyType(
            {**params, "policy": policy.source, "min_iv": MIN_IV, "cv_folds": CV_FOLDS,
             "observation_date": F.observation_date(p.end.date()).isoformat(),
             "default_days": F.DEFAULT_DAYS, "previous_period": prev_p.label}
        ),
        metrics=MappingProxyType(metrics),
        timings_s=MappingProxyType(timings),
        model=g.model,
        notes=tuple(notes),
    )


def alerts(findings: pl.DataFrame, rule: str) -> pl.DataFrame:
    """One rule's findings as an alert list: the entity, severity, money at stake,
    the evidence (``detail`` without the basis) and the basis it rests on.

    Columns ``entity_id``, ``severity``, ``subsidiary_id``, ``amount_cny``,
    ``evidence`` (JSON), ``legal_basis`` and ``registry_basis`` (the specific
    provisions, "; "-joined).
    """
    part = findings.filter(pl.col("rule") == rule)
    evidence, legal, registry = [], [], []
    for d in part["detail"].to_list():
        detail = json.loads(d)
        legal.append(detail.pop("legal_basis", None))
        registry.append("; ".join(detail.pop("registry_basis", []) or []))
        for key in ("customer_ids", "subsidiary_ids", "outstanding_cny"):
            detail.pop(key, None)
        evidence.append(json.dumps(detail, ensure_ascii=False, sort_keys=True))
    return part.select("entity_id", "severity", "subsidiary_id", "amount_cny").with_columns(
        pl.Series("evidence", evidence, pl.String),
        pl.Series("legal_basis", legal, pl.String),
        pl.Series("registry_basis", registry, pl.String),
    )

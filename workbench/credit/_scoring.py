"""Grading one period: fit the scorecard on the development sample, score every
enterprise customer on its features at the period end, and apply the policy.

The report grades the period P and, for the out-of-time check and the migration
matrix, the period before it, each with its own scorecard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from workbench.credit._features import FEATURES, build_features, development_sample
from workbench.credit._grades import CreditPolicy, assign_grades
from workbench.credit._registry import registry_facts
from workbench.credit._scorecard import Scorecard
from workbench.credit._uscc import check_usccs

MSG_NO_OUTCOMES = "no enterprise has an invoice due in the outcome window"
MSG_FEW_OUTCOMES = (
    "too few defaults ({bads}) or non-defaults ({goods}) to develop a scorecard "
    "(at least {need} of each are needed)"
)


@dataclass
class Graded:
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


def new_scorecard(params: Mapping[str, Any]) -> Scorecard:
    """An unfitted scorecard with the run's ``min_iv`` and points scaling."""
    return Scorecard(
        min_iv=params["min_iv"],
        base_score=params["base_score"],
        base_odds=params["base_odds"],
        pdo=params["pdo"],
    )


def _fit(dev: pl.DataFrame, params: Mapping[str, Any]) -> tuple[Scorecard | None, str | None]:
    if dev.height == 0:
        return None, MSG_NO_OUTCOMES
    bads = int(dev["default"].sum())
    goods = dev.height - bads
    need = params["min_class_rows"]
    if min(bads, goods) < need:
        return None, MSG_FEW_OUTCOMES.format(bads=bads, goods=goods, need=need)
    model = new_scorecard(params).fit(dev.select(list(FEATURES)), dev["default"].to_numpy())
    return model, None


def _score_reasons(model: Scorecard, X: pl.DataFrame) -> list[list[str]]:
    """Readable reason codes: ``feature bin (−N pts)``, costliest first."""
    codes = model.reason_codes(X)
    names = model.feature_names_out()
    idx = model.binner_.bin_index(X)
    labels = [model.binner_.bin_labels(j) for j in range(len(names))]
    out = []
    for i, row in enumerate(codes):
        texts = []
        for name, lost in row:
            j = names.index(name)
            texts.append(f"{name} {labels[j][idx[i, j]]} (−{lost:.0f} pts)")
        out.append(texts)
    return out


def _flags(facts: pl.DataFrame, checks: pl.DataFrame) -> pl.DataFrame:
    """Per uscc, the conditions the policy rejects on or caps by."""
    return facts.join(checks, on="uscc", how="left").select(
        "uscc",
        pl.col("knockout").alias("registry_knockout"),
        (~pl.col("is_valid")).alias("invalid_uscc"),
        (pl.col("is_valid") & ~pl.col("in_registry")).alias("not_in_registry"),
        (pl.col("status") == "suspended").fill_null(False).alias("suspended"),
        (pl.col("status") == "moved_out").fill_null(False).alias("moved_out"),
        pl.col("abnormal").alias("abnormal_list"),
        pl.col("annual_report_overdue"),
    )


def grade_period(
    frames: Mapping[str, pl.LazyFrame],
    end: dt.date,
    ents_all: pl.DataFrame,
    policy: CreditPolicy,
    params: Mapping[str, Any],
) -> Graded:
    """Grade the enterprise customers signed up before ``end`` (exclusive bound)."""
    ents = ents_all.filter(pl.col("signup_date") < end)
    checks = check_usccs(ents["uscc"])
    facts = registry_facts(
        frames["registry_snapshots"], frames["registry_events"], ents["uscc"], end
    )
    current = build_features(frames, end, ents)
    dev = development_sample(frames, end, ents)
    model, note = _fit(dev, params)
    X = current.select(list(FEATURES))
    if model is not None and current.height:
        score = model.predict_points(X)
        pd_ = model.predict_proba(X)[:, 1]
        reasons = _score_reasons(model, X)
    else:
        score = np.full(current.height, np.nan)
        pd_ = np.full(current.height, np.nan)
        reasons = [[] for _ in range(current.height)]
    scored = (
        current.select("customer_id", "uscc")
        .with_columns(
            pl.Series("score", score, pl.Float64).fill_nan(None),
            pl.Series("pd", pd_, pl.Float64).fill_nan(None),
            pl.Series("score_reasons", reasons, pl.List(pl.String)),
        )
        .join(_flags(facts, checks), on="uscc", how="left")
    )
    grades = assign_grades(
        scored, policy, base_score=params["base_score"], base_odds=params["base_odds"],
        pdo=params["pdo"],
    )
    return Graded(end, ents, checks, facts, current, dev, model, grades, note)

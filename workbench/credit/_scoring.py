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

from workbench.credit._calibration import Recalibration, fit_recalibration
from workbench.credit._features import (
    FEATURES,
    build_features,
    development_sample,
    out_of_time_sample,
)
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
    dev: pl.DataFrame  # development sample (features at T0 − 12m + label)
    oot: pl.DataFrame  # out-of-time sample (features at T0 + label)
    model: Scorecard | None
    recalibration: Recalibration  # of the model's PDs on ``oot``, grading P
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


def recalibrate(
    model: Scorecard | None, oot: pl.DataFrame, params: Mapping[str, Any]
) -> Recalibration:
    """The map from the model's PDs to PDs calibrated on the out-of-time outcomes
    (:mod:`._calibration`, method ``params["recalibration"]``); none without a model
    or an out-of-time sample.
    """
    if model is None or oot.height == 0:
        return Recalibration()
    d = model.decision_function(oot.select(list(FEATURES)))
    return fit_recalibration(oot["default"].to_numpy(), d, params["recalibration"],
                             min_rows=params["min_class_rows"])


def _score_reasons(model: Scorecard, X: pl.DataFrame, slope: float = 1.0) -> list[list[str]]:
    """Readable reason codes: ``feature bin (−N pts)``, costliest first; points are
    those of the recalibrated score (the model's times the recalibration ``slope``).
    """
    codes = model.reason_codes(X)
    names = model.feature_names_out()
    idx = model.binner_.bin_index(X)
    labels = [model.binner_.bin_labels(j) for j in range(len(names))]
    out = []
    for i, row in enumerate(codes):
        texts = []
        for name, lost in row:
            j = names.index(name)
            texts.append(f"{name} {labels[j][idx[i, j]]} (−{lost * slope:.0f} pts)")
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
    oot = out_of_time_sample(frames, end, ents)
    model, note = _fit(dev, params)
    recal = recalibrate(model, oot, params)
    X = current.select(list(FEATURES))
    if model is not None and current.height:
        d = model.decision_function(X)
        score = recal.points(d, model.offset_, model.factor_)
        pd_ = recal.pd(d)
        reasons = _score_reasons(model, X, recal.slope)
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
    return Graded(end, ents, checks, facts, current, dev, oot, model, recal, grades, note)

"""``breach_risk``: open complaints at the end of P likely to breach their resolution limit.

Design (landmarks, no selection on the outcome, nothing after the end of P):

* **Rows** (:mod:`workbench.sla._risk_landmarks`): at weekly landmarks L over the
  ``history_months`` before the end of P, every complaint *at risk* — resolution clock
  running, no SLA target breached yet — is a row with features from the record up to
  L. Its label is defined for every row: resolution breached by L + ``horizon_days``
  (28; the limit is at most 15 days) or not. Landmarks whose horizon ends after the
  label cut-off are left out whole (censoring by calendar time, not by outcome).
* **Sample**: at most ``max_train_complaints`` whole complaints (stratified by month of
  receipt × severity × channel, proportional; documented in
  :func:`~workbench.sla._risk_landmarks.stratified_sample`) — 40,000 complaints give
  ~60,000 rows, plenty for a model of ~50 coefficients; every scored complaint is
  scored.
* **Model** (:mod:`workbench.sla._risk_model`): spline + logistic regression, sigmoid
  calibration on out-of-fold scores of folds grouped by complaint, seeded.
* **Out-of-time validation**: the model M_S is fitted on the landmarks labelled by the
  split S (the start of P; the middle of P when the history before P has no breach),
  with events up to S only, and evaluated on the complaints received from S on, at
  landmarks from S whose horizon ends by the end of P: Brier score, Brier skill score,
  ROC AUC, the reliability table, precision and recall of the flags.
* **Threshold policy**: ``breach_risk`` flags the scored complaints at or above the
  lowest probability at which M_S's held-out (grouped out-of-fold) predictions on its
  own fitting rows reach the precision target ``min_precision`` — the share of flagged
  complaints that go on to breach. Fixed before S, so never a function of the evaluated
  period's outcomes. ``threshold`` (a number) overrides it with a stated cut-off.
* **Scoring**: the model refitted on every labelled landmark up to the end of P scores
  the complaints received in P and at risk at its end.

:func:`workbench.sla._risk_validate.hindsight` repeats the validation on every
landmark of P with the outcomes known by the end of the data (for the sample data and
the tests; the report itself never reads past the end of P).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.periods import Period
from workbench.sla._clocks import events_until
from workbench.sla._policy import Policy
from workbench.sla._risk_landmarks import (
    CATEGORICAL,
    LOOKBACK_DAYS,
    POOL_COLS,
    RISK_TARGET,
    at_risk,
    landmark_grid,
    landmark_rows,
    snapshot_features,
    stratified_sample,
)
from workbench.sla._risk_model import (
    CalibratedModel,
    evaluate,
    fit_calibrated,
    precision_threshold,
    reliability_table,
)
from workbench.workdays import WorkCalendar

__all__ = [
    "CATEGORICAL",
    "HORIZON_DAYS",
    "MAX_TRAIN_COMPLAINTS",
    "RISK_TARGET",
    "RiskModel",
    "fit_breach_risk",
    "risk_rows",
    "snapshot_features",
]

HORIZON_DAYS = 28
MAX_TRAIN_COMPLAINTS = 40_000
#: Columns of a landmark row that are not features.
NOT_FEATURES: tuple[str, ...] = ("complaint_id", "received_at", "_landmark", "y")
#: The scored open complaints (``RiskModel.scores``).
SCORES_SCHEMA: dict[str, pl.DataType] = {
    "complaint_id": pl.String(), "subsidiary_id": pl.String(), "severity": pl.String(),
    "channel": pl.String(), "category": pl.String(), "age_h": pl.Float64(),
    "probability": pl.Float64(),
}
HOLDOUT_SCHEMA: dict[str, pl.DataType] = {"y": pl.Int64(), "probability": pl.Float64()}


@dataclass(frozen=True)
class RiskModel:
    """The fitted breach-risk model, its out-of-time evaluation and the scored complaints."""

    scores: pl.DataFrame
    metrics: dict[str, Any] = field(default_factory=dict)
    model: CalibratedModel | None = None
    features: tuple[str, ...] = ()
    #: The out-of-time rows: ``y`` (breached within the horizon) and ``probability``
    #: from the model fitted before the split — the data of the calibration plot.
    holdout: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=HOLDOUT_SCHEMA))
    #: Reliability table of ``holdout`` (:func:`~workbench.sla._risk_model.reliability_table`).
    reliability: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: The flag cut-off (None: no flags — no model, or the precision target not reached).
    threshold: float | None = None
    #: The model fitted before the split (validation and threshold).
    model_split: CalibratedModel | None = None


@dataclass(frozen=True)
class RiskSettings:
    """How the landmark rows are made (shared by the report and the hindsight check)."""

    every_days: int = 7
    horizon_days: int = HORIZON_DAYS
    history_months: int = 12
    max_train_complaints: int = MAX_TRAIN_COMPLAINTS
    seed: int = 0

    @property
    def horizon_steps(self) -> int:
        """The horizon in landmark steps."""
        if self.every_days < 1 or self.horizon_days % self.every_days:
            raise ValueError(
                f"breach-risk model: horizon_days ({self.horizon_days}) must be a positive "
                f"multiple of landmark_every_days ({self.every_days})"
            )
        return self.horizon_days // self.every_days


def risk_rows(
    complaints: pl.LazyFrame,
    events: pl.LazyFrame,
    period: Period,
    cutoff: dt.datetime,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    settings: RiskSettings,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Landmark rows on the grid anchored at the end of P, with labels judged by
    ``cutoff`` (the end of P in the report) and no event after ``cutoff`` read.
    """
    h = settings.horizon_steps
    first = period.months_back(settings.history_months)
    grid = landmark_grid(period.end, first, settings.every_days, last=cutoff)
    info: dict[str, Any] = {"landmarks": max(0, len(grid) - h),
                            "landmark_every_days": settings.every_days,
                            "horizon_days": settings.horizon_days,
                            "history_months": settings.history_months}
    if len(grid) <= h:
        return pl.DataFrame(), info
    last_feature = grid[-1 - h]
    pool = (
        complaints.filter(
            (pl.col("received_at") >= first - dt.timedelta(days=LOOKBACK_DAYS))
            & (pl.col("received_at") < last_feature)
        )
        .select(POOL_COLS)
        .collect()
    )
    sample = stratified_sample(pool, settings.max_train_complaints, settings.seed)
    info |= {"pool_complaints": pool.height, "sampled_complaints": sample.height}
    ev = (
        events_until(events, cutoff)
        .join(sample.lazy().select("complaint_id"), on="complaint_id", how="semi")
        .collect()
    )
    rows = landmark_rows(sample, ev, grid, horizon_steps=h, policy=policy, calendar=calendar,
                         targets=policy.target_names)
    return rows, info


def _xy(rows: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray, pl.Series]:
    features = [c for c in rows.columns if c not in NOT_FEATURES]
    return rows.select(features), rows["y"].to_numpy().astype(int), rows["complaint_id"]


def split_model(
    rows: pl.DataFrame, period: Period, horizon_days: int, seed: int
) -> tuple[dt.datetime, pl.DataFrame, tuple[CalibratedModel, np.ndarray | None] | None]:
    """The split S, the rows fitted before it (labels known by S) and the model M_S.

    S is the start of P, or the middle of P when the rows labelled by the start of P
    have one class only (no breach in the history).
    """
    horizon = dt.timedelta(days=horizon_days)
    split = period.start
    train = rows.head(0)
    for split in (period.start, period.start + (period.end - period.start) / 2):
        train = rows.filter(pl.col("_landmark") + horizon <= split)
        if train.height and train["y"].n_unique() == 2:
            break
    fitted = fit_calibrated(*_xy(train), seed) if train.height else None
    return split, train, fitted


def choose_threshold(
    fitted: tuple[CalibratedModel, np.ndarray | None] | None,
    train: pl.DataFrame,
    min_precision: float,
    fixed: float | None,
) -> tuple[float | None, dict[str, Any]]:
    """The flag cut-off: ``fixed`` when given, else :func:`precision_threshold` on M_S's
    grouped out-of-fold predictions of its own fitting rows (nothing of the split's
    later period is read).
    """
    if fixed is not None:
        return fixed, {"threshold_policy": "fixed by parameter risk_threshold"}
    basis: dict[str, Any] = {
        "threshold_policy": f"lowest cut-off with held-out precision >= {min_precision:g} "
                            "on the fitting period (folds grouped by complaint)",
        "min_precision": min_precision,
    }
    if fitted is None or fitted[1] is None:
        return None, basis | {"note_threshold": "no held-out predictions: no flags"}
    t, fit = precision_threshold(train["y"].to_numpy().astype(int), fitted[1], min_precision)
    if t is None:
        basis["note_threshold"] = "precision target not reached on the fitting period: no flags"
    return t, basis | fit


def _score(model: CalibratedModel, clocks: pl.DataFrame, events: pl.LazyFrame,
           at: dt.datetime, targets: tuple[str, ...]) -> pl.DataFrame:
    """The complaints of ``clocks`` at risk at ``at``, with their probability, highest first."""
    ids = at_risk(clocks)
    if ids.height == 0:
        return pl.DataFrame(schema=SCORES_SCHEMA)
    ev = events_until(events, at).join(ids.lazy(), on="complaint_id", how="semi").collect()
    x = snapshot_features(clocks, ev.lazy(), at, targets)
    prob = model.predict(x)
    return (
        x.select(*[c for c in SCORES_SCHEMA if c != "probability"])
        .with_columns(probability=pl.Series(prob, dtype=pl.Float64))
        .sort("probability", "complaint_id", descending=[True, False])
    )


def _validate(model: CalibratedModel, train: pl.DataFrame, test: pl.DataFrame,
              threshold: float | None) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
    """Out-of-time metrics (suffixed ``_oot``), holdout rows and reliability table."""
    x, y, _ = _xy(test)
    p = model.predict(x)
    m = evaluate(y, p, float(train["y"].mean()), threshold)
    metrics = {f"{k}_oot": v for k, v in m.items() if k not in ("brier_base_rate",)}
    metrics["brier_base_rate"] = m["brier_base_rate"]
    holdout = pl.DataFrame({"y": y.astype(np.int64), "probability": p})
    return metrics, holdout, reliability_table(y, p)


def fit_breach_risk(
    complaints: pl.LazyFrame,
    events: pl.LazyFrame,
    period: Period,
    clocks: pl.DataFrame,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    seed: int = 0,
    landmark_every_days: int = 7,
    horizon_days: int = HORIZON_DAYS,
    history_months: int = 12,
    max_train_complaints: int = MAX_TRAIN_COMPLAINTS,
    min_precision: float = 0.5,
    threshold: float | None = None,
) -> RiskModel:
    """Fit, validate out of time, set the threshold and score the complaints of ``period``
    at risk at its end (see the module doc). ``clocks``: the period's clocks at its end.
    """
    settings = RiskSettings(landmark_every_days, horizon_days, history_months,
                            max_train_complaints, seed)
    events = events_until(events, period.end)  # no look-ahead, by construction
    rows, metrics = risk_rows(complaints, events, period, period.end, policy=policy,
                              calendar=calendar, settings=settings)
    empty = pl.DataFrame(schema=SCORES_SCHEMA)
    if rows.height == 0:
        return RiskModel(empty, metrics | {"note": "no landmark rows: no model"})
    split, train, fitted = split_model(rows, period, horizon_days, seed)
    test = rows.filter((pl.col("_landmark") >= split) & (pl.col("received_at") >= split))
    metrics |= {"oot_split": split.isoformat(sep=" "), "n_train": train.height,
                "positives_train": int(train["y"].sum()) if train.height else 0}
    cut, basis = choose_threshold(fitted, train, min_precision, threshold)
    metrics |= basis | {"threshold": None if cut is None else round(cut, 6)}
    holdout, reliability = pl.DataFrame(schema=HOLDOUT_SCHEMA), pl.DataFrame()
    if fitted is not None and test.height and test["y"].n_unique() == 2:
        oot, holdout, reliability = _validate(fitted[0], train, test, cut)
        metrics |= oot
    else:
        metrics["note_oot"] = "out-of-time evaluation needs both classes in training and test"
    final = fit_calibrated(*_xy(rows), seed)
    metrics |= {"n_final": rows.height, "positives_final": int(rows["y"].sum())}
    m_split = None if fitted is None else fitted[0]
    if final is None:
        metrics.setdefault("note", "no model (one class only)")
        return RiskModel(empty, metrics, None, (), holdout, reliability, cut, m_split)
    model = final[0]
    scores = _score(model, clocks, events, period.end, policy.target_names)
    if scores.height == 0:
        metrics.setdefault("note", "no open complaint to score")
    return RiskModel(scores, metrics, model, model.features, holdout, reliability, cut, m_split)

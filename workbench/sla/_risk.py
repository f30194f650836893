"""``breach_risk``: open complaints at the end of P that are likely to breach an SLA.

Landmark design, so that training looks exactly like scoring and nothing after the
end of P is used:

* A *snapshot* is a complaint at a landmark moment L at which it is open (some
  clock running) and has not breached anything yet. Its features are computed from
  the record up to L (:func:`snapshot_features`): severity, channel, category,
  subsidiary, age, share of each limit used, events so far, progress updates,
  escalations, pauses (and whether it is paused now), hours since the last event.
* Its label is 1 when, judged at a later moment X, the resolution target has
  breached (the issue asks for the probability of breaching *resolution*;
  ``label_targets=None`` = any target); 0 when it was met or voided (rejected);
  unknown (dropped) when that clock is still running at X.
* Landmarks run every ``landmark_every_days`` over ``history_months`` before the end
  of P. **Out-of-time evaluation**: fit on landmarks before the start of P labelled
  at the start of P, test on landmarks inside P labelled at the end of P (ROC AUC,
  Brier score, and the Brier score of the training base rate for comparison); when
  the history before P holds no breach at all, the split moves to the middle of P.
  The model that scores is refitted on all landmarks labelled at the end of P, then
  applied to the complaints received in P that are open and not yet breached at its
  end.
* Model: logistic regression on one-hot categories, spline terms of the share of
  each limit used and standardised counts, calibrated (sigmoid, 3-fold
  cross-validation), seeded. Gradient boosting was tried and rejected: no better
  on the sample and ten times slower on a shared two-core machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.periods import Period
from workbench.sla._clocks import events_until, judge_at, lifecycle_rank
from workbench.sla._policy import Policy
from workbench.workdays import WorkCalendar

__all__ = ["CATEGORICAL", "RiskModel", "fit_breach_risk", "label_at", "snapshot_features"]

CATEGORICAL: tuple[str, ...] = ("severity", "channel", "category", "subsidiary_id")
_EVENT_COUNTS: dict[str, str] = {
    "n_progress": "progress_update",
    "n_escalations": "escalated",
    "n_pauses": "waiting_customer",
}
_H = 3_600_000_000
LOOKBACK_DAYS = 60  # a snapshot's complaint was received at most this long before L
#: The scored open complaints (``RiskModel.scores``).
SCORES_SCHEMA: dict[str, pl.DataType] = {
    "complaint_id": pl.String(), "subsidiary_id": pl.String(), "severity": pl.String(),
    "channel": pl.String(), "category": pl.String(), "age_h": pl.Float64(),
    "probability": pl.Float64(),
}


def _hours(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds().cast(pl.Float64) / _H


@dataclass(frozen=True)
class RiskModel:
    """The fitted breach-risk model, its out-of-time evaluation and the scored worklist."""

    scores: pl.DataFrame
    metrics: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    features: tuple[str, ...] = ()
    #: The held-out later landmarks: ``y`` (breached by the end of P) and ``probability``
    #: from the model fitted before the split — the data of the calibration plot.
    holdout: pl.DataFrame = field(default_factory=pl.DataFrame)


def snapshot_features(
    clocks: pl.DataFrame, events: pl.LazyFrame, at: dt.datetime, targets: tuple[str, ...]
) -> pl.DataFrame:
    """Features of every complaint in ``clocks`` (judged at ``at``) open and unbreached then.

    One row per complaint: ``complaint_id``, the :data:`CATEGORICAL` columns, ``age_h``,
    ``used_<target>`` (elapsed / limit, 0 when the target does not apply),
    ``done_<target>`` (1 when met), the event counts, ``paused_now`` and
    ``hours_since_event``.
    """
    per = clocks.group_by("complaint_id").agg(
        (pl.col("state") == "running").any().alias("_running"),
        (pl.col("state") == "breached").any().alias("_breached"),
        *[pl.col(c).first() for c in (*CATEGORICAL, "received_at")],
    )
    open_ok = per.filter(pl.col("_running") & ~pl.col("_breached")).drop("_running", "_breached")
    if open_ok.height == 0:
        return pl.DataFrame()
    wide = clocks.join(open_ok.select("complaint_id"), on="complaint_id", how="semi").select(
        "complaint_id",
        "target",
        used=(pl.col("elapsed") / pl.col("limit")).clip(-1.0, 5.0),
        done=(pl.col("state") == "met").cast(pl.Float64),
    )
    aggs = []
    for t in targets:
        sel = pl.col("target") == t
        aggs += [
            pl.col("used").filter(sel).first().fill_null(0.0).alias(f"used_{t}"),
            pl.col("done").filter(sel).first().fill_null(1.0).alias(f"done_{t}"),
        ]
    wide = wide.group_by("complaint_id").agg(aggs)
    ev = (
        events_until(events, at)
        .join(open_ok.lazy().select("complaint_id"), on="complaint_id", how="semi")
        .with_columns(_rank=lifecycle_rank())
        .sort("complaint_id", "at", "_rank")
        .group_by("complaint_id")
        .agg(
            pl.len().cast(pl.Float64).alias("n_events"),
            *[
                (pl.col("event") == e).sum().cast(pl.Float64).alias(k)
                for k, e in _EVENT_COUNTS.items()
            ],
            (
                pl.col("event").filter(pl.col("event").is_in(["waiting_customer", "resumed"]))
                .last()
                == "waiting_customer"
            ).cast(pl.Float64).alias("paused_now"),
            pl.col("at").max().alias("_last"),
        )
        .collect()
    )
    out = (
        open_ok.join(wide, on="complaint_id", how="left")
        .join(ev, on="complaint_id", how="left")
        .with_columns(
            age_h=_hours(pl.lit(at) - pl.col("received_at")),
            hours_since_event=_hours(pl.lit(at) - pl.coalesce("_last", "received_at")),
        )
        .drop("_last", "received_at")
    )
    numeric = [c for c in out.columns if c not in ("complaint_id", *CATEGORICAL)]
    # Rounded: parallel float sums differ in the last bits from run to run, and the
    # model must give the same probabilities on the same inputs.
    return out.with_columns(
        [pl.col(c).cast(pl.Float64).fill_null(0.0).round(6) for c in numeric]
    ).sort("complaint_id")


def label_at(clocks: pl.DataFrame, targets: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Per complaint: 1 if one of ``targets`` (None = any target) breached, null while
    one of them still runs, else 0 (met, or voided: a rejected complaint has no
    resolution target).
    """
    mine = pl.lit(True) if targets is None else pl.col("target").is_in(list(targets))
    return clocks.group_by("complaint_id").agg(
        label=pl.when(((pl.col("state") == "breached") & mine).any())
        .then(pl.lit(1))
        .when(((pl.col("state") == "running") & mine).any())
        .then(pl.lit(None, pl.Int64))
        .otherwise(pl.lit(0))
    )


def _pipeline(seed: int, n_min_class: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL)),
            ("used", SplineTransformer(n_knots=5, degree=2, extrapolation="constant"),
             make_column_selector(pattern="^used_")),
        ],
        remainder=StandardScaler(),
    )
    base = make_pipeline(prep, LogisticRegression(C=1.0, max_iter=2000, random_state=seed))
    folds = min(3, n_min_class)
    if folds < 2:
        return base
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=cv)


def _fit(x: pl.DataFrame, y: np.ndarray, seed: int) -> Any | None:
    if x.height == 0 or len(np.unique(y)) < 2:
        return None
    n_min = int(min(np.sum(y == 1), np.sum(y == 0)))
    model = _pipeline(seed, n_min)
    model.fit(x.to_pandas(), y)
    return model


def _landmarks(period: Period, first: dt.datetime, every_days: int) -> list[dt.datetime]:
    """Every ``every_days`` back from the end of P, after ``first``, oldest first."""
    landmarks: list[dt.datetime] = []
    moment = period.end - dt.timedelta(days=every_days)
    while moment > first:
        landmarks.append(moment)
        moment -= dt.timedelta(days=every_days)
    return sorted(landmarks)


def _snapshots(
    pool: pl.DataFrame,
    ev: pl.LazyFrame,
    landmarks: list[dt.datetime],
    policy: Policy,
    calendar: WorkCalendar,
    targets: tuple[str, ...],
) -> list[pl.DataFrame]:
    """The snapshot features at each landmark (``_landmark`` column), empty ones left out."""
    snaps: list[pl.DataFrame] = []
    for L in landmarks:
        recv = pool.filter(
            (pl.col("received_at") < L)
            & (pl.col("received_at") >= L - dt.timedelta(days=LOOKBACK_DAYS))
        )
        if recv.height == 0:
            continue
        c_at = judge_at(recv, ev, L, policy=policy, calendar=calendar)
        f = snapshot_features(c_at, ev, L, targets)
        if f.height:
            snaps.append(f.with_columns(_landmark=pl.lit(L)))
    return snaps


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
    history_months: int = 12,
    label_targets: tuple[str, ...] | None = ("resolution",),
) -> RiskModel:
    """Fit, evaluate out of time, and score the open complaints of ``period`` (see module doc)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    targets = policy.target_names
    first_landmark = period.months_back(history_months)
    landmarks = _landmarks(period, first_landmark, landmark_every_days)
    cols = ("complaint_id", "subsidiary_id", "channel", "category", "severity", "received_at")
    pool = (
        complaints.filter(
            (pl.col("received_at") >= first_landmark - dt.timedelta(days=LOOKBACK_DAYS))
            & (pl.col("received_at") < period.end)
        )
        .select(cols)
        .collect()
    )
    ev = (
        events_until(events, period.end)
        .join(pool.lazy().select("complaint_id"), on="complaint_id", how="semi")
        .collect()
        .lazy()
    )

    snaps = _snapshots(pool, ev, landmarks, policy, calendar, targets)
    metrics: dict[str, Any] = {
        "landmarks": len(landmarks),
        "landmark_every_days": landmark_every_days,
        "history_months": history_months,
    }
    # Score set: received in P, open and unbreached at the end of P.
    score_x = snapshot_features(clocks, ev, period.end, targets)
    empty_scores = pl.DataFrame(schema=SCORES_SCHEMA)
    if not snaps:
        metrics["note"] = "no landmark snapshots: no model"
        return RiskModel(empty_scores, metrics)
    data = pl.concat(snaps, how="diagonal_relaxed")
    feature_cols = [c for c in data.columns if c not in ("complaint_id", "_landmark")]
    ids = data["complaint_id"].unique()
    sub = pool.filter(pl.col("complaint_id").is_in(ids.implode()))
    at_end = label_at(
        judge_at(sub, ev, period.end, policy=policy, calendar=calendar), label_targets
    ).rename({"label": "y_end"})
    # Joins do not keep row order; the cross-validation folds depend on it.
    data = data.join(at_end, on="complaint_id", how="left").sort("_landmark", "complaint_id")

    def xy(frame: pl.DataFrame, label: str) -> tuple[pl.DataFrame, np.ndarray]:
        known = frame.filter(pl.col(label).is_not_null())
        return known.select(feature_cols), known[label].to_numpy().astype(int)

    # Out-of-time split: train on landmarks before the split, labelled at the split;
    # test on the later landmarks, labelled at the end of P. The split is the start
    # of P, or the middle of P when the history before P has no breach at all.
    for split in (period.start, period.start + (period.end - period.start) / 2):
        train = data.filter(pl.col("_landmark") < split).drop("y_end")
        at_split = label_at(
            judge_at(sub.filter(pl.col("received_at") < split), ev, split,
                     policy=policy, calendar=calendar),
            label_targets,
        ).rename({"label": "y_split"})
        train = train.join(at_split, on="complaint_id", how="left").sort(
            "_landmark", "complaint_id"
        )
        x_tr, y_tr = xy(train, "y_split")
        if len(np.unique(y_tr)) == 2:
            break
    test = data.filter(pl.col("_landmark") >= split)
    x_te, y_te = xy(test, "y_end")
    metrics["oot_split"] = split.isoformat(sep=" ")
    metrics.update(n_train=int(len(y_tr)), positives_train=int(y_tr.sum()),
                   n_test=int(len(y_te)), positives_test=int(y_te.sum()))
    oot = _fit(x_tr, y_tr, seed)
    holdout = pl.DataFrame(schema={"y": pl.Int64, "probability": pl.Float64})
    if oot is not None and len(np.unique(y_te)) == 2:
        p_te = oot.predict_proba(x_te.to_pandas())[:, 1]
        holdout = pl.DataFrame({"y": y_te.astype(np.int64), "probability": p_te.astype(float)})
        metrics.update(
            roc_auc_oot=round(float(roc_auc_score(y_te, p_te)), 4),
            brier_oot=round(float(brier_score_loss(y_te, p_te)), 4),
            brier_base_rate=round(
                float(brier_score_loss(y_te, np.full(len(y_te), y_tr.mean()))), 4
            ),
        )
    else:
        metrics["note_oot"] = "out-of-time evaluation needs both classes in training and test"
    x_all, y_all = xy(data, "y_end")
    model = _fit(x_all, y_all, seed)
    metrics.update(n_final=int(len(y_all)), positives_final=int(y_all.sum()))
    if model is None or score_x.height == 0:
        metrics.setdefault(
            "note", "no model (one class only)" if model is None else "no open complaint to score"
        )
        return RiskModel(empty_scores, metrics, model, tuple(feature_cols), holdout)
    for c in feature_cols:
        if c not in score_x.columns:
            score_x = score_x.with_columns(pl.lit(0.0).alias(c))
    prob = model.predict_proba(score_x.select(feature_cols).to_pandas())[:, 1]
    scores = (
        score_x.select(*[c for c in SCORES_SCHEMA if c != "probability"])
        .with_columns(probability=pl.Series(prob, dtype=pl.Float64))
        .sort("probability", "complaint_id", descending=[True, False])
    )
    return RiskModel(scores, metrics, model, tuple(feature_cols), holdout)

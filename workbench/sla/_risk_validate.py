"""Hindsight validation of the breach-risk model: what the report cannot know at the end
of P, checked once the outcomes are in (the sample data, the tests, the benchmark).

The report's own out-of-time check (:func:`workbench.sla._risk.fit_breach_risk`) stops
at the end of P, so it sees only the landmarks of P whose 28-day horizon ends by then.
Here, with the record up to ``data_end``:

* **M_S on every landmark of P** — the model fitted before the split S on rows labelled
  by S (the same rows, model and threshold as the report's), evaluated on every
  landmark from S to the end of P (the late ones included) for the complaints received
  from S on: Brier score and skill against the base rate, ROC AUC, reliability table,
  precision and recall of the flags at the policy threshold.
* **The report's worklist** — the complaints scored at the end of P by the refitted
  model, against whether their resolution breached within the horizon, and against a
  list of known later breaches (the sample generator's ``breach_risk`` ground truth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.periods import Period
from workbench.sla._policy import Policy
from workbench.sla._risk import RiskModel, RiskSettings, choose_threshold, risk_rows, split_model
from workbench.sla._risk_model import evaluate, reliability_table
from workbench.workdays import WorkCalendar

__all__ = ["Hindsight", "flag_scores", "hindsight"]


@dataclass(frozen=True)
class Hindsight:
    """Hindsight metrics (``*_split`` for M_S on P, ``*_worklist`` for the report's
    scores) and the reliability table of M_S on every landmark of P.
    """

    metrics: dict[str, Any]
    reliability: pl.DataFrame


def flag_scores(flagged: Collection[str], truth: Collection[str]) -> dict[str, Any]:
    """Precision and recall of a set of flagged ids against the ids that did breach."""
    got, want = set(flagged), set(truth)
    hit = len(got & want)
    return {
        "flags": len(got),
        "breached": len(want),
        "hits": hit,
        "precision": round(hit / len(got), 4) if got else None,
        "recall": round(hit / len(want), 4) if want else None,
    }


def _worklist_metrics(risk: RiskModel, rows: pl.DataFrame, at: dt.datetime,
                      truth_ids: Collection[str] | None) -> dict[str, Any]:
    """The report's scores at ``at`` against the outcomes within the horizon."""
    if risk.scores.height == 0:
        return {"note_worklist": "no scores"}
    out = rows.filter(pl.col("_landmark") == at).select("complaint_id", "y")
    s = risk.scores.join(out, on="complaint_id", how="left")
    known = s.filter(pl.col("y").is_not_null())
    m: dict[str, Any] = {"scored_worklist": s.height, "labelled_worklist": known.height}
    flagged = (s.filter(pl.col("probability") >= risk.threshold)["complaint_id"].to_list()
               if risk.threshold is not None else [])
    if known.height and known["y"].n_unique() == 2:
        y, p = known["y"].to_numpy().astype(int), known["probability"].to_numpy()
        base = float(risk.metrics.get("positives_final", 0)) / max(
            float(risk.metrics.get("n_final", 1)), 1.0)
        m |= {f"{k}_worklist": v for k, v in evaluate(y, p, base, risk.threshold).items()}
    breached = known.filter(pl.col("y") == 1)["complaint_id"].to_list()
    m |= {f"{k}_vs_outcome": v for k, v in flag_scores(flagged, breached).items()}
    if truth_ids is not None:
        m |= {f"{k}_vs_truth": v for k, v in flag_scores(flagged, truth_ids).items()}
    return m


def hindsight(
    complaints: pl.LazyFrame,
    events: pl.LazyFrame,
    period: Period,
    risk: RiskModel | None = None,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    data_end: dt.datetime | None = None,
    settings: RiskSettings | None = None,
    min_precision: float = 0.5,
    truth_ids: Collection[str] | None = None,
) -> Hindsight:
    """Validate on P with the outcomes known by ``data_end`` (default: the last event).

    ``risk``: the report's model for P (its scores and threshold are checked);
    ``truth_ids``: complaints known to have breached later, if any.
    """
    settings = settings or RiskSettings()
    if data_end is None:
        data_end = events.select(pl.col("at").max()).collect().item()
    horizon = dt.timedelta(days=settings.horizon_days)
    if data_end < period.end + horizon:
        raise ValueError(
            f"hindsight: the data end {data_end} is before the end of {period.label} plus the "
            f"{settings.horizon_days}-day horizon: the outcomes of the period are not all known"
        )
    rows, info = risk_rows(complaints, events, period, data_end, policy=policy,
                           calendar=calendar, settings=settings)
    metrics: dict[str, Any] = {"data_end": str(data_end), **info}
    if rows.height == 0:
        return Hindsight(metrics | {"note": "no landmark rows"}, pl.DataFrame())
    split, train, fitted = split_model(rows, period, settings.horizon_days, settings.seed)
    cut, basis = choose_threshold(fitted, train, min_precision, None)
    metrics |= {"oot_split": str(split), "threshold_split": cut, **basis}
    test = rows.filter(pl.col("_landmark").is_between(split, period.end)
                       & (pl.col("received_at") >= split))
    reliability = pl.DataFrame()
    if fitted is not None and test.height and test["y"].n_unique() == 2:
        x = test.drop("complaint_id", "received_at", "_landmark", "y")
        y, p = test["y"].to_numpy().astype(int), fitted[0].predict(x)
        m = evaluate(y, p, float(train["y"].mean()), cut)
        metrics |= {f"{k}_split": v for k, v in m.items()}
        reliability = reliability_table(y, p)
        at_end = test.with_columns(p=pl.Series(p)).filter(pl.col("_landmark") == period.end)
        if at_end.height:
            metrics["n_split_at_period_end"] = at_end.height
            metrics["positives_split_at_period_end"] = int(at_end["y"].sum())
            metrics["mean_p_split_at_period_end"] = round(float(at_end["p"].mean()), 4)  # type: ignore[arg-type]
    else:
        metrics["note_split"] = "no model before the split or one class in P"
    if risk is not None:
        metrics |= _worklist_metrics(risk, rows, period.end, truth_ids)
    return Hindsight(metrics, reliability)

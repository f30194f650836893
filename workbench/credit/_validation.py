"""Scorecard validation: discrimination (ROC AUC, Gini, KS), calibration (Brier
score, reliability by PD decile and by grade against the PD master scale) and
stability (population stability index).

The headline (:func:`validate`) is computed only on the out-of-time sample of
:mod:`._features`: outcomes later than every outcome the scorecard was fitted on.
The development sample gives the in-sample and cross-validated rows, which are
shown for comparison and never as the headline.

Two rows judge the out-of-time window. ``out_of_time`` scores it with the
scorecard exactly as fitted on the development sample: its discrimination and
calibration are on outcomes later than anything fitted (the headline AUC and KS).
The grades use PDs recalibrated on that window (:mod:`._calibration`), so their
calibration — the reliability tables and whether each grade's PD band holds —
is judged in ``out_of_time_recalibrated``, whose PDs are cross-fitted: each
customer's comes from a map fitted on other customers' outcomes. The bands
before recalibration are kept beside them (``reliability_by_grade_before``).

Conventions: ``y`` is 1 for a default; ``risk`` is any score where higher means
riskier (the probability of default). Pass ``-points`` for scorecard points.

>>> import numpy as np
>>> y = np.array([0, 0, 1, 1]); risk = np.array([0.1, 0.4, 0.35, 0.8])
>>> roc_auc(y, risk), ks_statistic(y, risk), gini(y, risk)
(0.75, 0.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy import stats as st
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from workbench.credit._calibration import crossfit, logit
from workbench.credit._features import FEATURES
from workbench.credit._grades import CreditPolicy, pd_bands, score_bands
from workbench.credit._scorecard import Scorecard
from workbench.credit._scoring import Graded, new_scorecard
from workbench.stats import wilson_interval

#: PSI rule of thumb (each threshold with its reason).
PSI_STABLE = 0.10  # below: no meaningful shift
PSI_SHIFT = 0.25  # above: a major shift, the model needs review
PSI_EPS = 1e-4  # floor on a bin share so an empty bin gives a finite PSI
#: The validation samples, most telling first. Only ``out_of_time`` is a headline.
SAMPLES: tuple[str, ...] = (
    "out_of_time", "out_of_time_recalibrated", "cross_validated", "in_sample"
)
HEADLINE = "out_of_time"
RECALIBRATED = "out_of_time_recalibrated"
VALIDATION_SCHEMA: dict[str, pl.DataType] = {
    "sample": pl.String(), "feature_date": pl.Date(), "label_date": pl.Date(),
    "n": pl.Int64(), "defaults": pl.Int64(), "default_rate": pl.Float64(),
    "mean_pd": pl.Float64(), "auc": pl.Float64(), "gini": pl.Float64(), "ks": pl.Float64(),
    "brier": pl.Float64(), "brier_reference": pl.Float64(), "brier_skill": pl.Float64(),
}
GRADE_RELIABILITY_SCHEMA: dict[str, pl.DataType] = {
    "grade": pl.String(), "customers": pl.Int64(), "defaults": pl.Int64(),
    "observed_rate": pl.Float64(), "ci_low": pl.Float64(), "ci_high": pl.Float64(),
    "mean_pd": pl.Float64(), "pd_low": pl.Float64(), "pd_high": pl.Float64(),
    "rate_in_band": pl.Boolean(), "assessment": pl.String(),
}
#: Assessment of a grade's observed default rate against its PD band.
WITHIN, ABOVE, BELOW, EMPTY = "within band", "above band", "below band", "no customers"
MSG_FLAT_FEATURES = (
    "features without information in the development sample (one value or none as of "
    "{date}): {names}; the scorecard cannot use them"
)
MSG_NOT_LATER = (
    "out_of_time.feature_date {oot} is before development.label_date {dev}: the "
    "out-of-time outcomes must all be later than the development outcomes"
)
MSG_ONE_CLASS = (
    "out of time every one of the {n} customers is a {kind}: AUC and KS are undefined; "
    "the Brier score and the reliability tables are still reported"
)
MSG_NO_OUT_OF_TIME = (
    "out-of-time validation skipped: no enterprise has a known outcome in the "
    "out-of-time window {start} … {end}; the report has no headline validation"
)


def roc_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Area under the ROC curve (sklearn); NaN when ``y`` has one class."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, risk))


def gini(y: np.ndarray, risk: np.ndarray) -> float:
    """Accuracy ratio: 2·AUC − 1."""
    return 2.0 * roc_auc(y, risk) - 1.0


def ks_statistic(y: np.ndarray, risk: np.ndarray) -> float:
    """Kolmogorov–Smirnov: the largest gap between the cumulative distributions of
    bads and goods over the score (max |TPR − FPR| over thresholds).
    """
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, risk)
    return float(np.max(np.abs(tpr - fpr)))


def ks_curve(y: np.ndarray, risk: np.ndarray) -> pl.DataFrame:
    """Cumulative share of bads and goods by threshold (riskiest first), with the
    share of the population at or above each threshold.
    """
    y = np.asarray(y)
    fpr, tpr, thr = roc_curve(y, risk)
    bads = float(y.sum())
    share = (tpr * bads + fpr * (len(y) - bads)) / max(len(y), 1)
    return pl.DataFrame(
        {"threshold": thr, "population_share": share, "cum_bad": tpr, "cum_good": fpr,
         "gap": tpr - fpr}
    )


def roc_table(y: np.ndarray, risk: np.ndarray) -> pl.DataFrame:
    """False and true positive rates by threshold (for the ROC plot)."""
    fpr, tpr, thr = roc_curve(np.asarray(y), risk)
    return pl.DataFrame({"threshold": thr, "fpr": fpr, "tpr": tpr})


def reliability_table(y: np.ndarray, pd_: np.ndarray, n_bins: int = 10) -> pl.DataFrame:
    """Calibration: rows of equal-count bins of predicted PD with the mean PD, the
    observed default rate and its Wilson 95 % interval.
    """
    y = np.asarray(y, dtype=float)
    pd_ = np.asarray(pd_, dtype=float)
    order = np.argsort(pd_, kind="stable")
    bins = np.array_split(order, min(n_bins, len(order))) if len(order) else []
    rows = []
    for i, idx in enumerate(bins):
        k, n = int(y[idx].sum()), len(idx)
        rate, lo, hi = wilson_interval(k, n)
        rows.append(
            {
                "bin": i + 1,
                "customers": n,
                "mean_pd": float(pd_[idx].mean()),
                "observed_rate": rate,
                "ci_low": lo,
                "ci_high": hi,
                "defaults": k,
            }
        )
    schema = {
        "bin": pl.Int64, "customers": pl.Int64, "mean_pd": pl.Float64, "observed_rate": pl.Float64,
        "ci_low": pl.Float64, "ci_high": pl.Float64, "defaults": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def psi(expected: np.ndarray, actual: np.ndarray, n_bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Bins are the deciles (``n_bins`` quantiles) of ``expected``; missing values
    form a bin of their own. PSI = Σ (a − e) · ln(a / e) over bin shares, each
    share floored at :data:`PSI_EPS`.

    >>> round(psi(np.arange(100.0), np.arange(100.0)), 6)
    0.0
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    ev = e[~np.isnan(e)]
    edges = np.unique(np.quantile(ev, np.linspace(0, 1, n_bins + 1)[1:-1])) if ev.size else []
    return psi_from_bins(_bin_ids(e, edges), _bin_ids(a, edges), len(edges) + 2)


def _bin_ids(x: np.ndarray, edges: np.ndarray | list[float]) -> np.ndarray:
    idx = np.searchsorted(np.asarray(edges, dtype=float), x, side="left")
    return np.where(np.isnan(x), len(edges) + 1, idx)


def psi_from_bins(expected_bins: np.ndarray, actual_bins: np.ndarray, n_bins: int) -> float:
    """PSI of two arrays of bin numbers ``0 … n_bins-1``."""
    e = np.bincount(np.asarray(expected_bins), minlength=n_bins) / max(len(expected_bins), 1)
    a = np.bincount(np.asarray(actual_bins), minlength=n_bins) / max(len(actual_bins), 1)
    e, a = np.maximum(e, PSI_EPS), np.maximum(a, PSI_EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_label(value: float) -> str:
    """``stable`` (< 0.10), ``shift`` (< 0.25) or ``major shift``."""
    if np.isnan(value):
        return "n/a"
    return "stable" if value < PSI_STABLE else "shift" if value < PSI_SHIFT else "major shift"


def discrimination(y: np.ndarray, risk: np.ndarray) -> dict[str, float]:
    """AUC, Gini and KS with the number of rows and defaults."""
    y = np.asarray(y)
    return {
        "n": int(len(y)),
        "defaults": int(np.sum(y)),
        "default_rate": float(np.mean(y)) if len(y) else float("nan"),
        "auc": roc_auc(y, risk),
        "gini": gini(y, risk),
        "ks": ks_statistic(y, risk),
    }


def raw_logistic_baseline(train: pl.DataFrame, test: pl.DataFrame, features: list[str],
                          target: str = "default") -> np.ndarray:
    """Benchmark: a plain logistic regression on the raw features (no binning):
    median-imputed, standardised, default L2 penalty. Columns without a single
    value in ``train`` are left out. Returns the default probability of each row
    of ``test``.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cols = [c for c in features if train[c].null_count() < train.height]
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000)
    ).fit(train.select(cols).to_numpy().astype(np.float64), train[target].to_numpy())
    return model.predict_proba(test.select(cols).to_numpy().astype(np.float64))[:, 1]


def jeffreys_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Rate ``k/n`` with the Jeffreys interval (Beta(k + ½, n − k + ½) quantiles;
    the lower bound is 0 at k = 0 and the upper 1 at k = n), the interval the
    ECB's PD back-test uses; NaNs for n = 0.

    >>> [round(v, 4) for v in jeffreys_interval(0, 100)]
    [0.0, 0.0, 0.0247]
    """
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    a, b, tail = k + 0.5, n - k + 0.5, (1 - level) / 2
    low = 0.0 if k == 0 else float(st.beta.ppf(tail, a, b))
    high = 1.0 if k == n else float(st.beta.ppf(1 - tail, a, b))
    return k / n, low, high


def brier(y: np.ndarray, pd_: np.ndarray) -> float:
    """Mean squared error of the PDs against the 0/1 outcomes (NaN when empty)."""
    y = np.asarray(y, dtype=float)
    return float(np.mean((np.asarray(pd_, dtype=float) - y) ** 2)) if len(y) else float("nan")


def calibration(
    y: np.ndarray, pd_: np.ndarray, reference_rate: float | np.ndarray
) -> dict[str, float]:
    """Mean PD, Brier score, the Brier score of forecasting ``reference_rate`` (the
    development default rate, or per row the default rate of the other folds: a
    constant not fitted on the outcome it forecasts) and the skill
    ``1 − brier / reference`` (> 0: better than that constant).
    """
    y = np.asarray(y, dtype=float)
    b = brier(y, pd_)
    ref = brier(y, np.broadcast_to(np.asarray(reference_rate, dtype=float), y.shape))
    return {
        "mean_pd": float(np.mean(pd_)) if len(y) else float("nan"),
        "brier": b,
        "brier_reference": ref,
        "brier_skill": 1.0 - b / ref if ref > 0 else float("nan"),
    }


def _in_band(rate: float, pd_low: float, pd_high: float) -> bool:
    """``rate`` in the band ``(pd_low, pd_high]`` (a zero rate is in a band from 0)."""
    return pd_low < rate <= pd_high or rate == pd_low == 0.0


def _assess(low: float, high: float, pd_low: float, pd_high: float) -> str:
    """The interval ``[low, high]`` of a grade's default rate against its band."""
    if np.isnan(low):
        return EMPTY
    if low > pd_high:
        return ABOVE
    return BELOW if high <= pd_low else WITHIN


def grade_reliability(
    y: np.ndarray, pd_: np.ndarray, grades: list[str | None], bands: pl.DataFrame,
    level: float = 0.95,
) -> pl.DataFrame:
    """Per band grade (best first, from :func:`pd_bands`): customers, defaults, the
    observed default rate with its Jeffreys interval, the mean predicted PD, the
    band ``(pd_low, pd_high]`` and whether the band holds: ``within band`` when the
    interval meets the band, ``above band`` when even its lower end exceeds the
    band (the grade's PDs are too low: more defaults than the grade admits),
    ``below band`` when its upper end is under it (conservative).
    """
    y = np.asarray(y, dtype=float)
    pd_ = np.asarray(pd_, dtype=float)
    g = np.array([x if x is not None else "" for x in grades], dtype=object)
    rows = []
    for band in bands.iter_rows(named=True):
        mask = g == band["grade"]
        n, k = int(mask.sum()), int(y[mask].sum())
        rate, low, high = jeffreys_interval(k, n, level)
        rows.append({
            **{c: band[c] for c in ("grade", "pd_low", "pd_high")},
            "customers": n, "defaults": k,
            "observed_rate": None if n == 0 else rate,
            "ci_low": None if n == 0 else low,
            "ci_high": None if n == 0 else high,
            "mean_pd": float(pd_[mask].mean()) if n else None,
            "rate_in_band": None if n == 0 else _in_band(rate, band["pd_low"], band["pd_high"]),
            "assessment": _assess(low, high, band["pd_low"], band["pd_high"]),
        })
    return pl.DataFrame(rows, schema=GRADE_RELIABILITY_SCHEMA).select(
        list(GRADE_RELIABILITY_SCHEMA)
    )


def _stability(model: Scorecard, X: pl.DataFrame, Xc: pl.DataFrame) -> pl.DataFrame:
    """PSI of the score and of each feature's bins: development ``X`` vs current ``Xc``."""
    rows = [{
        "variable": "score",
        "psi": psi(-model.predict_points(X), -model.predict_points(Xc)),
    }]
    dev_idx = model.binner_.bin_index(X)
    cur_idx = model.binner_.bin_index(Xc)
    for j, name in enumerate(model.feature_names_out()):
        n_bins = int(model.binner_.n_bins_[j])
        rows.append({"variable": name, "psi": psi_from_bins(dev_idx[:, j], cur_idx[:, j], n_bins)})
    used = [n for n, s in zip(model.feature_names_out(), model.selected_, strict=True) if s]
    return pl.DataFrame(rows).with_columns(
        pl.col("psi").map_elements(psi_label, return_dtype=pl.String).alias("assessment"),
        pl.col("variable").is_in(["score", *used]).alias("in_model"),
    )


def flat_features(dev: pl.DataFrame) -> list[str]:
    """The :data:`FEATURES` with at most one distinct non-missing value in ``dev``
    (e.g. payment behaviour when no invoice predates the feature date).
    """
    counts = dev.select(pl.col(list(FEATURES)).drop_nulls().n_unique()).row(0, named=True)
    return [f for f in FEATURES if counts[f] <= 1]


def check_time_order(dev: pl.DataFrame, oot: pl.DataFrame) -> None:
    """Raise ``ValueError`` unless the out-of-time sample starts (features, hence
    outcomes) no earlier than the development sample's label date.
    """
    if dev.height and oot.height:
        first, last = oot["feature_date"].min(), dev["label_date"].max()
        if first < last:  # type: ignore[operator]
            raise ValueError(MSG_NOT_LATER.format(oot=first, dev=last))


def _two_classes(y: np.ndarray) -> bool:
    return len(np.unique(y)) == 2


def _dates(sample: pl.DataFrame) -> dict[str, Any]:
    """The sample's ``feature_date`` and ``label_date`` (None when it lacks them)."""
    return {c: sample[c][0] if c in sample.columns and sample.height else None
            for c in ("feature_date", "label_date")}


Risks = dict[str, tuple[np.ndarray, np.ndarray, pl.DataFrame, float | np.ndarray]]


def _risks(model: Scorecard, g: Graded, params: Mapping[str, Any]) -> Risks:
    """Outcomes, PDs, sample and reference forecast per sample: the development
    sample in sample and out of fold (``cv_folds`` stratified folds, ``seed``); the
    out-of-time sample scored by the scorecard fitted on the development sample
    (never refitted), and with PDs recalibrated out of fold (:func:`crossfit`).
    """
    dev, oot = g.dev, g.oot
    X = dev.select(list(FEATURES))
    y = dev["default"].to_numpy()
    reference = float(y.mean())
    out: Risks = {"in_sample": (y, model.predict_proba(X)[:, 1], dev, reference)}
    folds = params["cv_folds"]
    if int(y.sum()) >= folds and int((1 - y).sum()) >= folds:
        cv = StratifiedKFold(folds, shuffle=True, random_state=params["seed"])
        oof = cross_val_predict(new_scorecard(params), X, y, cv=cv, method="predict_proba")
        out["cross_validated"] = (y, oof[:, 1], dev, reference)
    if oot.height:
        yo = oot["default"].to_numpy()
        d = model.decision_function(oot.select(list(FEATURES)))
        out[HEADLINE] = (yo, 1.0 / (1.0 + np.exp(-d)), oot, reference)
        if g.recalibration.method != "none":
            cf = crossfit(yo, d, g.recalibration.method, folds=folds, seed=params["seed"],
                          min_rows=params["min_class_rows"])
            if cf is not None:
                out[RECALIBRATED] = (yo, cf[0], oot, cf[1])
    return out


def recalibration_table(g: Graded) -> pl.DataFrame:
    """The recalibration that grades P: method, intercept, slope and its data."""
    r = g.recalibration
    return pl.DataFrame([{
        "method": r.method, "intercept": r.intercept, "slope": r.slope,
        "customers": r.n, "defaults": r.defaults,
        "feature_date": _dates(g.oot)["feature_date"], "label_date": _dates(g.oot)["label_date"],
    }], schema={"method": pl.String, "intercept": pl.Float64, "slope": pl.Float64,
                "customers": pl.Int64, "defaults": pl.Int64, "feature_date": pl.Date,
                "label_date": pl.Date})


def _grades_of(model: Scorecard, pd_: np.ndarray, policy: CreditPolicy,
               params: Mapping[str, Any]) -> list[str | None]:
    """The band grade of each PD (through the points the scorecard's scaling gives)."""
    points = model.offset_ - model.factor_ * logit(pd_)
    return score_bands(points, policy, base_score=params["base_score"],
                       base_odds=params["base_odds"], pdo=params["pdo"])


def validate(
    g: Graded, params: Mapping[str, Any], policy: CreditPolicy
) -> tuple[dict[str, pl.DataFrame], dict[str, Any], list[str]]:
    """Validate the period's scorecard ``g.model`` (fitted on ``g.dev`` only).

    Headline, on the out-of-time sample ``g.oot`` only: AUC, Gini, KS and Brier of
    the scorecard as fitted (``out_of_time``); the Brier score, a reliability table
    by PD decile and one per grade against the policy's PD master scale (Jeffreys
    intervals) of the cross-fitted recalibrated PDs the grades use
    (``out_of_time_recalibrated``; the by-grade table before recalibration too).
    For comparison: in sample and cross-validated on the development sample.
    Stability: PSI development vs the period end.

    Returns the tables (``validation``, ``roc_<sample>``, ``ks_curve``,
    ``reliability``, ``reliability_by_grade``, ``reliability_by_grade_before``,
    ``recalibration``, ``psi``), what the figures need (``auc`` by sample, ``ks``,
    ``ks_name``, ``headline``) and notes on checks that could not run.
    """
    tables: dict[str, pl.DataFrame] = {"validation": pl.DataFrame(schema=VALIDATION_SCHEMA)}
    meta: dict[str, Any] = {"auc": {}, "headline": None}
    notes: list[str] = []
    model = g.model
    if model is None:
        return tables, meta, notes
    check_time_order(g.dev, g.oot)
    flat = flat_features(g.dev)
    if flat:
        notes.append(MSG_FLAT_FEATURES.format(date=g.dev["feature_date"][0],
                                              names=", ".join(flat)))
    risks = _risks(model, g, params)
    found: dict[str, dict[str, Any]] = {}
    for name in [s for s in SAMPLES if s in risks]:
        yy, risk, sample, reference = risks[name]
        found[name] = {**_dates(sample), **discrimination(yy, risk),
                       **calibration(yy, risk, reference)}
        if _two_classes(yy):
            tables[f"roc_{name}"] = roc_table(yy, risk)
            meta["auc"][name] = found[name]["auc"]
    tables["validation"] = pl.DataFrame(
        [{"sample": k, **v} for k, v in found.items()], schema=VALIDATION_SCHEMA
    )
    if HEADLINE in risks:
        tables.update(_out_of_time_tables(model, risks, policy, params, notes))
        tables["recalibration"] = recalibration_table(g)
        meta.update(ks=found[HEADLINE]["ks"], ks_name="out of time", headline=HEADLINE)
    else:
        notes.append(MSG_NO_OUT_OF_TIME.format(start=g.dev["label_date"][0], end=g.end))
    tables["psi"] = _stability(
        model, g.dev.select(list(FEATURES)), g.current.select(list(FEATURES))
    )
    return tables, meta, notes


def _out_of_time_tables(
    model: Scorecard, risks: Risks, policy: CreditPolicy, params: Mapping[str, Any],
    notes: list[str],
) -> dict[str, pl.DataFrame]:
    """The KS curve (as fitted), and the reliability tables of the PDs the grades
    use: recalibrated out of fold when there are, else as fitted (then the
    before-recalibration table is the same and not repeated).
    """
    out: dict[str, pl.DataFrame] = {}
    yy, risk, _, _ = risks[HEADLINE]
    if _two_classes(yy):
        out["ks_curve"] = ks_curve(yy, risk)
    else:
        kind = "default" if yy[0] else "non-default"
        notes.append(MSG_ONE_CLASS.format(n=len(yy), kind=kind))
    bands = pd_bands(policy)
    before = grade_reliability(yy, risk, _grades_of(model, risk, policy, params), bands)
    if RECALIBRATED in risks:
        yr, pr, _, _ = risks[RECALIBRATED]
        out["reliability"] = reliability_table(yr, pr)
        out["reliability_by_grade"] = grade_reliability(
            yr, pr, _grades_of(model, pr, policy, params), bands)
        out["reliability_by_grade_before"] = before
    else:
        out["reliability"] = reliability_table(yy, risk)
        out["reliability_by_grade"] = before
    return out

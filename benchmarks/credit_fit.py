"""Credit scorecard benchmarks (standalone: ``python benchmarks/credit_fit.py``).

1. On the generated sample (seed 7, small), out of time: our scorecard (the
   2026-Q2 model scored on the 2026-Q3 development cohort, as ``credit.analyze``
   reports it), a plain logistic regression on the raw features, and
   optbinning's ``Scorecard`` (``BinningProcess`` + ``LogisticRegression``) fitted
   on the same development sample in the same run. optbinning is not a project
   dependency; without it that line is skipped with a message.
2. Fit time and peak memory of :class:`workbench.credit.Scorecard` on
   ``--rows`` (default 1 000 000) synthetic enterprises with the 17 scorecard
   features, generated directly with numpy.

Options: ``--rows N``, ``--skip-sample``, ``--skip-fit``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import credit, sources
from workbench.credit import (
    FEATURES,
    Scorecard,
    development_sample,
    ks_statistic,
    raw_logistic_baseline,
    roc_auc,
)


def sample_comparison() -> None:
    from workbench.samples import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, seed=7, scale="small")
        frames = sources.load(tmp, tables=list(credit.TABLES))
        res = credit.analyze(frames, "2026-Q3")
        train = development_sample(frames, dt.date(2026, 7, 1))
    test = res.tables["development"]
    feats = list(FEATURES)
    y = test["default"].to_numpy()
    oot = res.tables["validation"].filter(pl.col("sample") == "out_of_time").row(0, named=True)
    psi = res.tables["psi"].filter(pl.col("variable") == "score")["psi"][0]
    print(
        f"sample: train {train.height} rows ({train['default'].mean():.1%} defaults), "
        f"out-of-time {test.height} rows ({y.mean():.1%} defaults)"
    )
    print(
        f"  workbench Scorecard   AUC {oot['auc']:.4f}  KS {oot['ks']:.4f}  Gini {oot['gini']:.4f}"
        f"  score PSI {psi:.4f}"
    )
    lr = raw_logistic_baseline(train, test, feats)
    print(f"  plain LR (raw)        AUC {roc_auc(y, lr):.4f}  KS {ks_statistic(y, lr):.4f}")
    print("  majority class        AUC 0.5000")
    try:
        from optbinning import BinningProcess
        from optbinning import Scorecard as OBScorecard
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("  optbinning            skipped: not installed (pip install optbinning)")
        return
    cols = [c for c in feats if train[c].null_count() < train.height]
    t = time.perf_counter()
    ob = OBScorecard(
        binning_process=BinningProcess(
            cols, binning_fit_params={c: {"monotonic_trend": "auto_asc_desc"} for c in cols}
        ),
        estimator=LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    )
    ob.fit(train.select(cols).to_pandas(), train["default"].to_numpy())
    fit_s = time.perf_counter() - t
    p = ob.predict_proba(test.select(cols).to_pandas())[:, 1]
    print(
        f"  optbinning Scorecard  AUC {roc_auc(y, p):.4f}  KS {ks_statistic(y, p):.4f}"
        f"  (fit {fit_s:.2f} s)"
    )


def synthetic(n: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """``n`` enterprises with the scorecard's features and a default flag."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    late = rng.binomial(12, 1 / (1 + np.exp(-(risk - 1.5)))) / 12
    dpd = np.where(
        rng.random(n) < 1 / (1 + np.exp(-(2 * risk - 3))),
        rng.uniform(30, 400, n),
        rng.gamma(1, 5, n),
    )
    cols = {
        "relationship_months": rng.integers(0, 60, n).astype(float),
        "invoices_12m": rng.poisson(9, n).astype(float),
        "share_paid_late_12m": np.where(rng.random(n) < 0.04, np.nan, late),
        "max_days_past_due_12m": dpd,
        "mean_days_past_due_12m": dpd * rng.uniform(0.2, 0.8, n),
        "outstanding_ratio": rng.beta(1 + np.exp(risk), 8, n),
        "overdue_cny": np.round(rng.lognormal(8 + risk, 1.0, n), 2) * (rng.random(n) < 0.3),
        "years_established": np.where(
            rng.random(n) < 0.03, np.nan, np.exp(rng.normal(2 - 0.4 * risk, 0.5))
        ),
        "registered_capital_cny": np.where(
            rng.random(n) < 0.03, np.nan, np.exp(rng.normal(14 - 0.6 * risk, 1))
        ),
        "weak_status": (rng.random(n) < 0.02).astype(float),
        "annual_report_overdue": (rng.random(n) < 0.03 + 0.02 * (risk > 1)).astype(float),
        "abnormal_days": np.where(
            rng.random(n) < 1 / (1 + np.exp(-(1.3 * risk - 2.6))), rng.integers(1, 900, n), 0
        ).astype(float),
        "on_abnormal_list": (rng.random(n) < 1 / (1 + np.exp(-(1.3 * risk - 3.5)))).astype(float),
        "penalties_36m": rng.poisson(0.25 * np.exp(0.8 * risk)).astype(float),
        "spot_check_fails_36m": rng.poisson(0.08 * np.exp(0.8 * risk)).astype(float),
        "secured_debts_36m": rng.poisson(0.16, n).astype(float),
        "lawsuits_36m": rng.poisson(0.2 * np.exp(0.6 * risk)).astype(float),
    }
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.6 + 1.1 * risk + rng.normal(0, 1, n))))).astype(
        np.int64
    )
    return pl.DataFrame(cols), y


def fit_benchmark(rows: int) -> None:
    t = time.perf_counter()
    X, y = synthetic(rows)
    gen_s = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    t = time.perf_counter()
    card = Scorecard(min_iv=0.02).fit(X, y)
    fit_s = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    card.predict_points(X)
    score_s = time.perf_counter() - t
    auc = roc_auc(y, card.predict_proba(X)[:, 1])
    print(
        f"fit on {rows:,} synthetic enterprises × {X.width} features "
        f"({y.mean():.1%} defaults; generated in {gen_s:.1f} s):"
    )
    print(
        f"  Scorecard.fit {fit_s:.2f} s, peak traced memory during fit {peak / 2**20:.0f} MiB "
        f"(input X {X.estimated_size() / 2**20:.0f} MiB); "
        f"process max RSS {rss0:.0f} → {rss1:.0f} MiB"
    )
    print(
        f"  predict_points {score_s:.2f} s; in-sample AUC {auc:.3f}; "
        f"{int(card.selected_.sum())} features selected"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-sample", action="store_true")
    ap.add_argument("--skip-fit", action="store_true")
    args = ap.parse_args()
    if not args.skip_sample:
        sample_comparison()
    if not args.skip_fit:
        fit_benchmark(args.rows)


if __name__ == "__main__":
    main()

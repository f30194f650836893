"""Model check: do the audited attributes predict the premium beyond legitimate factors.

Two ``HistGradientBoostingRegressor`` models of the log premium are fitted on a
sample of the period's orders (at most ``max_rows``): one on legitimate pricing
features only — sku (target-encoded with cross-fitting), day of week, channel,
quantity, list price, whether a public promotion applied and the tier discount
— and one with the audited attributes added. If prices depend on who the
customer is, the second model predicts held-out premiums better, and the
permutation importance of the audited attributes on the held-out rows is
clearly positive. A model check is corroboration, not a finding: it cannot say
which group pays more, and a gain can come from any attribute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import TargetEncoder
from threadpoolctl import threadpool_limits

LEGITIMATE = ("sku", "day_of_week", "channel", "quantity", "list_price", "promo_applies",
              "tier_discount_pct")


def _features(df: pl.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[bool]]:
    """Numeric matrix; categorical columns as integer codes (null = its own code)."""
    out, cat = [], []
    for c in columns:
        s = df[c]
        if s.dtype == pl.String or s.dtype == pl.Categorical:
            codes = s.fill_null("∅").cast(pl.Categorical).to_physical().cast(pl.Float64)
            out.append(codes.to_numpy())
            cat.append(True)
        else:
            out.append(s.cast(pl.Float64).to_numpy())
            cat.append(False)
    return np.column_stack(out), cat


def model_check(units: pl.DataFrame, attributes: Sequence[str], *, max_rows: int = 200_000,
                seed: int = 0, n_repeats: int = 3,
                n_threads: int | None = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Held-out error of the legitimate-only vs legitimate + audited model, and the
    permutation importance of each audited attribute.

    Returns ``(summary, importance)``: ``summary`` has one row per model
    (``model``, ``rows_train``, ``rows_test``, ``mae``, ``rmse``) plus the
    difference; ``importance`` has ``attribute``, ``importance_mean``,
    ``importance_std`` (increase of held-out MSE when the column is shuffled).

    ``n_threads`` caps OpenMP threads (None = no cap). The default is 1: on a
    shared, busy machine OpenMP's spinning workers made the fit 20× slower.
    """
    with threadpool_limits(limits=n_threads):
        return _model_check(units, attributes, max_rows=max_rows, seed=seed, n_repeats=n_repeats)


def _model_check(units: pl.DataFrame, attributes: Sequence[str], *, max_rows: int, seed: int,
                 n_repeats: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    df = units.filter(pl.col("log_premium").is_not_null()).with_columns(
        pl.col("ordered_at").dt.weekday().alias("day_of_week"),
        pl.col("promo_applies").cast(pl.Int8),
    )
    if df.height > max_rows:
        df = df.sample(max_rows, seed=seed)
    empty = (
        pl.DataFrame(schema={"model": pl.String, "rows_train": pl.Int64, "rows_test": pl.Int64,
                             "mae": pl.Float64, "rmse": pl.Float64}),
        pl.DataFrame(schema={"attribute": pl.String, "importance_mean": pl.Float64,
                             "importance_std": pl.Float64}),
    )
    if df.height < 200:
        return empty
    y = df["log_premium"].to_numpy()
    audited = [a for a in attributes if a not in LEGITIMATE]
    idx_train, idx_test = train_test_split(np.arange(df.height), test_size=0.3, random_state=seed)
    sku_enc = TargetEncoder(target_type="continuous", cv=KFold(5, shuffle=True, random_state=seed))
    sku_train = sku_enc.fit_transform(
        df["sku"].to_numpy()[idx_train].reshape(-1, 1), y[idx_train]).ravel()
    sku_test = sku_enc.transform(df["sku"].to_numpy()[idx_test].reshape(-1, 1)).ravel()
    rows, importance = [], None
    for name, cols in (("legitimate", [c for c in LEGITIMATE if c != "sku"]),
                       ("legitimate + audited", [c for c in LEGITIMATE if c != "sku"] + audited)):
        X, cat = _features(df, cols)
        Xtr = np.column_stack([sku_train, X[idx_train]])
        Xte = np.column_stack([sku_test, X[idx_test]])
        model = HistGradientBoostingRegressor(
            max_iter=100, learning_rate=0.1, categorical_features=[False, *cat], random_state=seed,
        ).fit(Xtr, y[idx_train])
        pred = model.predict(Xte)
        rows.append({"model": name, "rows_train": len(idx_train), "rows_test": len(idx_test),
                     "mae": float(mean_absolute_error(y[idx_test], pred)),
                     "rmse": float(np.sqrt(mean_squared_error(y[idx_test], pred)))})
        if name != "legitimate" and audited:
            positions = [1 + cols.index(a) for a in audited]
            take = np.random.default_rng(seed).permutation(len(idx_test))[:20_000]
            pi = permutation_importance(model, Xte[take], y[idx_test][take],
                                        scoring="neg_mean_squared_error",
                                        n_repeats=n_repeats, random_state=seed)
            importance = pl.DataFrame({
                "attribute": audited,
                "importance_mean": [float(pi.importances_mean[i]) for i in positions],
                "importance_std": [float(pi.importances_std[i]) for i in positions],
            }).sort("importance_mean", descending=True)
    summary = pl.DataFrame(rows).with_columns(
        (pl.col("mae") - pl.col("mae").first()).alias("mae_change"),
        (pl.col("rmse") - pl.col("rmse").first()).alias("rmse_change"),
    )
    return summary, importance if importance is not None else empty[1]

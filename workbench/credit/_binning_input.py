"""Input of the binner: polars, pandas or numpy in, a float matrix and text columns out.

Numbers become float64 (null → NaN). Text and categorical columns (polars
String/Categorical/Enum, pandas object/category/string) and the columns named in
``categorical_features`` become polars String series; the binner turns them into
category codes. numpy input is numeric (as scikit-learn converts it), except for
columns named in ``categorical_features``, whose numbers are read as category labels.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_X_y, validate_data

MSG_INFINITE = (
    "X column {column!r} has infinite values in {n} row(s) (first: {rows}); use a finite "
    "number, null/NaN (missing) or a special value code"
)
MSG_DTYPE = (
    "X column {column!r} has dtype {dtype}; the scorecard takes numbers (binned by value) "
    "or text/categorical columns (binned by category)"
)
MSG_NOT_NUMERIC = (
    "X column {column!r} was numeric in fit but has dtype {dtype} now; convert it to numbers"
)
MSG_NEEDS_FRAME = (
    "feature {column!r} was categorical in fit; pass a polars or pandas DataFrame with its "
    "categories (a numpy array holds numbers only)"
)
MSG_UNKNOWN_FEATURE = "{param} names unknown feature(s) {unknown}; the features are {names}"
MSG_BAD_SPEC = "{param} must be {what}, not {value!r}"

__all__ = [
    "Read",
    "check_finite",
    "feature_names",
    "per_feature",
    "read_fit",
    "read_transform",
]

Read = tuple[np.ndarray, dict[int, pl.Series]]
"""``(X, texts)``: float matrix (NaN in categorical columns) and the text column per index."""


def frame_kind(X: Any) -> str | None:
    """``"polars"``, ``"pandas"`` or ``None`` (anything scikit-learn converts itself)."""
    if isinstance(X, pl.DataFrame):
        return "polars"
    pd = sys.modules.get("pandas")  # no pandas import unless the caller already has it
    if pd is not None and isinstance(X, pd.DataFrame):
        return "pandas"
    return None


def feature_names(est: BaseEstimator) -> list[str]:
    """Names seen in fit; ``x0, x1, …`` for input without column names."""
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(est.n_features_in_)]
    return [str(n) for n in names]


def per_feature(
    param: str, spec: Any, names: list[str], *, default: Any = None
) -> list[Any]:
    """Resolve a per-feature parameter: a mapping ``{feature name: value}`` (features it
    does not name get ``default``) or one value for every feature.
    """
    if not isinstance(spec, Mapping):
        return [spec] * len(names)
    unknown = sorted(str(k) for k in spec if str(k) not in names)
    if unknown:
        raise ValueError(MSG_UNKNOWN_FEATURE.format(param=param, unknown=unknown, names=names))
    by_name = {str(k): v for k, v in spec.items()}
    return [by_name.get(n, default) for n in names]


def _forced(spec: Any, names: list[str]) -> set[int]:
    """Column indices named (or numbered) by ``categorical_features``."""
    if spec is None:
        return set()
    if isinstance(spec, str) or not isinstance(spec, Sequence):
        raise ValueError(
            MSG_BAD_SPEC.format(
                param="categorical_features", what="a list of feature names", value=spec
            )
        )
    out: set[int] = set()
    for item in spec:
        is_index = isinstance(item, (int, np.integer)) and not isinstance(item, bool)
        if is_index and 0 <= int(item) < len(names):
            out.add(int(item))
        elif not is_index and str(item) in names:
            out.add(names.index(str(item)))
        else:
            raise ValueError(
                MSG_UNKNOWN_FEATURE.format(param="categorical_features", unknown=[item],
                                           names=names)
            )
    return out


def _is_text_dtype(kind: str, dtype: Any, name: str) -> bool:
    """True for text/categorical, False for numbers; other dtypes are an error."""
    if kind == "polars":
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum)):
            return True
        if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
            return False
    else:
        import pandas as pd

        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            return True
        if pd.api.types.is_object_dtype(dtype):
            return True
        if pd.api.types.is_numeric_dtype(dtype):
            return False
    raise ValueError(MSG_DTYPE.format(column=name, dtype=dtype))


def _column(X: Any, kind: str, j: int) -> Any:
    """Column ``j`` by position (names may be missing or not strings)."""
    return X.to_series(j) if kind == "polars" else X.iloc[:, j]


def _numeric(col: Any, kind: str) -> np.ndarray:
    if kind == "polars":
        return col.cast(pl.Float64).to_numpy()
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _text(col: Any, kind: str | None, name: str) -> pl.Series:
    """Column as polars String (null = missing); numbers become their labels."""
    if kind == "polars":
        return col.cast(pl.String).alias(name)
    if kind == "pandas":
        return pl.from_pandas(col.astype("string")).cast(pl.String).alias(name)
    return pl.Series(name, col, nan_to_null=True).cast(pl.String)


def check_finite(X: np.ndarray, names: list[str]) -> None:
    """Raise, naming the column and rows, when a numeric column holds ±inf."""
    bad = np.isinf(X)
    if not bad.any():
        return
    j = int(np.flatnonzero(bad.any(axis=0))[0])
    rows = np.flatnonzero(bad[:, j])
    raise ValueError(MSG_INFINITE.format(column=names[j], n=rows.size, rows=rows[:5].tolist()))


def _read_frame(X: Any, kind: str, names: list[str], is_cat: np.ndarray) -> Read:
    """Numbers into a float matrix, categorical columns into text series."""
    out = np.full((X.shape[0], len(names)), np.nan, order="F")  # read by column
    texts: dict[int, pl.Series] = {}
    for j, (name, dtype) in enumerate(zip(names, list(X.dtypes), strict=True)):
        col = _column(X, kind, j)
        if is_cat[j]:
            texts[j] = _text(col, kind, name)
        elif _is_text_dtype(kind, dtype, name):
            raise ValueError(MSG_NOT_NUMERIC.format(column=name, dtype=dtype))
        else:
            out[:, j] = _numeric(col, kind)
    return out, texts


def _read_array(est: BaseEstimator, X: np.ndarray, is_cat: np.ndarray) -> Read:
    """A validated float array: columns flagged categorical become text labels."""
    names = feature_names(est)
    cats = np.flatnonzero(is_cat).tolist()
    texts = {j: _text(X[:, j], None, names[j]) for j in cats}
    if not cats:
        check_finite(X, names)
        return X, texts
    num = X.copy()
    num[:, cats] = np.nan
    check_finite(num, names)
    return num, texts


def read_fit(
    est: BaseEstimator, X: Any, y: Any, categorical_features: Any
) -> tuple[Read, Any, np.ndarray]:
    """Validate ``X, y`` for fit (sets ``n_features_in_``/``feature_names_in_``).

    Returns ``((X, texts), y, categorical)``, ``categorical`` a bool per feature.
    """
    kind = frame_kind(X)
    if kind is None:
        X, y = validate_data(est, X, y, ensure_all_finite=False, dtype=np.float64)
        forced = _forced(categorical_features, feature_names(est))
        is_cat = np.array([j in forced for j in range(X.shape[1])], dtype=bool)
        return _read_array(est, X, is_cat), y, is_cat
    validate_data(est, X, y, skip_check_array=True)
    names = feature_names(est)
    forced = _forced(categorical_features, names)
    is_cat = np.array(
        [
            j in forced or _is_text_dtype(kind, dtype, name)
            for j, (name, dtype) in enumerate(zip(names, list(X.dtypes), strict=True))
        ],
        dtype=bool,
    )
    num, texts = _read_frame(X, kind, names, is_cat)
    check_finite(num, names)
    num, y = check_X_y(num, y, ensure_all_finite="allow-nan", dtype=np.float64, estimator=est)
    return (num, texts), y, is_cat


def read_transform(est: BaseEstimator, X: Any, is_cat: np.ndarray) -> Read:
    """Validate ``X`` against what fit saw (column count and names, dtypes)."""
    kind = frame_kind(X)
    if kind is None:
        try:
            X = validate_data(est, X, reset=False, ensure_all_finite=False, dtype=np.float64)
        except ValueError as err:
            if is_cat.any() and "convert" in str(err):
                name = feature_names(est)[int(np.flatnonzero(is_cat)[0])]
                raise ValueError(MSG_NEEDS_FRAME.format(column=name)) from err
            raise
        return _read_array(est, X, is_cat)
    validate_data(est, X, reset=False, skip_check_array=True)
    names = feature_names(est)
    num, texts = _read_frame(X, kind, names, is_cat)
    check_finite(num, names)
    return num, texts

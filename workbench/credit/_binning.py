"""Weight-of-evidence binning of numeric and categorical features (scikit-learn API).

:class:`MonotoneBinner` bins each numeric feature into quantile pre-bins and merges
adjacent bins until the weight of evidence is strictly monotone (in whichever
direction, rising or falling, carries more information value, or the direction
asked for); each categorical feature is binned by bad rate with rare categories
pooled. Missing values and special value codes get bins of their own. Every value
is replaced with its bin's weight of evidence

    WoE = ln( (goods_in_bin + a) / (G + k·a)  /  (bads_in_bin + a) / (B + k·a) )

(``a`` = ``smoothing``, ``k`` the number of bins with rows): higher WoE = safer.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted

from workbench.credit._binning_core import BinParams, FeatureBins, fit_categorical, fit_numeric
from workbench.credit._binning_input import (
    Read,
    feature_names,
    per_feature,
    read_fit,
    read_transform,
)

MSG_NOT_BINARY = (
    "Only binary classification is supported. {name} needs two classes (the greater "
    "is the bad class); y has {n}: {classes}"
)
MSG_ONE_CLASS = "{name} needs both good and bad rows to weigh evidence; y has one class: {classes}"
MSG_BAD_MONOTONIC = (
    "monotonic must be 'auto', 'ascending', 'descending' or 'none' (or a dict of them "
    "by feature name), not {value!r}"
)
MSG_CATEGORICAL_MONOTONIC = (
    "monotonic={value!r} for categorical feature {name!r}: categories have no order of "
    "their own (their bins are ordered by bad rate); use 'auto' or 'none'"
)
MSG_BAD_SPECIAL = (
    "special_values for feature {name!r} must be a list of codes (numbers for a numeric "
    "feature, not NaN: missing values have a bin of their own), not {value!r}"
)
MSG_BAD_CATEGORY_LIMIT = (
    "min_category_share must be in [0, 1) and min_category_count >= 0, "
    "not {share!r} and {count!r}"
)
MONOTONIC = ("auto", "ascending", "descending", "none")

__all__ = ["MonotoneBinner", "binary_target"]


def binary_target(
    estimator: BaseEstimator, y: np.ndarray, *, ordinal: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, y01)``: 1 for the greater of the two labels (the 'bad' class).

    ``ordinal=True`` also accepts more than two labels and counts every label above
    the smallest as bad (delinquency buckets 0 / 1 / 2 → any delinquency is bad).
    """
    check_classification_targets(y)
    classes = unique_labels(y)
    if ordinal and len(classes) > 2:
        return classes, (y != classes[0]).astype(np.int64)
    if len(classes) == 1:
        raise ValueError(MSG_ONE_CLASS.format(name=type(estimator).__name__, classes=classes))
    if len(classes) != 2:
        raise ValueError(
            MSG_NOT_BINARY.format(
                name=type(estimator).__name__, n=len(classes), classes=classes[:5]
            )
        )
    return classes, (y == classes[1]).astype(np.int64)


def _special_codes(value: Any, name: str, categorical: bool, shared: bool) -> tuple:
    """One feature's special codes: numbers for numeric features, text for categorical.

    A list shared by every feature gives each feature the codes of its kind; a list
    given for one feature must fit that feature.
    """
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(MSG_BAD_SPECIAL.format(name=name, value=value))
    out: list[Any] = []
    for code in value:
        is_number = isinstance(code, Real) and not isinstance(code, bool)
        if categorical:
            if shared and is_number:
                continue
            code = str(code)
        elif not is_number or np.isnan(float(code)):
            if shared and not is_number:
                continue
            raise ValueError(MSG_BAD_SPECIAL.format(name=name, value=value))
        else:
            code = float(code)
        if code not in out:
            out.append(code)
    return tuple(out)


def _codes(s: pl.Series, categories: list[str]) -> np.ndarray:
    """Category codes: index in ``categories``, −1 for a category unseen in fit,
    NaN for missing.
    """
    missing = s.is_null().to_numpy()
    if not categories:
        return np.where(missing, np.nan, -1.0)
    enum = s.cast(pl.Enum(categories), strict=False)
    out = enum.to_physical().cast(pl.Float64).fill_null(-1.0).to_numpy().copy()
    out[missing] = np.nan
    return out


class MonotoneBinner(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Weight-of-evidence binning of every feature, numeric or categorical.

    Numeric features: quantile pre-bins, small bins merged into a neighbour, then
    adjacent bins merged until WoE is strictly monotone in the feature's direction.
    Categorical features (polars String/Categorical/Enum, pandas object/category/
    string columns, or any column named in ``categorical_features``): categories with
    too few rows are pooled in an "other" bin; the rest are ordered by bad rate, each
    its own bin, merged only where their WoE ties or to keep at most ``n_prebins``
    bins (the closest pairs first).
    Missing values (null/NaN) and each special value code get a bin of their own.

    Unseen categories (first met after fit) go to the "other" bin. That is the rule
    fit already applies to any category with fewer rows than the minimum (an unseen
    one had none), so a category scores the same whether it was rare in fit or
    absent; the other bin's WoE is the pooled evidence of the rare categories. When
    no category was rare the other bin is empty and scores WoE 0, the population's
    odds, like every bin without rows in fit (a missing bin or special code never
    seen in fit also scores 0).

    Parameters
    ----------
    n_prebins : int
        Quantile pre-bins per numeric feature; at most this many regular bins for a
        categorical feature.
    min_bin_share : float
        A numeric pre-bin with a smaller share of the feature's regular (not
        missing, not special) rows is merged into its neighbour before the monotone
        merge. (Categories have their own minimum, below.)
    monotonic : {"auto", "ascending", "descending", "none"} or dict
        Direction of WoE along a numeric feature: "auto" keeps whichever direction
        gives the higher information value; "ascending" = safer as the value grows;
        "none" keeps the pre-bins unconstrained. A dict ``{feature name: value}`` sets
        it per feature (unnamed features "auto"). Categorical features take only
        "auto" or "none": their bins are ordered by bad rate.
    smoothing : float
        Pseudo-count added to goods and bads of every bin (WoE stays finite).
    special_values : list or dict, optional
        Codes that mean something other than their value (e.g. ``-999`` "not
        reported"), one bin per code, never merged. A list applies its numbers to
        every numeric feature and its strings to every categorical one; a dict
        ``{feature name: list}`` sets them per feature (categorical codes compared
        as text).
    categorical_features : list of str or int, optional
        Features binned by category whatever their dtype (e.g. an industry code
        stored as a number). Text and categorical columns always are.
    min_category_share, min_category_count : float, int
        A category with fewer than ``max(min_category_count, min_category_share ·
        n)`` rows (``n`` the feature's regular rows) is rare and pooled into the
        "other" bin: below ~30 rows a category's own WoE is mostly noise.

    Attributes
    ----------
    bin_edges_ : list of ndarray
        Inner edges per numeric feature, bins right-closed ``(e[i-1], e[i]]``;
        empty for a categorical feature.
    woe_ : list of ndarray
        WoE of the regular bins per feature (for a categorical feature the last one
        is "other").
    woe_missing_ : ndarray
        WoE of a missing value per feature (0 when no value was missing in fit).
    woe_special_ : list of ndarray
        WoE of each special code per feature (0 for a code not seen in fit).
    direction_ : ndarray
        +1 when WoE rises with the feature, −1 when it falls, 0 for one bin, for
        ``monotonic="none"`` and for categorical features.
    iv_ : ndarray
        Information value per feature.
    categorical_ : ndarray of bool
        Which features were binned by category.
    categories_ : list
        Per feature: the categories seen in fit (with its special codes), sorted;
        ``None`` for a numeric feature.
    special_values_ : list of tuple
        Special codes per feature.
    n_bins_ : ndarray
        Bins per feature: regular, missing, specials (bin numbers ``0 … n-1``).
    counts_ : list of (ndarray, ndarray)
        Goods and bads per bin, in bin-number order.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(200, dtype=float).reshape(-1, 1); y = (X[:, 0] % 7 == 0) | (X[:, 0] > 150)
    >>> b = MonotoneBinner(n_prebins=5).fit(X, y.astype(int))
    >>> bool(np.all(np.diff(b.woe_[0]) < 0))
    True
    """

    def __init__(
        self,
        n_prebins: int = 10,
        min_bin_share: float = 0.05,
        monotonic: str | dict[str, str] = "auto",
        smoothing: float = 0.5,
        special_values: Sequence[Any] | dict[str, Sequence[Any]] | None = None,
        categorical_features: Sequence[str | int] | None = None,
        min_category_share: float = 0.01,
        min_category_count: int = 30,
    ) -> None:
        self.n_prebins = n_prebins
        self.min_bin_share = min_bin_share
        self.monotonic = monotonic
        self.smoothing = smoothing
        self.special_values = special_values
        self.categorical_features = categorical_features
        self.min_category_share = min_category_share
        self.min_category_count = min_category_count

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        return tags

    def fit(self, X: Any, y: Any) -> MonotoneBinner:
        """Learn bins and WoE from features ``X`` and a target ``y``.

        ``y`` is binary (its greater label = bad), or ordinal classes of which every
        label above the smallest counts as bad.
        """
        self._check_params()
        read, y, self.categorical_ = read_fit(self, X, y, self.categorical_features)
        _, y01 = binary_target(self, y, ordinal=True)
        self._fit_read(read, y01)
        return self

    def _fit_validated(
        self, read: Read, y01: np.ndarray, categorical: np.ndarray, names: np.ndarray | None
    ) -> np.ndarray:
        """Fit on input its owner (the :class:`Scorecard`) validated; returns the
        encoded matrix, so the owner need not read ``X`` twice.
        """
        self._check_params()
        self.n_features_in_ = len(categorical)
        if names is not None:
            self.feature_names_in_ = names
        self.categorical_ = categorical
        return self._fit_read(read, y01)

    def _check_params(self) -> None:
        if isinstance(self.monotonic, str) and self.monotonic not in MONOTONIC:
            raise ValueError(MSG_BAD_MONOTONIC.format(value=self.monotonic))
        share, count = self.min_category_share, self.min_category_count
        if not (0 <= share < 1) or count < 0:
            raise ValueError(MSG_BAD_CATEGORY_LIMIT.format(share=share, count=count))

    def _feature_settings(self) -> tuple[list[BinParams], list[tuple]]:
        """Per feature: its binning settings and special codes (names resolved)."""
        names = feature_names(self)
        mono = per_feature("monotonic", self.monotonic, names, default="auto")
        spec = per_feature("special_values", self.special_values, names)
        shared = not isinstance(self.special_values, dict)
        params, specials = [], []
        for j, name in enumerate(names):
            cat = bool(self.categorical_[j])
            if mono[j] not in MONOTONIC:
                raise ValueError(MSG_BAD_MONOTONIC.format(value=mono[j]))
            if cat and isinstance(self.monotonic, dict) and mono[j] not in ("auto", "none"):
                raise ValueError(MSG_CATEGORICAL_MONOTONIC.format(value=mono[j], name=name))
            params.append(
                BinParams(
                    n_prebins=self.n_prebins, min_bin_share=self.min_bin_share,
                    smoothing=self.smoothing, monotonic="none" if cat else mono[j],
                    min_category_share=self.min_category_share,
                    min_category_count=self.min_category_count,
                )
            )
            specials.append(_special_codes(spec[j], name, cat, shared))
        return params, specials

    def _fit_read(self, read: Read, y01: np.ndarray) -> np.ndarray:
        """Fit on validated input; returns the encoded matrix (codes for categories)."""
        num, texts = read
        params, specials = self._feature_settings()
        self.categories_: list[list[str] | None] = [None] * num.shape[1]
        for j, s in texts.items():
            seen = s.drop_nulls().unique().to_list()
            self.categories_[j] = sorted(set(seen) | set(specials[j]))
        Xf = self._encode(read)
        bins: list[FeatureBins] = []
        for j in range(Xf.shape[1]):
            if self.categorical_[j]:
                cats = self.categories_[j]
                bins.append(fit_categorical(Xf[:, j], y01, cats, specials[j], params[j]))
            else:
                bins.append(fit_numeric(Xf[:, j], y01, specials[j], params[j]))
        self._set_fitted(bins, specials)
        return Xf

    def _set_fitted(self, bins: list[FeatureBins], specials: list[tuple]) -> None:
        self._bins = bins
        self.bin_edges_ = [f.edges for f in bins]
        self.woe_ = [f.woe[: f.n_regular] for f in bins]
        self.woe_missing_ = np.array([f.woe[f.n_regular] for f in bins])
        self.woe_special_ = [f.woe[f.n_regular + 1 :] for f in bins]
        self.iv_ = np.array([f.iv for f in bins])
        self.direction_ = np.array([f.direction for f in bins], dtype=np.int64)
        self.counts_ = [(f.good, f.bad) for f in bins]
        self.special_values_ = specials
        self.n_bins_ = np.array([len(f.woe) for f in bins], dtype=np.int64)

    def _encode(self, read: Read) -> np.ndarray:
        """The float matrix the bins index: numbers as they are, category codes in
        categorical columns (−1 unseen, NaN missing).
        """
        num, texts = read
        for j, s in texts.items():  # ``num`` is the reader's own copy when there are texts
            num[:, j] = _codes(s, self.categories_[j])
        return num

    def _bin_index(self, X: np.ndarray) -> np.ndarray:
        """Bin number per cell of an encoded matrix (numeric input is its own encoding):
        regular bins, then ``n_regular`` for missing, then the special codes.
        """
        out = np.empty(X.shape, dtype=np.int64, order="F")  # column by column
        for j in range(X.shape[1]):
            out[:, j] = self._bin_column(X[:, j], self._bins[j])
        return out

    @staticmethod
    def _bin_column(x: np.ndarray, f: FeatureBins) -> np.ndarray:
        miss = np.isnan(x)
        if f.category_bins is not None:
            lookup = np.concatenate([[f.n_regular, f.other], f.category_bins])
            return lookup[np.where(miss, -2, x).astype(np.int64) + 2]
        idx = np.searchsorted(f.edges, x, side="left")
        if miss.any():
            idx[miss] = f.n_regular
        for i, code in enumerate(f.specials):
            idx[x == code] = f.n_regular + 1 + i
        return idx

    def _woe_values(self, X: np.ndarray) -> np.ndarray:
        # C order: the regression's arithmetic (and so its last digits) as before.
        out = np.empty(X.shape, dtype=np.float64)
        for j, f in enumerate(self._bins):
            out[:, j] = f.woe[self._bin_column(X[:, j], f)]
        return out

    def transform(self, X: Any) -> np.ndarray:
        """Replace every value with the WoE of its bin (missing → the missing bin,
        an unseen category → the "other" bin).
        """
        check_is_fitted(self)
        return self._woe_values(self._encode(read_transform(self, X, self.categorical_)))

    def bin_index(self, X: Any) -> np.ndarray:
        """Bin number of every cell (the rows of :meth:`bin_table` per feature)."""
        check_is_fitted(self)
        return self._bin_index(self._encode(read_transform(self, X, self.categorical_)))

    def bin_labels(self, j: int) -> list[str]:
        """Readable labels of feature ``j``'s bins in bin-number order: regular bins,
        ``"missing"``, then ``"special <code>"`` per special code.
        """
        check_is_fitted(self)
        return list(self._bins[j].labels)

    def bin_table(self) -> pl.DataFrame:
        """One row per feature and bin: counts, bad rate, WoE and IV contribution."""
        check_is_fitted(self)
        rows = []
        for name, f in zip(self._feature_names(), self._bins, strict=True):
            gt, bt = max(f.good.sum(), 1.0), max(f.bad.sum(), 1.0)
            for b, label in enumerate(f.labels):
                n = f.good[b] + f.bad[b]
                rows.append(
                    {
                        "feature": name,
                        "bin": b,
                        "label": label,
                        "count": int(n),
                        "bads": int(f.bad[b]),
                        "bad_rate": float(f.bad[b] / n) if n else None,
                        "woe": float(f.woe[b]),
                        "iv": float((f.good[b] / gt - f.bad[b] / bt) * f.woe[b]),
                    }
                )
        return pl.DataFrame(rows)

    def _feature_names(self) -> list[str]:
        return feature_names(self)

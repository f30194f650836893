"""A points scorecard with scikit-learn's estimator API.

:class:`MonotoneBinner` bins each feature into quantile pre-bins, merges adjacent
bins until the weight of evidence is strictly monotone (in whichever direction,
rising or falling, carries more information value), gives missing values a bin of
their own, and replaces every value with its bin's weight of evidence

    WoE = ln( (goods_in_bin + a) / (G + k·a)  /  (bads_in_bin + a) / (B + k·a) )

(``a`` = ``smoothing``, ``k`` the number of bins): higher WoE = safer.
:class:`Scorecard` is the binner plus a logistic regression on the WoE values,
with points scaled the usual way: ``score = offset + factor · ln(odds good:bad)``,
``factor = pdo / ln 2``, ``offset = base_score − factor · ln(base_odds)``, so a
customer at odds ``base_odds``:1 scores ``base_score`` and doubling the odds adds
``pdo`` points. Each feature's points are ``−factor · coef · WoE``; a customer's
reason codes are the features whose points fall furthest below the best points
that feature can give.

Both follow the scikit-learn contract: ``__init__`` only stores parameters,
``fit`` learns ``trailing_underscore_`` attributes and returns ``self``, the other
methods call ``check_is_fitted`` first. Polars DataFrames are accepted (their
columns name the features) and ``set_output(transform="polars")`` works.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(400, 2)); y = (X[:, 0] + rng.normal(size=400) > 1).astype(int)
>>> card = Scorecard().fit(X, y)
>>> bool(card.binner_.iv_[0] > card.binner_.iv_[1])
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin, OneToOneFeatureMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

MSG_NOT_BINARY = (
    "Only binary classification is supported. {name} needs two classes (the greater "
    "is the bad class); y has {n}: {classes}"
)
MSG_ONE_CLASS = "{name} needs both good and bad rows to weigh evidence; y has one class: {classes}"
MSG_BAD_MONOTONIC = "monotonic must be 'auto', 'ascending' or 'descending', not {value!r}"

__all__ = ["MonotoneBinner", "Scorecard"]


def _binary_target(
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


def _woe(good: np.ndarray, bad: np.ndarray, smoothing: float) -> np.ndarray:
    k = len(good)
    g = (good + smoothing) / (good.sum() + k * smoothing)
    b = (bad + smoothing) / (bad.sum() + k * smoothing)
    return np.log(g / b)


def _merge(edges: list[float], good: list[float], bad: list[float], i: int) -> None:
    """Merge bin ``i`` with bin ``i + 1`` (drop the edge between them)."""
    good[i] += good.pop(i + 1)
    bad[i] += bad.pop(i + 1)
    edges.pop(i)


def _monotone_bins(
    edges: list[float], good: list[float], bad: list[float], direction: int, smoothing: float
) -> tuple[list[float], list[float], list[float]]:
    """Merge adjacent bins until WoE is strictly monotone.

    ``direction = +1``: WoE rises with the feature (bad rate falls); ``-1``: it
    falls. The smoothing uses the pooled totals, so merging never changes them.
    """
    edges, good, bad = list(edges), list(good), list(bad)
    while len(good) > 1:
        w = _woe(np.array(good), np.array(bad), smoothing) * direction
        steps = np.diff(w)
        bad_steps = np.flatnonzero(steps <= 0)
        if bad_steps.size == 0:
            break
        # Merge the violating pair with the fewest observations first.
        sizes = [good[i] + bad[i] + good[i + 1] + bad[i + 1] for i in bad_steps]
        _merge(edges, good, bad, int(bad_steps[int(np.argmin(sizes))]))
    return edges, good, bad


class MonotoneBinner(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Monotone weight-of-evidence binning of every feature.

    Parameters
    ----------
    n_prebins : int
        Quantile pre-bins per feature before merging.
    min_bin_share : float
        A bin with a smaller share of the non-missing rows is merged into its
        neighbour before the monotone merge.
    monotonic : {"auto", "ascending", "descending"}
        Direction of WoE along the feature: "auto" keeps whichever direction gives
        the higher information value; "ascending" = safer as the value grows.
    smoothing : float
        Pseudo-count added to goods and bads of every bin (WoE stays finite).

    Attributes
    ----------
    bin_edges_ : list of ndarray
        Inner edges per feature; bins are right-closed ``(e[i-1], e[i]]``.
    woe_ : list of ndarray
        WoE per bin per feature.
    woe_missing_ : ndarray
        WoE of a missing value per feature (0 when no value was missing in fit).
    direction_ : ndarray
        +1 when WoE rises with the feature, −1 when it falls, 0 for one bin.
    iv_ : ndarray
        Information value per feature.
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
        monotonic: str = "auto",
        smoothing: float = 0.5,
    ) -> None:
        self.n_prebins = n_prebins
        self.min_bin_share = min_bin_share
        self.monotonic = monotonic
        self.smoothing = smoothing

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        return tags

    def _fit_feature(self, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        miss = np.isnan(x)
        xv, yv = x[~miss], y[~miss]
        n = len(xv)
        if n == 0:
            edges: list[float] = []
        else:
            qs = np.quantile(xv, np.linspace(0, 1, self.n_prebins + 1)[1:-1])
            edges = [float(e) for e in np.unique(qs) if e < xv.max()]
        idx = np.searchsorted(np.array(edges), xv, side="left")
        k = len(edges) + 1
        bad = np.bincount(idx, weights=yv, minlength=k).astype(float).tolist()
        cnt = np.bincount(idx, minlength=k).astype(float)
        good = (cnt - np.array(bad)).tolist()
        # Drop empty bins and bins below the minimum share (merge into a neighbour).
        min_n = max(1.0, self.min_bin_share * n)
        while len(good) > 1:
            sizes = np.array(good) + np.array(bad)
            small = np.flatnonzero(sizes < min_n)
            if small.size == 0:
                break
            i = int(small[np.argmin(sizes[small])])
            if i == 0:
                j = 0
            elif i == len(good) - 1:
                j = i - 1
            else:
                j = i - 1 if sizes[i - 1] <= sizes[i + 1] else i
            _merge(edges, good, bad, j)
        best: tuple[float, int, list[float], list[float], list[float]] | None = None
        directions = {"auto": (1, -1), "ascending": (1,), "descending": (-1,)}[self.monotonic]
        for d in directions:
            e, g, b = _monotone_bins(edges, good, bad, d, self.smoothing)
            bm = float(y[miss].sum())
            gm = float(miss.sum()) - bm
            g_all, b_all = np.array([*g, gm]), np.array([*b, bm])
            keep = np.ones(len(g_all), dtype=bool)
            keep[-1] = miss.any()
            w = np.zeros(len(g_all))
            w[keep] = _woe(g_all[keep], b_all[keep], self.smoothing)
            dist = (g_all / max(g_all.sum(), 1.0)) - (b_all / max(b_all.sum(), 1.0))
            iv = float(np.sum(dist * w))
            if best is None or iv > best[0] + 1e-12:
                best = (iv, d if len(g) > 1 else 0, e, list(w), [*g, gm, *b, bm])
        assert best is not None
        iv, d, e, w, counts = best
        nb = len(e) + 1
        return {
            "edges": np.array(e, dtype=float),
            "woe": np.array(w[:nb]),
            "woe_missing": float(w[nb]),
            "iv": iv,
            "direction": d,
            "good": np.array(counts[: nb + 1]),
            "bad": np.array(counts[nb + 1 :]),
        }

    def fit(self, X: Any, y: Any) -> MonotoneBinner:
        """Learn bins and WoE from features ``X`` and a target ``y``.

        ``y`` is binary (its greater label = bad), or ordinal classes of which every
        label above the smallest counts as bad.
        """
        if self.monotonic not in ("auto", "ascending", "descending"):
            raise ValueError(MSG_BAD_MONOTONIC.format(value=self.monotonic))
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        _, y01 = _binary_target(self, y, ordinal=True)
        fitted = [self._fit_feature(X[:, j], y01) for j in range(X.shape[1])]
        self.bin_edges_ = [f["edges"] for f in fitted]
        self.woe_ = [f["woe"] for f in fitted]
        self.woe_missing_ = np.array([f["woe_missing"] for f in fitted])
        self.iv_ = np.array([f["iv"] for f in fitted])
        self.direction_ = np.array([f["direction"] for f in fitted], dtype=np.int64)
        self.counts_ = [(f["good"], f["bad"]) for f in fitted]
        return self

    def _bin_index(self, X: np.ndarray) -> np.ndarray:
        """Bin number per cell; ``len(edges) + 1`` marks a missing value."""
        out = np.empty(X.shape, dtype=np.int64)
        for j, edges in enumerate(self.bin_edges_):
            idx = np.searchsorted(edges, X[:, j], side="left")
            out[:, j] = np.where(np.isnan(X[:, j]), len(edges) + 1, idx)
        return out

    def _woe_values(self, X: np.ndarray) -> np.ndarray:
        idx = self._bin_index(X)
        out = np.empty(X.shape, dtype=np.float64)
        for j, woe in enumerate(self.woe_):
            table = np.append(woe, self.woe_missing_[j])
            out[:, j] = table[idx[:, j]]
        return out

    def transform(self, X: Any) -> np.ndarray:
        """Replace every value with the WoE of its bin (missing → the missing bin)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return self._woe_values(X)

    def bin_labels(self, j: int) -> list[str]:
        """Readable labels of feature ``j``'s bins, then ``"missing"``."""
        check_is_fitted(self)
        edges = self.bin_edges_[j]
        if len(edges) == 0:
            return ["all", "missing"]
        fmt = "{:.4g}".format
        labels = [f"≤ {fmt(edges[0])}"]
        labels += [f"({fmt(a)}, {fmt(b)}]" for a, b in zip(edges[:-1], edges[1:], strict=True)]
        labels.append(f"> {fmt(edges[-1])}")
        return [*labels, "missing"]

    def bin_table(self) -> pl.DataFrame:
        """One row per feature and bin: counts, bad rate, WoE and IV contribution."""
        check_is_fitted(self)
        names = self._feature_names()
        rows = []
        for j, name in enumerate(names):
            good, bad = self.counts_[j]
            woe = np.append(self.woe_[j], self.woe_missing_[j])
            gt, bt = max(good.sum(), 1.0), max(bad.sum(), 1.0)
            for b, label in enumerate(self.bin_labels(j)):
                n = good[b] + bad[b]
                rows.append(
                    {
                        "feature": name,
                        "bin": b,
                        "label": label,
                        "count": int(n),
                        "bads": int(bad[b]),
                        "bad_rate": float(bad[b] / n) if n else None,
                        "woe": float(woe[b]),
                        "iv": float((good[b] / gt - bad[b] / bt) * woe[b]),
                    }
                )
        return pl.DataFrame(rows)

    def _feature_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{j}" for j in range(self.n_features_in_)]
        return [str(n) for n in names]


class Scorecard(ClassifierMixin, BaseEstimator):
    """Monotone WoE binning + logistic regression, reported as scorecard points.

    Parameters
    ----------
    n_prebins, min_bin_share, smoothing
        Passed to :class:`MonotoneBinner`.
    min_iv : float
        Features with a lower information value are left out of the regression.
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    base_score, base_odds, pdo : float
        Points scaling: odds (good:bad) of ``base_odds`` score ``base_score``;
        doubling the odds adds ``pdo`` points.
    n_reasons : int
        Reason codes returned per customer.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``classes_[1]`` is the "bad" (default) class.
    binner_ : MonotoneBinner
    selected_ : ndarray of bool
        Features used by the regression (IV ≥ ``min_iv`` and a coefficient of the
        right sign: a feature whose coefficient would make higher WoE riskier is
        dropped and the regression refitted).
    coef_ : ndarray of shape (n_features,)
        Coefficient per feature on the log-odds of ``classes_[1]`` (0 if unused).
    intercept_ : float
    factor_, offset_ : float
        The points scaling.
    points_ : list of ndarray
        Points of each bin of each feature (the missing bin last).

    Notes
    -----
    ``decision_function`` keeps scikit-learn's meaning (log-odds of
    ``classes_[1]``, > 0 predicts it); the points are :meth:`predict_points`.
    ``score`` is scikit-learn's accuracy, as for every classifier.
    """

    def __init__(
        self,
        *,
        n_prebins: int = 10,
        min_bin_share: float = 0.05,
        smoothing: float = 0.5,
        min_iv: float = 0.0,
        C: float = 1.0,
        base_score: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
        n_reasons: int = 3,
    ) -> None:
        self.n_prebins = n_prebins
        self.min_bin_share = min_bin_share
        self.smoothing = smoothing
        self.min_iv = min_iv
        self.C = C
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.n_reasons = n_reasons

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any) -> Scorecard:
        """Bin, select and regress; ``y``'s greater label is the bad class."""
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        self.classes_, y01 = _binary_target(self, y)
        self.binner_ = MonotoneBinner(
            n_prebins=self.n_prebins, min_bin_share=self.min_bin_share, smoothing=self.smoothing
        ).fit(X, y01)
        W = self.binner_._woe_values(X)
        selected = self.binner_.iv_ >= self.min_iv
        coef = np.zeros(X.shape[1])
        intercept = float(np.log((y01.mean()) / (1 - y01.mean())))
        while selected.any():
            lr = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=200).fit(
                W[:, selected], y01
            )
            c = lr.coef_[0]
            if np.all(c <= 1e-12):
                coef[:] = 0.0
                coef[selected] = c
                intercept = float(lr.intercept_[0])
                break
            # WoE is "higher = safer": a positive coefficient on the bad class
            # reverses the feature's meaning (collinearity); drop the worst one.
            where = np.flatnonzero(selected)
            selected[where[int(np.argmax(c))]] = False
        self.selected_ = selected
        self.coef_ = coef
        self.intercept_ = intercept
        self.factor_ = float(self.pdo / np.log(2.0))
        self.offset_ = float(self.base_score - self.factor_ * np.log(self.base_odds))
        self.points_ = [
            -self.factor_ * self.coef_[j] * np.append(w, self.binner_.woe_missing_[j])
            for j, w in enumerate(self.binner_.woe_)
        ]
        return self

    def feature_names_out(self) -> list[str]:
        """The feature names seen in fit (``x0 …`` for arrays without names)."""
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{j}" for j in range(self.n_features_in_)]
        return [str(n) for n in names]

    def _validate(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of ``classes_[1]`` (the bad class)."""
        X = self._validate(X)
        W = self.binner_._woe_values(X)
        return self.intercept_ + W @ self.coef_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Columns: P(``classes_[0]``), P(``classes_[1]``) (the probability of default)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        d = self.decision_function(X)
        return self.classes_[(d > 0).astype(int)]

    def predict_points(self, X: Any) -> np.ndarray:
        """Scorecard points (higher = safer): ``offset − factor · log-odds(bad)``."""
        d = self.decision_function(X)
        return self.offset_ - self.factor_ * d

    def feature_points(self, X: Any) -> np.ndarray:
        """Points per feature (columns in input order); they sum, with
        :attr:`intercept_points_`, to :meth:`predict_points`.
        """
        X = self._validate(X)
        idx = self.binner_._bin_index(X)
        out = np.empty(idx.shape)
        for j, pts in enumerate(self.points_):
            out[:, j] = pts[idx[:, j]]
        return out

    @property
    def intercept_points_(self) -> float:
        check_is_fitted(self)
        return self.offset_ - self.factor_ * self.intercept_

    def points_lost(self, X: Any) -> np.ndarray:
        """Per feature: the best points the feature gives (over its bins seen in fit)
        minus the points this row gets. 0 for unused features.
        """
        pts = self.feature_points(X)
        best = np.array([self._best_points(j) for j in range(len(self.points_))])
        return best[None, :] - pts

    def _best_points(self, j: int) -> float:
        good, bad = self.binner_.counts_[j]
        seen = (good + bad) > 0
        return float(self.points_[j][seen].max()) if seen.any() else 0.0

    def reason_codes(self, X: Any, n: int | None = None) -> list[list[tuple[str, float]]]:
        """Per row, up to ``n`` (default ``n_reasons``) ``(feature, points lost)``
        pairs, the feature costing most points first; features costing nothing are
        left out.
        """
        lost = self.points_lost(X)
        names = self.feature_names_out()
        k = self.n_reasons if n is None else n
        order = np.argsort(-lost, axis=1, kind="stable")[:, :k]
        return [
            [(names[j], float(lost[i, j])) for j in row if lost[i, j] > 1e-9]
            for i, row in enumerate(order)
        ]

    def scorecard_table(self) -> pl.DataFrame:
        """The scorecard: feature, bin, WoE, coefficient and points of every bin."""
        check_is_fitted(self)
        names = self.feature_names_out()
        table = self.binner_.bin_table().with_columns(
            pl.col("feature").replace_strict(
                dict(zip(self.binner_._feature_names(), names, strict=True))
            )
        )
        coef = dict(zip(names, self.coef_, strict=True))
        pts = [p for j in range(len(self.points_)) for p in self.points_[j]]
        return table.with_columns(
            pl.col("feature").replace_strict(coef, return_dtype=pl.Float64).alias("coef"),
            pl.Series("points", pts, pl.Float64),
        )


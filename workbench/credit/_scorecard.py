"""A points scorecard with scikit-learn's estimator API.

:class:`MonotoneBinner` (in :mod:`workbench.credit._binning`) bins each feature:
numeric ones into quantile pre-bins merged until the weight of evidence is strictly
monotone, categorical ones (text, polars Categorical/Enum, pandas category) by bad
rate with rare categories pooled; missing values and special value codes get bins of
their own. Every value is replaced with its bin's weight of evidence

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
methods call ``check_is_fitted`` first. Polars and pandas DataFrames are accepted
(their columns name the features; text and categorical columns are binned by
category), numpy arrays hold numbers, and ``set_output(transform="polars")`` works.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(400, 2)); y = (X[:, 0] + rng.normal(size=400) > 1).astype(int)
>>> card = Scorecard().fit(X, y)
>>> bool(card.binner_.iv_[0] > card.binner_.iv_[1])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from workbench.credit._binning import MonotoneBinner, binary_target
from workbench.credit._binning_input import feature_names, read_fit, read_transform

__all__ = ["MonotoneBinner", "Scorecard"]


class Scorecard(ClassifierMixin, BaseEstimator):
    """Monotone WoE binning + logistic regression, reported as scorecard points.

    Parameters
    ----------
    n_prebins, min_bin_share, smoothing, monotonic, special_values, \
    categorical_features, min_category_share, min_category_count
        Passed to :class:`MonotoneBinner` (see there: per-feature monotonic
        constraint, special value codes, categorical features and when a category
        is rare; an unseen category scores as the "other" bin of rare ones).
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
        Points of each bin of each feature, in the binner's bin numbers (regular
        bins, missing, special codes).

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
        monotonic: str | dict[str, str] = "auto",
        special_values: Sequence[Any] | dict[str, Sequence[Any]] | None = None,
        categorical_features: Sequence[str | int] | None = None,
        min_category_share: float = 0.01,
        min_category_count: int = 30,
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
        self.monotonic = monotonic
        self.special_values = special_values
        self.categorical_features = categorical_features
        self.min_category_share = min_category_share
        self.min_category_count = min_category_count

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any) -> Scorecard:
        """Bin, select and regress; ``y``'s greater label is the bad class."""
        read, y, categorical = read_fit(self, X, y, self.categorical_features)
        self.classes_, y01 = binary_target(self, y)
        self.binner_ = MonotoneBinner(
            n_prebins=self.n_prebins,
            min_bin_share=self.min_bin_share,
            monotonic=self.monotonic,
            smoothing=self.smoothing,
            special_values=self.special_values,
            categorical_features=self.categorical_features,
            min_category_share=self.min_category_share,
            min_category_count=self.min_category_count,
        )
        X = self.binner_._fit_validated(
            read, y01, categorical, getattr(self, "feature_names_in_", None)
        )
        W = self.binner_._woe_values(X)
        del X, read  # the WoE matrix is all the regression needs
        selected = self.binner_.iv_ >= self.min_iv
        coef = np.zeros(W.shape[1])
        intercept = float(np.log((y01.mean()) / (1 - y01.mean())))
        while selected.any():
            lr = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=200).fit(
                W if selected.all() else W[:, selected], y01  # no copy when all are used
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
            -self.factor_ * self.coef_[j] * f.woe for j, f in enumerate(self.binner_._bins)
        ]
        return self

    def feature_names_out(self) -> list[str]:
        """The feature names seen in fit (``x0 …`` for arrays without names)."""
        check_is_fitted(self)
        return feature_names(self)

    def _validate(self, X: Any) -> np.ndarray:
        """``X`` checked against fit and encoded for the binner."""
        check_is_fitted(self)
        return self.binner_._encode(read_transform(self, X, self.binner_.categorical_))

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


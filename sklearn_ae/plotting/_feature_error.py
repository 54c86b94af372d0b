"""FeatureErrorDisplay: the reconstruction error of chosen rows, feature by feature."""

from typing import Any

import numpy as np
from sklearn.base import is_outlier_detector
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from ._utils import _can_reconstruct, _dense, _name, _new_axes, _pyplot, _reconstruct, _rows, _select_indices


def _rows_and_errors(estimator, X, indices, n_rows):
    """The rows to show and their error per feature.

    An outlier detector gives its ``feature_errors`` and by default shows its
    most abnormal rows (lowest ``score_samples``); a transformer gives the
    squared residual ``(X - inverse_transform(transform(X))) ** 2`` and by
    default shows the first rows.
    """
    if is_outlier_detector(estimator):
        if not hasattr(estimator, "feature_errors"):
            raise TypeError(
                f"{_name(estimator)} is an outlier detector without feature_errors: FeatureErrorDisplay needs "
                "AutoencoderOutlierDetector, or a transformer with inverse_transform (PCA, an autoencoder)."
            )
        if indices is None:
            indices = np.argsort(estimator.score_samples(X), kind="stable")[:n_rows]
        indices = _select_indices(X.shape[0], None, indices, None)
        return indices, _dense(estimator.feature_errors(_rows(X, indices)))
    if not _can_reconstruct(estimator):
        raise TypeError(
            f"{_name(estimator)} gives no per-feature reconstruction error: FeatureErrorDisplay needs "
            "AutoencoderOutlierDetector or a transformer with inverse_transform (PCA, an autoencoder)."
        )
    indices = _select_indices(X.shape[0], n_rows, indices, None)
    X_rows = _rows(X, indices)
    return indices, (_dense(X_rows) - _reconstruct(estimator, X_rows)) ** 2


class FeatureErrorDisplay:
    """Which features made a row abnormal: its reconstruction error per feature.

    One group of bars per feature, one bar per row, for the features with
    the largest errors among the rows shown.

    Use :meth:`from_estimator` to compute the errors with a fitted detector or
    transformer, or :meth:`from_errors` for errors you already have. The
    constructor only stores its arguments.

    Parameters
    ----------
    errors : ndarray of shape (n_rows, n_features)
        Error per row and feature.
    row_labels : list of str, default=None
        Legend entry of each row; default "row 0", "row 1", ...
    feature_names : list of str, default=None
        Names of the features; default "x0", "x1", ...
    name : str, default=None
        The estimator's name, for the title.

    Attributes
    ----------
    features_shown : ndarray of int
        Indices of the features drawn, largest error first.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    bars_ : list of BarContainer
        One per row.

    See Also
    --------
    OutlierScoreDisplay : The distribution of a detector's scores.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae.plotting import FeatureErrorDisplay
    >>> X = np.random.RandomState(0).normal(size=(100, 6))
    >>> pca = PCA(2).fit(X)
    >>> X[0, 4] = 20.0  # break one feature of the first row
    >>> disp = FeatureErrorDisplay.from_estimator(pca, X, indices=[0], max_features=3)
    >>> int(disp.features_shown[0])
    4
    """

    def __init__(self, errors, *, row_labels=None, feature_names=None, name=None) -> None:
        self.errors = errors
        self.row_labels = row_labels
        self.feature_names = feature_names
        self.name = name

    def plot(self, ax: Any = None, *, max_features: int = 20) -> "FeatureErrorDisplay":
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=20
            Show the features with the largest error (over the rows shown).

        Returns
        -------
        display : FeatureErrorDisplay
        """
        errors = np.atleast_2d(np.asarray(self.errors, dtype=np.float64))
        n_rows, n_features = errors.shape
        row_labels = [f"row {i}" for i in range(n_rows)] if self.row_labels is None else self.row_labels
        feature_names = [f"x{j}" for j in range(n_features)] if self.feature_names is None else self.feature_names
        order = np.argsort(-errors.max(axis=0), kind="stable")
        self.features_shown = order[: min(max_features, n_features)]
        fig, ax = _new_axes(ax, figsize=(max(6, 0.35 * len(self.features_shown) * max(n_rows, 2) / 2 + 2), 4))
        width = 0.8 / n_rows
        x = np.arange(len(self.features_shown))
        self.bars_ = [
            ax.bar(x + (i - (n_rows - 1) / 2) * width, errors[i, self.features_shown], width, label=label)
            for i, label in enumerate(row_labels)
        ]
        ax.set_xticks(x)
        ax.set_xticklabels([str(feature_names[j]) for j in self.features_shown], rotation=90)
        ax.set_ylabel("reconstruction error")
        shown = "" if len(self.features_shown) == n_features else f" (top {len(self.features_shown)} of {n_features})"
        ax.set_xlabel(f"feature{shown}")
        ax.set_title("error per feature" if self.name is None else f"{self.name}: error per feature")
        ax.legend(fontsize="small")
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_errors(
        cls,
        errors: ArrayLike,
        *,
        row_labels: ArrayLike = None,
        feature_names: ArrayLike = None,
        name: str | None = None,
        ax: Any = None,
        max_features: int = 20,
    ) -> "FeatureErrorDisplay":
        """Draw per-feature errors computed beforehand.

        Parameters
        ----------
        errors : array-like of shape (n_rows, n_features)
            Error per row and feature, for example an
            :class:`~sklearn_ae.AutoencoderOutlierDetector`'s
            ``feature_errors``.
        row_labels : list of str, default=None
            Legend entry of each row; default "row 0", "row 1", ...
        feature_names : list of str, default=None
            Names of the features; default "x0", "x1", ...
        name : str, default=None
            The estimator's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=20
            Show the features with the largest errors.

        Returns
        -------
        display : FeatureErrorDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn_ae.plotting import FeatureErrorDisplay
        >>> errors = [[0.1, 3.0, 0.2], [0.3, 0.1, 0.2]]
        >>> disp = FeatureErrorDisplay.from_errors(errors, feature_names=["a", "b", "c"], max_features=2)
        >>> [t.get_text() for t in disp.ax_.get_xticklabels()]
        ['b', 'a']
        """
        _pyplot()
        errors = np.atleast_2d(_dense(errors))
        if errors.ndim != 2:
            raise ValueError(f"errors must be 2-D (n_rows, n_features), got shape {errors.shape}.")
        n_rows, n_features = errors.shape
        if row_labels is not None and len(row_labels) != n_rows:
            raise ValueError(f"Got {len(row_labels)} row labels for {n_rows} rows.")
        if feature_names is not None and len(feature_names) != n_features:
            raise ValueError(f"Got {len(feature_names)} feature names for {n_features} features.")
        display = cls(
            errors,
            row_labels=None if row_labels is None else [str(r) for r in row_labels],
            feature_names=None if feature_names is None else [str(f) for f in feature_names],
            name=name,
        )
        return display.plot(ax=ax, max_features=max_features)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        *,
        indices: ArrayLike = None,
        n_rows: int = 3,
        feature_names: ArrayLike = None,
        ax: Any = None,
        max_features: int = 20,
    ) -> "FeatureErrorDisplay":
        """Compute the per-feature errors of chosen rows and draw them.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~sklearn_ae.AutoencoderOutlierDetector`, whose
            ``feature_errors`` are drawn, or a transformer with
            ``inverse_transform`` (PCA, an autoencoder), for which the error
            is the squared reconstruction residual. Other outlier detectors
            (IsolationForest, ...) give no per-feature error.
        X : array-like of shape (n_samples, n_features)
            Data.
        indices : array-like of int, default=None
            Rows to show. Default: for a detector the ``n_rows`` rows with
            the lowest ``score_samples`` (the most abnormal), for a
            transformer the first ``n_rows`` rows.
        n_rows : int, default=3
            Number of rows when ``indices`` is None.
        feature_names : list of str, default=None
            Default the estimator's ``feature_names_in_``, else x0, x1, ...
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=20
            Show the features with the largest errors.

        Returns
        -------
        display : FeatureErrorDisplay
        """
        _pyplot()
        check_is_fitted(estimator)
        indices, errors = _rows_and_errors(estimator, X, indices, n_rows)
        if feature_names is None:
            feature_names = getattr(estimator, "feature_names_in_", None)
        return cls.from_errors(
            errors,
            row_labels=[f"row {i}" for i in indices],
            feature_names=feature_names,
            name=_name(estimator),
            ax=ax,
            max_features=max_features,
        )

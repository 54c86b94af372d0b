"""OutlierScoreDisplay: the distribution of an outlier detector's scores."""

from typing import Any

import numpy as np
from sklearn.base import is_outlier_detector
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from ._utils import _name, _new_axes, _pyplot


def _outlier_mask(y, outlier_label):
    """True where labels ``y`` mark an outlier; ``outlier_label`` None guesses the convention."""
    y = np.asarray(y)
    if outlier_label is None:
        values = set(np.unique(y).tolist())
        if y.dtype.kind == "b":
            outlier_label = True
        elif values <= {-1, 1}:
            outlier_label = -1
        elif values <= {0, 1}:
            outlier_label = 1
        else:
            raise ValueError(
                f"Cannot tell which labels of y mark outliers (values {sorted(values)[:5]}); pass outlier_label."
            )
    return y == outlier_label


def _check_outlier_detector(estimator, display):
    """Raise a TypeError unless ``estimator`` is an outlier detector (scikit-learn's ``is_outlier_detector``)."""
    if not is_outlier_detector(estimator):
        raise TypeError(
            f"{display} needs an outlier detector (AutoencoderOutlierDetector, IsolationForest, "
            f"LocalOutlierFactor(novelty=True), ...), got {_name(estimator)}, which is not one."
        )


class OutlierScoreDisplay:
    """The distribution of an outlier detector's scores, with its threshold.

    The scores are ``score_samples`` (higher is more normal); the threshold
    is ``offset_``, below which ``predict`` flags a row as an outlier. With
    true labels the inliers' and outliers' scores are drawn separately.

    Use :meth:`from_estimator` to score rows with a fitted detector, or
    :meth:`from_scores` for scores you already have. The constructor only
    stores its arguments.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        ``score_samples`` of the rows.
    threshold : float
        The detector's ``offset_``.
    is_outlier : ndarray of bool of shape (n_samples,), default=None
        True labels, True for outliers.
    name : str, default=None
        The detector's name, for the title.

    Attributes
    ----------
    n_flagged : int
        Number of rows scoring below the threshold.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    threshold_line_ : Line2D
        The vertical line at ``threshold``.
    hist_ : dict of str to BarContainer
        The histograms ("all", or "inliers" and "outliers").

    See Also
    --------
    FeatureErrorDisplay : Which features make a row abnormal.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn_ae.plotting import OutlierScoreDisplay
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> forest = IsolationForest(contamination=0.05, random_state=0).fit(X)
    >>> disp = OutlierScoreDisplay.from_estimator(forest, X)
    >>> bool(disp.threshold_line_.get_xdata()[0] == forest.offset_)
    True
    """

    def __init__(self, scores, threshold, *, is_outlier=None, name=None) -> None:
        self.scores = scores
        self.threshold = threshold
        self.is_outlier = is_outlier
        self.name = name

    @property
    def n_flagged(self):
        """Number of rows scoring below the threshold."""
        return int(np.sum(np.asarray(self.scores) < self.threshold))

    def plot(self, ax: Any = None, *, bins: int = 50, density: bool = False) -> "OutlierScoreDisplay":
        """Draw the histogram and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        bins : int, default=50
            Number of bins, shared by the histograms.
        density : bool, default=False
            Normalise each histogram to unit area (compares inliers with the
            rarer outliers).

        Returns
        -------
        display : OutlierScoreDisplay
        """
        fig, ax = _new_axes(ax, figsize=(6, 4))
        scores = np.asarray(self.scores, dtype=np.float64)
        edges = np.histogram_bin_edges(np.append(scores, self.threshold), bins=bins)
        self.hist_ = {}
        if self.is_outlier is None:
            self.hist_["all"] = ax.hist(scores, bins=edges, color="C0", alpha=0.8, density=density, label="rows")[2]
        else:
            is_outlier = np.asarray(self.is_outlier, dtype=bool)
            for key, mask, color in (("inliers", ~is_outlier, "C0"), ("outliers", is_outlier, "C3")):
                self.hist_[key] = ax.hist(
                    scores[mask],
                    bins=edges,
                    color=color,
                    alpha=0.6,
                    density=density,
                    label=f"true {key} ({mask.sum()})",
                )[2]
        n_flagged = self.n_flagged
        share = n_flagged / max(len(scores), 1)
        self.threshold_line_ = ax.axvline(
            self.threshold,
            color="black",
            ls="--",
            lw=1.5,
            label=f"threshold offset_ = {self.threshold:.3g}\n{n_flagged} flagged ({share:.1%})",
        )
        ax.set_xlabel("score_samples (lower is more abnormal)")
        ax.set_ylabel("density" if density else "rows")
        ax.set_title("outlier scores" if self.name is None else f"{self.name} scores")
        ax.legend(fontsize="small")
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_scores(
        cls,
        scores: ArrayLike,
        threshold: ArrayLike,
        *,
        y: ArrayLike = None,
        outlier_label: Any = None,
        name: str | None = None,
        ax: Any = None,
        bins: int = 50,
        density: bool = False,
    ) -> "OutlierScoreDisplay":
        """Draw the distribution of scores computed beforehand.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
            Scores of the rows, higher is more normal (a detector's
            ``score_samples``).
        threshold : float
            Rows scoring below it are flagged (a detector's ``offset_``).
        y : array-like of shape (n_samples,), default=None
            True labels, to draw inliers and outliers apart.
        outlier_label : int, bool or str, default=None
            The value of ``y`` that marks outliers. Default: -1 when y holds
            -1 and 1 (scikit-learn's convention), 1 when it holds 0 and 1
            (the ODDS benchmarks' convention), True for booleans.
        name : str, default=None
            The detector's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        bins : int, default=50
            Number of bins.
        density : bool, default=False
            Normalise each histogram to unit area.

        Returns
        -------
        display : OutlierScoreDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn_ae.plotting import OutlierScoreDisplay
        >>> disp = OutlierScoreDisplay.from_scores([-3.0, -0.5, -0.4, -0.2], threshold=-1.0, y=[1, 0, 0, 0])
        >>> disp.n_flagged
        1
        """
        _pyplot()
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 1:
            raise ValueError(f"scores must be 1-D, got shape {scores.shape}.")
        threshold = np.asarray(threshold, dtype=np.float64)
        if threshold.ndim != 0:
            raise ValueError(f"threshold must be a single number, got an array of shape {threshold.shape}.")
        is_outlier = None
        if y is not None:
            if len(y) != len(scores):
                raise ValueError(f"y has {len(y)} labels for {len(scores)} scores.")
            is_outlier = _outlier_mask(y, outlier_label)
        display = cls(scores, float(threshold), is_outlier=is_outlier, name=name)
        return display.plot(ax=ax, bins=bins, density=density)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        y: ArrayLike = None,
        *,
        outlier_label: Any = None,
        ax: Any = None,
        bins: int = 50,
        density: bool = False,
    ) -> "OutlierScoreDisplay":
        """Score ``X`` with a fitted detector and draw the distribution.

        Parameters
        ----------
        estimator : estimator
            A fitted outlier detector with ``score_samples`` and ``offset_``
            (:class:`~sklearn_ae.AutoencoderOutlierDetector`,
            IsolationForest, LocalOutlierFactor with ``novelty=True``).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,), default=None
            True labels, to draw inliers and outliers apart.
        outlier_label : int, bool or str, default=None
            The value of ``y`` that marks outliers; see :meth:`from_scores`.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        bins : int, default=50
            Number of bins.
        density : bool, default=False
            Normalise each histogram to unit area.

        Returns
        -------
        display : OutlierScoreDisplay
        """
        _pyplot()
        _check_outlier_detector(estimator, cls.__name__)
        check_is_fitted(estimator)
        if not hasattr(estimator, "score_samples"):  # LocalOutlierFactor(novelty=False)
            raise TypeError(f"{_name(estimator)} has no score_samples for new rows; {cls.__name__} needs it.")
        return cls.from_scores(
            estimator.score_samples(X),
            estimator.offset_,
            y=y,
            outlier_label=outlier_label,
            name=_name(estimator),
            ax=ax,
            bins=bins,
            density=density,
        )

"""AutoencoderOutlierDetector: anomaly detection by reconstruction, with scikit-learn's outlier API."""

import warnings
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import keep_state_on_failure
from ._data import fit_scaling, iter_row_batches, sparse_batch_rows
from ._detector_score import (
    NUMPY,
    MemberStats,
    code_distance,
    codes_can_copy,
    decision,
    detector_score,
    feature_errors,
    member_score,
    member_stats,
    residuals,
)
from ._fitted_checks import (
    POSITIVE,
    FittedSchema,
    array,
    at_least,
    check_fitted,
    code_width,
    feature_names,
    finite_float,
    integer,
    members,
    n_members,
    one_of,
    template,
)
from ._likelihood import fit_gaussian
from ._network import INFERENCE_BATCH_SIZE
from ._seeding import seed_from
from ._sklearn_private import HasMethods, Interval, StrOptions, _fit_context, refuse_bool_integers
from ._transformer import AutoencoderTransformer
from ._typing import ArrayLike, NDArray

# Floors of the per-feature residual scale, relative to the mean scale and absolute
# (in units of the feature's training standard deviation).
_RELATIVE_FLOOR = 1e-2
_ABSOLUTE_FLOOR = 1e-6
# Robust z-score of the "auto" threshold, and 1 / Phi^-1(3/4), which turns a MAD into a standard deviation.
_AUTO_Z = 2.0
_MAD_TO_STD = 1.4826
# Training scores closer than this (relative) count as one value for the "auto" threshold:
# identical rows give identical scores up to rounding.
_TIE_TOLERANCE = 1e-12
# The start of the warning a member's fit gives when Ctrl-C stopped its training.
_INTERRUPTED = "Training was interrupted"


def _default_estimator(n_features: int) -> AutoencoderTransformer:
    """The autoencoder used when ``estimator=None``, measured on the ODDS sets (see ``benchmarks``).

    Every setting the measurements relied on is explicit, so that a change of
    :class:`AutoencoderTransformer`'s defaults does not change the detector.
    """
    return AutoencoderTransformer(
        n_components=min(2, n_features),
        hidden_layer_sizes=(32,),
        activation="relu",
        loss="mse",
        scaling="standard",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=128,
        max_epochs=30,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        noise=None,
    )


def _positive_median(values: ArrayLike) -> float:
    """The median of non-negative ``values``, or 1 where it is 0 (a perfect fit)."""
    median = float(np.median(values))
    return median if median > 0 else 1.0


def _robust_spread(values: NDArray, median: float) -> float:
    """``1.4826 * MAD`` of ``values`` about ``median``; ``median`` where the MAD is 0 (most rows alike)."""
    spread = _MAD_TO_STD * float(np.median(np.abs(values - median)))
    return spread if spread > 0 else median


def _distinct(values: ArrayLike) -> NDArray:
    """The sorted distinct ``values``: values equal up to a relative ``_TIE_TOLERANCE`` count once."""
    values = np.sort(values)
    gaps = np.diff(values) > _TIE_TOLERANCE * np.maximum(1.0, np.abs(values[1:]))
    return values[np.r_[True, gaps]]


def _fit_member(member: Any, X: Any) -> bool:
    """Fit ``member`` on ``X``; return True when Ctrl-C interrupted its training.

    The autoencoders catch Ctrl-C themselves and return with a warning: it
    is recorded here (whatever the warning filters) and emitted again.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", message=_INTERRUPTED, category=UserWarning)
        member.fit(X)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return any(issubclass(w.category, UserWarning) and str(w.message).startswith(_INTERRUPTED) for w in caught)


_Self = TypeVar("_Self", bound="AutoencoderOutlierDetector")


class AutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Unsupervised outlier detection by reconstruction.

    One or more copies of ``estimator``, an autoencoder by default, are
    trained on ``X``, which may itself contain outliers. A row is scored by
    how badly it is reconstructed, feature by feature, relative to the
    typical training error of that feature, and (by default) by how far its
    code lies from the training codes.

    Parameters
    ----------
    estimator : object, default=None
        The model to copy and train: any scikit-learn transformer with
        ``transform`` (rows to codes) and ``inverse_transform`` (codes to
        reconstructed rows), such as :class:`AutoencoderTransformer`,
        :class:`VAETransformer` or :class:`sklearn.decomposition.PCA` (the
        classic PCA-reconstruction detector). ``measure="likelihood"`` also
        needs its ``score_samples``. Its parameters are searchable as
        ``estimator__<name>`` (e.g. with ``GridSearchCV``). None is a small
        autoencoder, ``AutoencoderTransformer(n_components=min(2, n_features),
        hidden_layer_sizes=(32,), scaling="standard", max_epochs=30,
        batch_size=128)``, whose settings were chosen on the ODDS outlier
        sets (see :ref:`outliers`).

    contamination : "auto" or float, default="auto"
        Sets the threshold ``offset_`` on the training scores. A float in
        (0, 0.5] is the expected fraction of outliers: ``offset_`` is that
        percentile of the training scores, so that fraction of the training
        rows is flagged. ``"auto"`` flags the rows whose score is an outlier
        among the training scores: ``offset_ = m - 2 s``, with ``m`` the
        median of the distinct training scores and ``s = 1.4826 * MAD`` their
        robust standard deviation (a robust z-score of 2). Each distinct
        score counts once, so that a row repeated many times cannot make the
        spread 0: with more than half the rows identical, the MAD of all the
        scores would be 0 and every other row would be flagged. The fraction
        it flags depends on the data: about 2 % of normally distributed
        scores, more when the scores have a long tail of outliers.
        scikit-learn's fixed "auto" offsets (IsolationForest's -0.5,
        LocalOutlierFactor's -1.5) have no counterpart for a reconstruction
        error, whose scale depends on the data.

    measure : {"distance", "reconstruction", "likelihood"}, default="distance"
        What :meth:`score_samples` measures (higher means more normal).

        - ``"reconstruction"``: minus the mean over features of the
          normalised reconstruction error ``|x_j - x̂_j| / (σ_j s_j)`` (see
          :meth:`feature_errors`), where ``σ_j`` is the training standard
          deviation of feature ``j`` (``feature_scales_``) and ``s_j`` the
          mean of ``|x_j - x̂_j| / σ_j`` over the training rows: a feature
          that is hard to reconstruct for every row counts less than one
          that is usually reconstructed well.
        - ``"distance"`` (default): the larger of two robust z-scores,
          each taken with respect to its values on the training rows,
          ``(v - median) / (1.4826 * MAD)`` (the median where the MAD is 0):
          one of the mean normalised reconstruction error above, which
          measures how far the row lies *off* the manifold the model
          learned, the other of the mean absolute whitened code, which
          measures how far *along* it the row lies from the bulk of the
          training data (the code ``z = transform(x)``, centred on the mean
          training code and rotated and scaled so that the training codes
          have identity covariance). An outlier is caught by either. It is
          the default because it ranked best on held-out outlier data sets
          (see :ref:`outliers`). When the codes are at least as wide as
          the rows the model can copy its input and only the code distance
          counts.
        - ``"likelihood"``: the estimator's own ``score_samples``, e.g. the
          log-likelihood of :class:`AutoencoderTransformer` (a nonlinear
          probabilistic PCA), the bound on it of :class:`VAETransformer`,
          or PCA's.

        With ``n_estimators > 1`` the scores of the copies are averaged.

    n_estimators : int, default=1
        Number of copies of ``estimator``, trained with different seeds,
        whose scores are averaged.

    random_state : int, RandomState instance or None, default=None
        Draws the ``random_state`` of each copy (when ``estimator`` has that
        parameter). With an int, two fits give bit-identical scores on CPU.
        The global random states of numpy and torch are never drawn from nor
        changed.

    Attributes
    ----------
    estimator_ : object
        The unfitted template the copies were made from: ``estimator``, or
        the default autoencoder for ``n_features_in_``.

    estimators_ : list of fitted estimators
        The fitted copies. Fewer than ``n_estimators`` when Ctrl-C stopped
        the fit (see :meth:`fit`).

    measure_ : str
        The ``measure`` used at fit, the one :meth:`score_samples` uses:
        changing ``measure`` takes a new fit, as ``offset_`` depends on it.

    offset_ : float
        The threshold: ``decision_function = score_samples - offset_``, and
        rows with a negative decision are outliers.

    feature_scales_ : ndarray of shape (n_features_in_,)
        Training standard deviation ``σ_j`` of each feature, 1 for a feature
        constant in training (so that a test value off that constant stays
        finite). The residuals are measured in these units.

    residual_scales_ : ndarray of shape (len(estimators_), n_features_in_)
        Per copy and feature, the mean absolute training residual ``s_j`` in
        units of ``σ_j``, floored at 1 % of the mean over features.

    code_means_ : ndarray of shape (len(estimators_), n_codes)
        Mean training code of each copy.

    code_whiteners_ : ndarray of shape (len(estimators_), n_codes, n_codes)
        Matrices that whiten the centred codes of each copy.

    error_medians_, distance_medians_ : ndarray of shape (len(estimators_),)
        Per copy, the median over the training rows of the mean normalised
        reconstruction error and of the code distance, which
        ``measure="distance"`` subtracts.

    error_spreads_, distance_spreads_ : ndarray of shape (len(estimators_),)
        Per copy, ``1.4826`` times the median absolute deviation of those
        training values from their median (the median itself where it is
        0), which ``measure="distance"`` divides by.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolation of rows by random splits.
    sklearn.neighbors.LocalOutlierFactor : Local density of neighbours.
    AutoencoderTransformer : The default estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> X[:, 3] = X[:, 0] + X[:, 1]  # a structure the autoencoder learns
    >>> ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(32,), scaling="standard", max_epochs=5)
    >>> det = AutoencoderOutlierDetector(ae, random_state=0).fit(X)
    >>> odd = [[0.0, 0.0, 0.0, 4.0, 0.0]]  # breaks the structure
    >>> det.predict(odd)
    array([-1])
    >>> det.feature_errors(odd).argmax()  # the feature it cannot explain
    np.int64(3)

    PCA gives the classic detector by linear reconstruction:

    >>> from sklearn.decomposition import PCA
    >>> pca_det = AutoencoderOutlierDetector(PCA(n_components=2), measure="reconstruction").fit(X)
    >>> pca_det.predict(odd)
    array([-1])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "transform", "inverse_transform"]), None],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "measure": [StrOptions({"distance", "reconstruction", "likelihood"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    # what fit sets, in the order checked when a saved or pickled detector is loaded (see _fitted_checks.py)
    _fitted_attributes = FittedSchema(
        fitted={
            "n_features_in_": integer(1),
            "measure_": one_of("distance", "reconstruction", "likelihood"),
            "estimator_": template,
            "estimators_": members,
            "feature_scales_": array("n_features_in_", values=POSITIVE),
            "residual_scales_": array(n_members, "n_features_in_", values=at_least(_ABSOLUTE_FLOOR)),
            "code_means_": array(n_members, code_width),
            "code_whiteners_": array(n_members, code_width, code_width),
            "error_medians_": array(n_members, values=POSITIVE),
            "distance_medians_": array(n_members, values=POSITIVE),
            "error_spreads_": array(n_members, values=POSITIVE),
            "distance_spreads_": array(n_members, values=POSITIVE),
            "offset_": finite_float(),
        },
        optional={"feature_names_in_": feature_names},
    )

    def __init__(
        self, estimator=None, *, contamination="auto", measure="distance", n_estimators=1, random_state=None
    ) -> None:
        self.estimator = estimator
        self.contamination = contamination
        self.measure = measure
        self.n_estimators = n_estimators
        self.random_state = random_state

    # ---------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=False)  # the copies validate their own parameters
    def fit(self: _Self, X: ArrayLike, y: object = None) -> _Self:
        """Train the copies of ``estimator`` on ``X`` and set the threshold ``offset_``.

        Ctrl-C during the training of an autoencoder stops the whole fit,
        not just that copy's: the copies fitted so far, the interrupted one
        included (it keeps its best weights so far), make a usable detector,
        and a warning says how many there are.

        There is no ``partial_fit``: the threshold is a quantile of the
        final model's scores of the training rows, which a stream cannot
        keep (scores of earlier chunks come from earlier networks; honest
        ones need every row again after the last epoch). See
        :ref:`scaling`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; it may contain outliers. Sparse input is
            densified one batch of rows at a time.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        refuse_bool_integers(self)
        return keep_state_on_failure(self, self._fit, X)

    def _fit(self, X: Any) -> "AutoencoderOutlierDetector":
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        template = _default_estimator(X.shape[1]) if self.estimator is None else self.estimator
        if self.measure == "likelihood" and not hasattr(template, "score_samples"):
            raise ValueError(f"measure='likelihood' needs an estimator with score_samples; {template!r} has none.")
        self.estimator_ = template
        self.measure_ = self.measure
        self.feature_scales_ = fit_scaling(X, "standard")[1]

        seeds = np.random.SeedSequence(seed_from(self.random_state)).generate_state(self.n_estimators)
        seeded = "random_state" in self.estimator_.get_params(deep=False)
        self.estimators_ = []
        for i, seed in enumerate(seeds):
            member = clone(self.estimator_)
            if seeded:
                member.set_params(random_state=int(seed) >> 1)
            self.estimators_.append(member)
            if _fit_member(member, X) and i + 1 < self.n_estimators:
                warnings.warn(
                    f"Training was interrupted in copy {i + 1} of {self.n_estimators}: the detector uses the "
                    f"{i + 1} copies fitted so far (estimators_) and is usable; fit again for all of them.",
                    UserWarning,
                    stacklevel=2,
                )
                break

        stats = []
        for member in self.estimators_:
            # two passes over the rows, a batch at a time: the codes and the residual scale, then the errors
            codes, residual_sum = [], 0.0
            for Z, R in self._codes_and_residuals(member, X):
                codes.append(Z)
                residual_sum = residual_sum + np.abs(R).sum(axis=0)
            Z = np.concatenate(codes)
            s = residual_sum / X.shape[0]
            s = np.maximum(s, max(_RELATIVE_FLOOR * s.mean(), _ABSOLUTE_FLOOR))
            mean, cov = fit_gaussian(Z)
            eigval, eigvec = np.linalg.eigh(cov)
            W = eigvec / np.sqrt(np.maximum(eigval, _ABSOLUTE_FLOOR**2 * max(eigval.max(), 1.0)))
            errors = np.concatenate(
                [NUMPY.row_mean(feature_errors(NUMPY, R, s)) for _, R in self._codes_and_residuals(member, X)]
            )
            distances = code_distance(NUMPY, Z, mean, W)
            error_median, distance_median = _positive_median(errors), _positive_median(distances)
            stats.append(
                MemberStats(
                    residual_scale=s,
                    code_mean=mean,
                    whitener=W,
                    error_median=error_median,
                    error_spread=_robust_spread(errors, error_median),
                    distance_median=distance_median,
                    distance_spread=_robust_spread(distances, distance_median),
                )
            )
        # the public arrays, in this order (a saved file holds vars(self)); member_stats reads them back
        self.residual_scales_ = np.array([m.residual_scale for m in stats])
        self.code_means_ = np.array([m.code_mean for m in stats])
        self.code_whiteners_ = np.array([m.whitener for m in stats])
        self.error_medians_ = np.array([m.error_median for m in stats])
        self.distance_medians_ = np.array([m.distance_median for m in stats])
        self.error_spreads_ = np.array([m.error_spread for m in stats])
        self.distance_spreads_ = np.array([m.distance_spread for m in stats])

        scores = self._score(X)
        if self.contamination == "auto":
            self.offset_ = self._auto_offset(scores)
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        return self

    @staticmethod
    def _auto_offset(scores: NDArray) -> float:
        """The "auto" threshold: a robust z-score of 2 of the distinct training scores (see ``contamination``)."""
        distinct = _distinct(scores)
        median = np.median(distinct)
        spread = _MAD_TO_STD * np.median(np.abs(distinct - median))
        return float(median - _AUTO_Z * spread)

    # -------------------------------------------------------------- inference
    def _codes_and_residuals(self, member: Any, X: Any) -> Iterator[tuple[NDArray, NDArray]]:
        """Per batch of rows of validated ``X``: the codes and the residuals ``(x - x_hat) / feature_scales_``.

        Rows go through ``member.transform`` and ``member.inverse_transform``
        one batch at a time, so that memory is bounded by a batch and sparse
        input is never densified whole. Float64.
        """
        for batch in iter_row_batches(X, sparse_batch_rows(X, INFERENCE_BATCH_SIZE)):
            batch = (batch.toarray() if sp.issparse(batch) else batch).astype(np.float64, copy=False)
            Z = np.asarray(member.transform(batch), dtype=np.float64)
            recon = np.asarray(member.inverse_transform(Z), dtype=np.float64)
            yield Z, residuals(NUMPY, batch, recon, self.feature_scales_)

    def _member_batches(self, X: Any) -> Iterator[list[tuple[NDArray, NDArray, MemberStats]]]:
        """Per batch of rows: per copy, its codes, its residuals and its :class:`MemberStats`."""
        members = list(zip(self.estimators_, member_stats(self), strict=True))
        for batch in iter_row_batches(X, sparse_batch_rows(X, INFERENCE_BATCH_SIZE)):
            outputs = []
            for member, stats in members:
                ((Z, R),) = self._codes_and_residuals(member, batch)
                outputs.append((Z, R, stats))
            yield outputs

    def _score(self, X: Any) -> NDArray:
        """``score_samples`` of validated ``X``; memory bounded by a batch of rows."""
        if self.measure_ == "likelihood":  # the copies score batch by batch themselves
            return np.mean([member.score_samples(X) for member in self.estimators_], axis=0).astype(np.float64)
        copies = codes_can_copy(self)  # with codes as wide as the rows the model can copy them: only the code counts
        scores = []
        for batch in self._member_batches(X):
            members = [member_score(NUMPY, R, Z, stats, self.measure_, copies) for Z, R, stats in batch]
            scores.append(detector_score(NUMPY, members))
        return np.concatenate(scores)

    def _check_input(self, X: ArrayLike) -> Any:
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)

    def score_samples(self, X: ArrayLike) -> NDArray:
        """Normality of each row: higher is more normal (see the ``measure`` parameter).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Score of each row, float64. For ``measure="reconstruction"`` it
            is minus a mean normalised error (0 is a perfect reconstruction,
            about -1 a typical training row); for ``"distance"`` minus the
            larger of two robust z-scores (about -0.5 for a typical training
            row, below -2 for a row far off on either); for ``"likelihood"``
            the estimator's ``score_samples`` (for the autoencoders, a
            log-likelihood in nats).
        """
        return self._score(self._check_input(X))

    def decision_function(self, X: ArrayLike) -> NDArray:
        """``score_samples(X) - offset_``: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Decision of each row, float64.
        """
        return decision(NUMPY, self.score_samples(X), self.offset_)

    def predict(self, X: ArrayLike) -> NDArray:
        """Label each row: +1 for an inlier, -1 for an outlier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 or -1, integers.
        """
        decision = self.decision_function(X)
        labels = np.ones(decision.shape[0], dtype=int)
        labels[decision < 0] = -1
        return labels

    def feature_errors(self, X: ArrayLike) -> NDArray:
        """Reconstruction error of each row per feature: which features make a row abnormal.

        The error of feature ``j`` is ``|x_j - x̂_j| / (σ_j s_j)``, with
        ``σ_j`` the feature's training standard deviation
        (``feature_scales_``) and ``s_j`` its typical absolute training
        residual in those units (``residual_scales_``), averaged over the
        copies: about 1 for a typical training value, large for a feature
        the model cannot explain from the others. The mean over features is
        minus ``score_samples`` for ``measure="reconstruction"``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features_in_)
            Normalised reconstruction error per row and feature, float64.
        """
        X = self._check_input(X)
        errors = []
        for batch in self._member_batches(X):
            errors.append(NUMPY.average([feature_errors(NUMPY, R, stats.residual_scale) for _, R, stats in batch]))
        return np.concatenate(errors)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling (pickle, ``copy.deepcopy``, skops): the fitted attributes are checked against the schema."""
        super().__setstate__(state)
        check_fitted(self, type(self).__name__, strict=False)  # attributes a user set are kept: pickle keeps them

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True if self.estimator is None else get_tags(self.estimator).input_tags.sparse
        return tags

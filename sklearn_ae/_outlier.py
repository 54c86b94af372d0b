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

from . import _neighbors
from ._base import keep_state_on_failure
from ._data import fit_scaling, iter_row_batches, sparse_batch_rows
from ._detector_score import (
    NUMPY,
    MemberStats,
    code_distance,
    codes_can_copy,
    combined_score,
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
    none_when,
    one_of,
    optional,
    strings,
    template,
)
from ._likelihood import fit_gaussian
from ._neighbors import Reference, kth_distance, reference_sample, searcher, training_kth_distance
from ._network import INFERENCE_BATCH_SIZE
from ._seeding import seed_from
from ._selection import KINDS, Evidence, choose, separation, synthetic_anomalies
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
# The measures scored by the distance to the k-th nearest training row: in the standardised input space, and in
# each member's whitened code space (see _neighbors.py).
_NEIGHBOR_MEASURES = ("neighbors", "code_neighbors")
# The measures that search the standardised training rows (neighbor_reference_).
_INPUT_NEIGHBOR_MEASURES = ("neighbors", "combined")
# The most float64 values a neighbour reference holds (16 MB): wide rows get fewer reference rows; and the most
# distances computed at once (16 MB): rows are searched in batches of _MAX_REFERENCE_VALUES // n_reference.
_MAX_REFERENCE_VALUES = 2**21
# measure="auto" (see _selection.py): the candidates, "<member>/<measure>" ("network": the estimator; "pca": it at
# max_epochs=0, its PCA start; "input": no member), the fixed rule kept unless another candidate's mean synthetic
# ROC-AUC is higher by the margin, and the rows it uses: at least _MIN_SELECTION_ROWS, a quarter held back (at
# most _MAX_SELECTION_HELD), the candidates fitted on at most _MAX_SELECTION_FIT of the others.
_AUTO_CANDIDATES = ("network/combined", "network/distance", "pca/distance", "input/neighbors")
_AUTO_DEFAULT = "network/combined"
_SELECTION_MARGIN = 0.05
_MIN_SELECTION_ROWS = 40
_MAX_SELECTION_HELD = 2_000
_MAX_SELECTION_FIT = 10_000


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


def _pca_member(template: Any, fitted: Any) -> Any:
    """``template`` at ``max_epochs=0`` where ``fitted`` (a fitted copy) started from PCA, else None."""
    network = getattr(fitted, "network_", None)
    if network is None or getattr(network.spec, "init", None) != "pca":
        return None
    return clone(template).set_params(max_epochs=0)


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

    measure : {"combined", "distance", "reconstruction", "likelihood", "neighbors", "code_neighbors", "auto"}, \
            default="combined"
        What :meth:`score_samples` measures (higher means more normal).

        - ``"combined"`` (default): the mean of the ``"distance"`` score and
          minus the robust z-score of the ``"neighbors"`` distance (both
          described below): a row far off the model's manifold, far along
          it, or in a sparse region of the training rows scores low. It is
          the default because, of the scores and combinations measured, it
          ranked best left-one-data-set-out on the ten ODDS sets and the
          fifteen MVTec-AD embedding sets (in every fold; see
          :ref:`outliers`).

        - ``"reconstruction"``: minus the mean over features of the
          normalised reconstruction error ``|x_j - x̂_j| / (σ_j s_j)`` (see
          :meth:`feature_errors`), where ``σ_j`` is the training standard
          deviation of feature ``j`` (``feature_scales_``) and ``s_j`` the
          mean of ``|x_j - x̂_j| / σ_j`` over the training rows: a feature
          that is hard to reconstruct for every row counts less than one
          that is usually reconstructed well.
        - ``"distance"``: the larger of two robust z-scores,
          each taken with respect to its values on the training rows,
          ``(v - median) / (1.4826 * MAD)`` (the median where the MAD is 0):
          one of the mean normalised reconstruction error above, which
          measures how far the row lies *off* the manifold the model
          learned, the other of the mean absolute whitened code, which
          measures how far *along* it the row lies from the bulk of the
          training data (the code ``z = transform(x)``, centred on the mean
          training code and rotated and scaled so that the training codes
          have identity covariance). An outlier is caught by either. When
          the codes are at least as wide as the rows the model can copy its
          input and only the code distance counts.
        - ``"likelihood"``: the estimator's own ``score_samples``, e.g. the
          log-likelihood of :class:`AutoencoderTransformer` (a nonlinear
          probabilistic PCA), the bound on it of :class:`VAETransformer`,
          or PCA's.
        - ``"neighbors"``: minus the distance to the ``n_neighbors``-th
          nearest training row, features standardised (divided by
          ``feature_scales_``), as PyOD's ``KNN()``: outliers in low-density
          regions that the model reconstructs well. The copies are still
          fitted (:meth:`feature_errors` uses them) but do not score.
        - ``"code_neighbors"``: the same in each copy's whitened code space
          (codes centred and whitened as for ``"distance"``).
        - ``"auto"``: chosen in :meth:`fit`, per data set, among
          ``"combined"``, ``"distance"`` with the estimator at its PCA start
          (``max_epochs=0``, where it starts from PCA), ``"distance"`` and
          ``"neighbors"``: a quarter of the rows (at most 2,000) is held
          back, the candidates are fitted on the others and score the
          held-back rows against synthetic anomalies of four kinds (local,
          global, dependency, clustered; see :ref:`outliers`). The candidate
          whose mean ROC-AUC beats ``"combined"``'s by at least 0.05 is
          chosen, else ``"combined"`` is kept: measured on the benchmark
          sets, choosing by this evidence did worse than the fixed rule on
          tabular data, so only clear evidence moves it. ``measure_``,
          ``estimator_``, ``measure_choice_`` and ``measure_evidence_`` show
          the choice and why. Sparse input, or fewer than 40 rows, keep
          ``"combined"`` without evidence. The fit costs about two more
          fits of the estimator (on three quarters of the rows).

        For ``"neighbors"``, ``"code_neighbors"`` and ``"combined"`` the
        training rows searched are those of fit, or a random sample of them
        (``neighbor_reference_``) where there are more than 10,000 (fewer
        for rows of more than 209 features: a reference holds at most 2**21
        values, 16 MB), and rows are searched in batches of at most 2**21
        distances, so that memory and the time per scored row stay bounded.

        With ``n_estimators > 1`` the scores of the copies are averaged.

    n_neighbors : int, default=5
        The neighbour measures score a row by its distance to its
        ``n_neighbors``-th nearest training row (PyOD's ``KNN()`` default).

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
        ``measure="distance"`` (and ``"combined"``) subtracts.

    error_spreads_, distance_spreads_ : ndarray of shape (len(estimators_),)
        Per copy, ``1.4826`` times the median absolute deviation of those
        training values from their median (the median itself where it is
        0), which ``measure="distance"`` (and ``"combined"``) divides by.

    neighbor_reference_ : ndarray of shape (n_reference, n_features_in_) or None
        For ``measure="neighbors"`` and ``"combined"``, the standardised
        training rows searched for neighbours (all of them, or a random
        sample); None otherwise.

    neighbor_median_, neighbor_spread_ : float or None
        For ``measure="combined"``, the median of the training rows'
        distances to their ``n_neighbors``-th nearest other training row,
        and ``1.4826`` times their median absolute deviation (the median
        where it is 0); None otherwise.

    code_references_ : ndarray of shape (len(estimators_), n_reference, n_codes) or None
        For ``measure="code_neighbors"``, each copy's whitened codes of the
        reference rows; None otherwise.

    measure_candidates_ : ndarray of str or None
        For ``measure="auto"``, the candidates weighed, ``"<member>/<measure>"``
        (member ``"network"``: the estimator; ``"pca"``: the estimator at its
        PCA start; ``"input"``: none); None otherwise.

    measure_evidence_ : ndarray of shape (len(measure_candidates_), 4) or None
        For ``measure="auto"``, each candidate's ROC-AUC separating held-back
        training rows from synthetic anomalies of each kind (local, global,
        dependency, clustered); None otherwise.

    measure_choice_ : str or None
        For ``measure="auto"``, the candidate chosen; None otherwise.

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
        "measure": [StrOptions({"auto", "combined", "distance", "reconstruction", "likelihood", *_NEIGHBOR_MEASURES})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    # what fit sets, in the order checked when a saved or pickled detector is loaded (see _fitted_checks.py)
    _fitted_attributes = FittedSchema(
        fitted={
            "n_features_in_": integer(1),
            "measure_": one_of("combined", "distance", "reconstruction", "likelihood", *_NEIGHBOR_MEASURES),
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
        optional={
            "feature_names_in_": feature_names,
            # not in files of detectors saved before measure="auto"
            "measure_candidates_": optional(strings(*_AUTO_CANDIDATES)),
            "measure_evidence_": none_when(
                lambda owner: getattr(owner, "measure_candidates_", None) is None,
                array(lambda owner: len(owner.measure_candidates_), len(KINDS), values=at_least(0)),
                "measure_candidates_ is None",
            ),
            "measure_choice_": none_when(
                lambda owner: getattr(owner, "measure_candidates_", None) is None,
                lambda value, owner: (
                    None
                    if isinstance(value, str) and value in owner.measure_candidates_.tolist()
                    else "must be one of measure_candidates_"
                ),
                "measure_candidates_ is None",
            ),
            # not in files of detectors saved before the neighbour measures (none of which used them)
            "neighbor_reference_": none_when(
                lambda owner: owner.measure_ not in _INPUT_NEIGHBOR_MEASURES,
                array(None, "n_features_in_"),
                "measure_ is neither 'neighbors' nor 'combined'",
            ),
            "neighbor_median_": none_when(
                lambda owner: owner.measure_ != "combined", finite_float(positive=True), "measure_ is not 'combined'"
            ),
            "neighbor_spread_": none_when(
                lambda owner: owner.measure_ != "combined", finite_float(positive=True), "measure_ is not 'combined'"
            ),
            "code_references_": none_when(
                lambda owner: owner.measure_ != "code_neighbors",
                array(n_members, None, code_width),
                "measure_ is not 'code_neighbors'",
            ),
        },
    )

    def __init__(
        self,
        estimator=None,
        *,
        contamination="auto",
        measure="combined",
        n_neighbors=5,
        n_estimators=1,
        random_state=None,
    ) -> None:
        self.estimator = estimator
        self.contamination = contamination
        self.measure = measure
        self.n_neighbors = n_neighbors
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
        keep_state_on_failure(self, self._fit, X)
        return self

    def _fit(self, X: Any) -> None:
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        template = _default_estimator(X.shape[1]) if self.estimator is None else self.estimator
        if self.measure == "likelihood" and not hasattr(template, "score_samples"):
            raise ValueError(f"measure='likelihood' needs an estimator with score_samples; {template!r} has none.")
        seed = seed_from(self.random_state)
        measure, evidence = self.measure, None
        if measure == "auto":
            template, measure, evidence = self._select(X, template, seed)
        self._fit_with(X, template, measure, seed)
        # the evidence behind measure="auto"'s choice (None when the measure was fixed, or the fixed rule was kept
        # without evidence: sparse input, or too few rows)
        self.measure_candidates_ = None if evidence is None else np.array(evidence.candidates)
        self.measure_evidence_ = None if evidence is None else evidence.auc
        self.measure_choice_ = None if evidence is None else evidence.chosen

    def _fit_with(self, X: Any, template: Any, measure: str, seed: int) -> None:
        """Fit the copies of ``template`` on validated ``X``, their statistics, and the threshold for ``measure``."""
        self.estimator_ = template
        self.measure_ = measure
        self.feature_scales_ = fit_scaling(X, "standard")[1]

        seeds = np.random.SeedSequence(seed).generate_state(self.n_estimators)
        seeded = "random_state" in self.estimator_.get_params(deep=False)
        self.estimators_ = []
        for i, member_seed in enumerate(seeds):
            member = clone(self.estimator_)
            if seeded:
                member.set_params(random_state=int(member_seed) >> 1)
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
        self.neighbor_reference_ = self.code_references_ = None
        self.neighbor_median_ = self.neighbor_spread_ = None
        reference = None
        if measure in _INPUT_NEIGHBOR_MEASURES:
            reference = self._neighbor_reference(X, "neighbors", seed)
            self.neighbor_reference_ = reference.rows[0]
        elif measure == "code_neighbors":
            reference = self._neighbor_reference(X, measure, seed)
            self.code_references_ = np.array(reference.rows)
        if measure == "combined":  # the robust z-score of the training rows' neighbour distances
            distances = -self._neighbor_score(X, "neighbors", reference, for_training=True)
            self.neighbor_median_ = _positive_median(distances)
            self.neighbor_spread_ = _robust_spread(distances, self.neighbor_median_)

        # the training rows scored as score_samples scores them (each finds itself among its neighbours), so that
        # fit(X).predict(X) flags the contamination; the neighbour z-score above left each out, as new rows are
        scores = self._score_as(X, measure, reference)
        if self.contamination == "auto":
            self.offset_ = self._auto_offset(scores)
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))

    # ------------------------------------------------------- measure="auto"
    def _select(self, X: Any, template: Any, seed: int) -> tuple[Any, str, Evidence | None]:
        """The member template and measure that ``measure="auto"`` chooses for ``X``, and the evidence.

        See :mod:`sklearn_ae._selection`: candidates fitted on part of the
        rows score the others against synthetic anomalies. Sparse input, or
        too few rows for the evidence to mean anything, keep the fixed rule.
        """
        fixed_measure = _AUTO_DEFAULT.split("/")[1]
        if sp.issparse(X) or X.shape[0] < _MIN_SELECTION_ROWS:
            return template, fixed_measure, None
        rng = np.random.RandomState(int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]) >> 1)
        order = rng.permutation(X.shape[0])
        n_held = min(X.shape[0] // 4, _MAX_SELECTION_HELD)
        held = np.asarray(X[order[:n_held]], dtype=np.float64)
        rows = np.asarray(X[order[n_held:][:_MAX_SELECTION_FIT]], dtype=np.float64)
        members: dict[str, Any] = {"network": template}
        probes: dict[str, AutoencoderOutlierDetector] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the final fit gives its own warnings
            for name in ("network", "pca"):
                if name == "pca":
                    members["pca"] = _pca_member(template, probes["network"].estimators_[0])
                    if members["pca"] is None:
                        break
                probe = AutoencoderOutlierDetector(
                    members[name], contamination=self.contamination, n_neighbors=self.n_neighbors
                )
                probe.n_features_in_ = X.shape[1]
                # the network's probe has every statistic its candidates need (the fixed rule's included)
                probe._fit_with(rows, members[name], "combined" if name == "network" else "distance", seed)
                probes[name] = probe
        anomalies = {kind: synthetic_anomalies(rows, n_held, kind, rng) for kind in KINDS}
        auc = {}
        for candidate in _AUTO_CANDIDATES:
            member_name, measure = candidate.split("/")
            source = probes.get("network" if member_name == "input" else member_name)
            if source is None:
                continue
            reference = source._fitted_reference(measure)
            normal = source._score_as(held, measure, reference)
            auc[candidate] = [
                separation(normal, source._score_as(anomalies[kind], measure, reference)) for kind in KINDS
            ]
        evidence = choose(auc, _AUTO_DEFAULT, _SELECTION_MARGIN)
        member_name, measure = evidence.chosen.split("/")
        return members[member_name] if member_name == "pca" else template, measure, evidence

    # -------------------------------------------------------------- neighbours
    def _neighbor_reference(self, X: Any, measure: str, seed: int) -> Reference:
        """The training rows (all, or a bounded sample) in the space of neighbour ``measure``, one array per space.

        ``"neighbors"``: one space, the standardised rows; ``"code_neighbors"``:
        each copy's whitened codes.
        """
        max_rows = min(max(1, _MAX_REFERENCE_VALUES // X.shape[1]), _neighbors.MAX_REFERENCE)
        rng = np.random.RandomState(int(np.random.SeedSequence([seed, 2]).generate_state(1)[0]) >> 1)
        index = reference_sample(X.shape[0], rng, max_rows=max_rows)
        rows = X[index]
        rows = (rows.toarray() if sp.issparse(rows) else rows).astype(np.float64)
        if measure == "neighbors":
            return Reference([rows / self.feature_scales_], index)
        return Reference(
            [self._whitened_codes(member, stats, rows) for member, stats in zip(self.estimators_, member_stats(self))],
            index,
        )

    def _fitted_reference(self, measure: str | None = None) -> Reference | None:
        """The neighbour reference ``measure`` (default: the fitted one) searches; its training positions unknown."""
        measure = self.measure_ if measure is None else measure
        if measure in _INPUT_NEIGHBOR_MEASURES:
            return Reference([self.neighbor_reference_], None)
        if measure == "code_neighbors":
            return Reference(list(np.asarray(self.code_references_)), None)
        return None

    @staticmethod
    def _whitened_codes(member: Any, stats: MemberStats, rows: NDArray) -> NDArray:
        """The codes of ``rows`` by ``member``, centred and whitened (the space of ``"code_neighbors"``)."""
        return (np.asarray(member.transform(rows), dtype=np.float64) - stats.code_mean) @ stats.whitener

    def _neighbor_score(self, X: Any, measure: str, reference: Reference | None, for_training: bool) -> NDArray:
        """Minus the mean over the spaces of each row's distance to its ``n_neighbors``-th nearest reference row.

        ``for_training``: ``X`` is the training data, each reference row leaving itself out.
        """
        if reference is None:  # a fitted neighbour measure always has its reference (the schema checks it)
            raise ValueError(f"measure={measure!r} has no neighbour reference: the detector is not fitted for it.")
        scores, start = [], 0
        searches = [searcher(ref, self.n_neighbors) for ref in reference.rows]  # built once, not per batch
        rows_at_once = max(1, min(INFERENCE_BATCH_SIZE, _MAX_REFERENCE_VALUES // len(reference.rows[0])))
        for batch in iter_row_batches(X, sparse_batch_rows(X, rows_at_once)):
            batch = (batch.toarray() if sp.issparse(batch) else batch).astype(np.float64, copy=False)
            positions = np.arange(start, start + batch.shape[0])
            start += batch.shape[0]
            if measure == "neighbors":
                rows = [batch / self.feature_scales_]
            else:
                rows = [
                    self._whitened_codes(member, stats, batch)
                    for member, stats in zip(self.estimators_, member_stats(self))
                ]
            distances = [
                training_kth_distance(Reference(ref, reference.index), r, positions, self.n_neighbors, search)
                if for_training
                else kth_distance(ref, r, self.n_neighbors, search)
                for ref, r, search in zip(reference.rows, rows, searches, strict=True)
            ]
            scores.append(-np.mean(distances, axis=0))
        return np.concatenate(scores)

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
        return self._score_as(X, self.measure_, self._fitted_reference())

    def _score_as(self, X: Any, measure: str, reference: Reference | None) -> NDArray:
        """The scores of validated ``X`` by ``measure`` (neighbour measures: among ``reference``), as
        :meth:`score_samples` gives them (a training row in the reference finds itself)."""
        if measure in _NEIGHBOR_MEASURES:
            return self._neighbor_score(X, measure, reference, for_training=False)
        if measure == "likelihood":  # the copies score batch by batch themselves
            return np.mean([member.score_samples(X) for member in self.estimators_], axis=0).astype(np.float64)
        copies = codes_can_copy(self)  # with codes as wide as the rows the model can copy them: only the code counts
        scores = []
        for batch in self._member_batches(X):
            members = [
                member_score(NUMPY, R, Z, stats, "distance" if measure == "combined" else measure, copies)
                for Z, R, stats in batch
            ]
            scores.append(detector_score(NUMPY, members))
        score = np.concatenate(scores)
        if measure == "combined":
            distance = -self._neighbor_score(X, "neighbors", reference, for_training=False)
            score = combined_score(NUMPY, score, distance, self.neighbor_median_, self.neighbor_spread_)
        return score

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

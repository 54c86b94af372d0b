"""The score of :class:`~sklearn_ae.AutoencoderOutlierDetector`, written once for numpy and for ONNX.

The detector scores a row per fitted copy ("member") from the member's
code ``z`` and the row's residual ``(x - x̂) / σ`` (``σ`` the training
standard deviations, ``feature_scales_``), with that member's training
statistics (:class:`MemberStats`, read from the detector's public fitted
arrays), then averages over the members and subtracts ``offset_``.

The functions below spell that computation once, over an *op set*
``ops``: an object with ``const(value, what)`` (a fitted array or number
as an operand; ``what`` names it), ``sub``, ``div``, ``abs``, ``neg``,
``maximum``, ``matmul`` (elementwise ones broadcasting as numpy does),
``row_mean`` (the mean over features of each row) and ``average`` (the
mean of a list of per-row scores). There are two op sets:

- :data:`NUMPY`, on arrays, which ``fit``, ``score_samples``,
  ``decision_function`` and ``feature_errors`` use: it performs exactly
  the numpy operations, in the same order, that the detector performed
  before this module existed, so that its scores stay bit for bit the same;
- the ONNX graph builder of :mod:`sklearn_ae.onnx`, whose ops add graph
  nodes and initializers, which the detector's converter uses.

So the exported graph computes the score by construction the way
``score_samples`` does, rather than by a copy kept in step by tests.
"""

from typing import Any, NamedTuple

import numpy as np


class MemberStats(NamedTuple):
    """One member's training statistics, which its score of a row needs (see the detector's attributes)."""

    residual_scale: np.ndarray  # (n_features,): a row of residual_scales_
    code_mean: np.ndarray  # (n_codes,): a row of code_means_
    whitener: np.ndarray  # (n_codes, n_codes): one of code_whiteners_
    error_median: float  # error_medians_[i]
    error_spread: float  # error_spreads_[i]
    distance_median: float  # distance_medians_[i]
    distance_spread: float  # distance_spreads_[i]


def member_stats(detector: Any) -> list[MemberStats]:
    """The :class:`MemberStats` of each of a fitted ``detector``'s members, from its public arrays, in order."""
    return [
        MemberStats(*fields)
        for fields in zip(
            detector.residual_scales_,
            detector.code_means_,
            detector.code_whiteners_,
            detector.error_medians_,
            detector.error_spreads_,
            detector.distance_medians_,
            detector.distance_spreads_,
            strict=True,
        )
    ]


def codes_can_copy(detector: Any) -> bool:
    """Whether the codes are at least as wide as the rows: the model can copy its input, only the code counts."""
    return detector.code_means_.shape[1] >= detector.n_features_in_


class NumpyOps:
    """The op set on numpy arrays: each op is the single numpy operation the detector has always used."""

    @staticmethod
    def const(value: Any, what: str) -> Any:
        return value

    @staticmethod
    def sub(a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return a / b

    @staticmethod
    def abs(a: Any) -> Any:
        return np.abs(a)

    @staticmethod
    def neg(a: Any) -> Any:
        return -a

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        return np.maximum(a, b)

    @staticmethod
    def matmul(a: Any, b: Any) -> Any:
        return a @ b

    @staticmethod
    def row_mean(a: Any) -> Any:
        return a.mean(axis=1)

    @staticmethod
    def average(scores: Any) -> Any:
        return np.mean(scores, axis=0).astype(np.float64, copy=False)


NUMPY = NumpyOps()


def residuals(ops: Any, x: Any, recon: Any, feature_scales: Any) -> Any:
    """``(x - x̂) / σ``: the residuals in units of the features' training standard deviations."""
    return ops.div(ops.sub(x, recon), ops.const(feature_scales, "feature_scales"))


def feature_errors(ops: Any, residual: Any, residual_scale: Any) -> Any:
    """``|r| / s``: the normalised reconstruction error of each row and feature, about 1 when typical."""
    return ops.div(ops.abs(residual), ops.const(residual_scale, "residual_scales"))


def code_distance(ops: Any, z: Any, code_mean: Any, whitener: Any) -> Any:
    """The mean absolute whitened code of each row, ``mean_k |((z - mean) W)_k|``."""
    centred = ops.sub(z, ops.const(code_mean, "code_mean"))
    return ops.row_mean(ops.abs(ops.matmul(centred, ops.const(whitener, "whitener"))))


def _robust_z(ops: Any, value: Any, median: Any, spread: Any, what: str) -> Any:
    """``(value - median) / spread``, the training median and spread named ``what``."""
    return ops.div(ops.sub(value, ops.const(median, f"{what}_median")), ops.const(spread, f"{what}_spread"))


def member_score(ops: Any, residual: Any, z: Any, stats: MemberStats, measure: str, copies: bool) -> Any:
    """One member's score of each row (higher is more normal), for ``measure`` "reconstruction" or "distance".

    ``residual`` is :func:`residuals` of the rows, ``z`` their codes by the
    member, ``stats`` its :class:`MemberStats` and ``copies``
    :func:`codes_can_copy`. "reconstruction": minus the mean feature
    error. "distance": minus the larger of the robust z-scores of the code
    distance and of the mean feature error, or of the code distance alone
    when the codes can copy the rows.
    """
    if measure == "reconstruction":
        return ops.neg(ops.row_mean(feature_errors(ops, residual, stats.residual_scale)))
    distance = code_distance(ops, z, stats.code_mean, stats.whitener)
    along = _robust_z(ops, distance, stats.distance_median, stats.distance_spread, "distance")
    if copies:
        return ops.neg(along)
    error = ops.row_mean(feature_errors(ops, residual, stats.residual_scale))
    off = _robust_z(ops, error, stats.error_median, stats.error_spread, "error")
    return ops.neg(ops.maximum(off, along))


def combined_score(ops: Any, distance_score: Any, kth_distance: Any, median: Any, spread: Any) -> Any:
    """``measure="combined"``: the mean of the "distance" score and minus the robust z-score of the distance to
    the k-th nearest training row (``median`` and ``spread`` of the training rows' distances)."""
    neighbor = _robust_z(ops, kth_distance, median, spread, "neighbor")
    return ops.div(ops.sub(distance_score, neighbor), ops.const(2.0, "two"))


def detector_score(ops: Any, member_scores: Any) -> Any:
    """The detector's ``score_samples``: the mean of its members' scores."""
    return ops.average(member_scores)


def decision(ops: Any, score: Any, offset: Any) -> Any:
    """The detector's ``decision_function``: ``score - offset_``, negative for outliers."""
    return ops.sub(score, ops.const(offset, "offset"))

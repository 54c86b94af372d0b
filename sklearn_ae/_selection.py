"""Evidence for the detector's ``measure="auto"``: synthetic anomalies and the choice they support.

The detector cannot see labels. To choose a score for a data set it holds
back some training rows, fits its candidates on the others, and asks how
well each candidate separates the held-back rows from synthetic anomalies
made from the fitting rows' distribution, in the four kinds of the
benchmark literature (Han et al., ADBench, NeurIPS 2022), in standardised
units:

- ``local``: drawn from a Gaussian mixture of the rows (4 components, full
  covariances) with each covariance scaled by 5;
- ``global``: uniform per feature in 1.1 times the rows' range;
- ``dependency``: each feature drawn from its own marginal (a random row's
  value, per feature), so that the correlations break;
- ``clustered``: the mixture with each component's mean scaled by 5.

The candidate with the best mean ROC-AUC over the kinds wins, unless it
beats the fixed default by less than a margin: internal criteria often do
no better than a fixed choice (Ma et al., 2023), so the evidence must be
clear before the default is left.
"""

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture

from ._typing import NDArray

KINDS = ("local", "global", "dependency", "clustered")
# How far local anomalies widen, and clustered ones move, the mixture's components.
ALPHA = 5.0
# Components of the Gaussian mixture, and its covariance regularisation (standardised units).
MIXTURE_COMPONENTS = 4
MIXTURE_REG = 1e-3


class Evidence(NamedTuple):
    """The candidates' ROC-AUCs against each kind of synthetic anomaly, and the choice."""

    candidates: tuple[str, ...]
    auc: NDArray  # (n_candidates, len(KINDS))
    chosen: str


def synthetic_anomalies(X: NDArray, n: int, kind: str, rng: np.random.RandomState) -> NDArray:
    """``n`` anomalies of ``kind`` (see the module docstring) from the distribution of the dense rows ``X``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    if kind in ("local", "clustered"):
        components = min(MIXTURE_COMPONENTS, len(Z))
        mixture = GaussianMixture(
            components, covariance_type="full", reg_covar=MIXTURE_REG, random_state=rng.randint(2**31)
        ).fit(Z)
        which = rng.choice(components, size=n, p=mixture.weights_)
        A = np.empty((n, Z.shape[1]))
        for c in range(components):
            rows = which == c
            centre, cov = mixture.means_[c], mixture.covariances_[c]
            if kind == "local":
                cov = ALPHA * cov
            else:
                centre = ALPHA * centre
            A[rows] = rng.multivariate_normal(centre, cov, size=int(rows.sum()), check_valid="ignore")
    elif kind == "global":
        A = rng.uniform(1.1 * Z.min(axis=0), 1.1 * Z.max(axis=0), size=(n, Z.shape[1]))
    else:  # dependency
        A = Z[rng.randint(len(Z), size=(n, Z.shape[1])), np.arange(Z.shape[1])]
    return A * scale + mean


def separation(normal: NDArray, anomalous: NDArray) -> float:
    """ROC-AUC of scores (higher = more normal) separating ``normal`` rows from ``anomalous`` ones."""
    labels = np.r_[np.ones(len(normal)), np.zeros(len(anomalous))]
    return float(roc_auc_score(labels, np.r_[normal, anomalous]))


def choose(auc: Mapping[str, Sequence[float]], default: str, margin: float) -> Evidence:
    """The candidate of best mean AUC over the kinds, unless it beats ``default``'s mean by less than ``margin``."""
    candidates = tuple(auc)
    table = np.array([list(auc[c]) for c in candidates], dtype=np.float64)
    means = table.mean(axis=1)
    best = candidates[int(np.argmax(means))]
    if means[int(np.argmax(means))] - means[candidates.index(default)] < margin:
        best = default
    return Evidence(candidates, table, best)

"""Display objects in scikit-learn's style: one line from a fitted estimator to a figure.

Every display has a ``from_estimator`` class method that computes what it
shows from a fitted estimator, a ``from_<data>`` class method
(``from_reconstructions``, ``from_codes``, ``from_history``,
``from_samples``, ``from_images``, ``from_scores``, ``from_errors``) that
draws values computed beforehand, and a ``plot(ax=None, ...)`` method that
(re)draws it on given axes. The constructor only stores its arguments.
After plotting, ``figure_`` and ``ax_`` hold the matplotlib figure and axes,
and further attributes hold the artists drawn, so a figure can be restyled
afterwards.

matplotlib is an optional dependency (the ``plot`` extra); it is imported
only when something is drawn.

Wherever it makes sense a scikit-learn estimator is accepted too: PCA in
:class:`ReconstructionDisplay`, :class:`LatentSpaceDisplay` and the latent
displays, IsolationForest in :class:`OutlierScoreDisplay`, so that a
comparison is one call.
"""

from ._feature_error import FeatureErrorDisplay
from ._latent_interpolation import LatentInterpolationDisplay
from ._latent_space import LatentSpaceDisplay
from ._latent_traversal import LatentTraversalDisplay
from ._loss_curve import LossCurveDisplay
from ._outlier_score import OutlierScoreDisplay
from ._reconstruction import ReconstructionDisplay
from ._sample_grid import SampleGridDisplay

__all__ = [
    "FeatureErrorDisplay",
    "LatentInterpolationDisplay",
    "LatentSpaceDisplay",
    "LatentTraversalDisplay",
    "LossCurveDisplay",
    "OutlierScoreDisplay",
    "ReconstructionDisplay",
    "SampleGridDisplay",
]

"""
==========================================
Outlier detection on an ODDS data set
==========================================

An autoencoder trained on unlabelled data reconstructs typical rows well and
unusual ones badly. ``AutoencoderOutlierDetector`` turns that into
scikit-learn's outlier API (``score_samples``, ``predict`` with +1/-1,
``offset_``). We fit it on the *cardio* set of the ODDS collection
(cardiotocography measurements, 1831 rows, 21 features, 9.6 % outliers)
without its labels, and use the labels only to judge the held-out scores,
against IsolationForest and PCA's reconstruction error.

The ODDS files live in the project's benchmark data (``../shared/data``, or
the folder in ``SKLEARN_AE_DATA``). Without them the example uses the digits
instead: zeros as inliers, a few sevens as outliers. The first line of the
output says which data set it ran on.
"""

# %%
import os
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderOutlierDetector
from sklearn_ae.datasets import load_odds
from sklearn_ae.plotting import FeatureErrorDisplay, OutlierScoreDisplay

data_home = Path(os.environ.get("SKLEARN_AE_DATA", "../shared/data"))
if (data_home / "odds" / "cardio.mat").exists():
    X, y = load_odds("cardio", data_home)  # y: 1 = outlier
    name = "cardio"
else:
    digits, labels = load_digits(return_X_y=True)
    X = np.vstack([digits[labels == 0], digits[labels == 7][:10]])
    y = np.r_[np.zeros((labels == 0).sum(), int), np.ones(10, int)]
    name = "digits (0 against 7)"

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)

# %%
# Three detectors, fitted without labels: the autoencoder detector with its
# default autoencoder, IsolationForest, and the same detector wrapping PCA,
# which scores each row by its (normalised) linear reconstruction error: the
# classic PCA detector.
detector = AutoencoderOutlierDetector(contamination=0.1, random_state=0).fit(X_train)
forest = IsolationForest(contamination=0.1, random_state=0).fit(X_train)
pca = AutoencoderOutlierDetector(
    PCA(n_components=0.9, svd_solver="full"), measure="reconstruction", contamination=0.1
).fit(X_train)

print(f"{name}: {len(X_train)} training rows, {len(X_test)} held out, {y.mean():.1%} outliers")
print("detector                     ROC-AUC   average precision")
for label, scores in (
    ("AutoencoderOutlierDetector", detector.score_samples(X_test)),
    ("IsolationForest", forest.score_samples(X_test)),
    ("PCA reconstruction error", pca.score_samples(X_test)),
):
    # low scores mean outliers: rank by minus the score
    print(f"{label:28s} {roc_auc_score(y_test, -scores):7.3f}   {average_precision_score(y_test, -scores):17.3f}")

# %%
# No detector wins everywhere. On *cardio* IsolationForest ranks the
# held-out rows a little better than the autoencoder detector (ROC-AUC 0.935
# against 0.920 on this split, average precision 0.58 against 0.54), and
# PCA's linear error misses many. Cardio is one of the sets where the
# default score, which adds the distance to the nearest training rows to the
# autoencoder's own distance, gives up a little to ``measure="distance"``;
# over the ten ODDS sets and fifteen image-embedding sets it gains (the user
# guide's outlier page has the table). On the digits fallback the sevens
# differ from the zeros in pixels that the zeros never use, extreme values
# that IsolationForest isolates perfectly.

# %%
# Score distribution
# ------------------
# The held-out scores of the true inliers and outliers, and the threshold
# ``offset_`` below which ``predict`` says -1.
OutlierScoreDisplay.from_estimator(detector, X_test, y_test, density=True)

# %%
# Which features made a row abnormal
# ----------------------------------
# The per-feature reconstruction error of the three most abnormal held-out
# rows.
FeatureErrorDisplay.from_estimator(detector, X_test, n_rows=3)

"""
=====================================
MNIST: a deep autoencoder against PCA
=====================================

A deep dense autoencoder for MNIST as a scikit-learn estimator, compared
with PCA at the same width of code: the test digits next to their
reconstructions, the codes, and how training went.

The example reads MNIST from the project's benchmark data
(``../shared/data``, or the folder in ``SKLEARN_AE_DATA``): 5000 training
digits and the 10 000 official test digits. Without it, it says so and stops.
"""

# %%
import os
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.datasets import load_mnist
from sklearn_ae.plotting import LatentSpaceDisplay, LossCurveDisplay, ReconstructionDisplay

data_home = Path(os.environ.get("SKLEARN_AE_DATA", "../shared/data"))
have_mnist = (data_home / "mnist" / "mnist_5k.csv.gz").exists()
if not have_mnist:
    print("MNIST (mnist/mnist_5k.csv.gz) is not in the benchmark data folder: this example is skipped.")

# %%
# Fit both with 32 codes. The autoencoder is 784-256-128 with ReLU, trained
# with RMSprop for a few epochs only.
if have_mnist:
    X_train, y_train, X_test, y_test = load_mnist(data_home)
    X_test, y_test = X_test[:2000], y_test[:2000]
    pca = PCA(32).fit(X_train)
    ae = AutoencoderTransformer(
        32, hidden_layer_sizes=(256, 128), optimizer="rmsprop", max_epochs=8, random_state=0
    ).fit(X_train)
    for model in (pca, ae):
        rec = model.inverse_transform(model.transform(X_test))
        print(
            f"{type(model).__name__:24s} held-out squared error per digit: {np.sum((rec - X_test) ** 2, 1).mean():.2f}"
        )

# %%
# Test digits, then PCA's and the autoencoder's reconstructions.
if have_mnist:
    ReconstructionDisplay.from_estimator([pca, ae], X_test, n_samples=12, image_shape=(28, 28))

# %%
# The 32-dimensional codes, projected to two dimensions.
if have_mnist:
    LatentSpaceDisplay.from_estimator(ae, X_test, y_test, s=4)
    LossCurveDisplay.from_estimator(ae)

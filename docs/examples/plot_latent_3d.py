"""
==================================
Digits in a three-dimensional code
==================================

A tanh autoencoder 784-128-64-12-3 squeezes MNIST digits into three codes.
We draw five digits above their reconstructions and scatter the digits in
the 3-D code space, coloured by their label: the network is a parameter, the
training loop is ``fit``, and each figure is one line.

It uses MNIST from the project's benchmark data when it is there, else
scikit-learn's 8 x 8 digits.
"""

# %%
import os
from pathlib import Path

from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.datasets import load_mnist
from sklearn_ae.plotting import LatentSpaceDisplay, LossCurveDisplay, ReconstructionDisplay

data_home = Path(os.environ.get("SKLEARN_AE_DATA", "../shared/data"))
if (data_home / "mnist" / "mnist_5k.csv.gz").exists():
    X, y, _, _ = load_mnist(data_home)
    shape = (28, 28)
else:
    X, y = load_digits(return_X_y=True)
    X, shape = X / 16.0, (8, 8)

# %%
# The network: tanh layers of 128, 64 and 12 units around 3 codes, and a
# sigmoid output for pixels in [0, 1], which ``loss="bce"`` provides with
# the binary cross-entropy loss.
ae = AutoencoderTransformer(
    3, hidden_layer_sizes=(128, 64, 12), activation="tanh", loss="bce", lr=5e-3, max_epochs=10, random_state=0
).fit(X)

# %%
ReconstructionDisplay.from_estimator(ae, X, n_samples=5, image_shape=shape)

# %%
# Three codes are drawn as they are, in 3-D.
LatentSpaceDisplay.from_estimator(ae, X[:500], y[:500])

# %%
LossCurveDisplay.from_estimator(ae)

"""
===============================================
A convolutional autoencoder against a dense one
===============================================

A convolutional autoencoder encodes an image with strided convolutions down
to a small code and decodes it with transposed convolutions back up. Here
``image_shape`` switches the estimator to such a network: images whose sides
are not a multiple of the strides (28 x 28 digits) are padded for you, and
``X`` stays a 2-D array of flattened images, so pipelines work unchanged.
We compare it with the default dense network at the same width of code.

It uses MNIST from the project's benchmark data when it is there, else
scikit-learn's 8 x 8 digits.
"""

# %%
import os
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.datasets import load_mnist
from sklearn_ae.plotting import ReconstructionDisplay

data_home = Path(os.environ.get("SKLEARN_AE_DATA", "../shared/data"))
if (data_home / "mnist" / "mnist_5k.csv.gz").exists():
    X_train, _, X_test, _ = load_mnist(data_home)
    X_train, X_test, shape = X_train[:1500], X_test[:500], (28, 28)
else:
    X, _ = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, shape = X[:1400], X[1400:], (8, 8)

# %%
# Two strided convolutions (16 and 32 channels) and 16 codes, against the
# default dense network (hidden layers of 512 and 128 units) with the same
# number of codes. Both train for a few epochs only.
conv = AutoencoderTransformer(16, image_shape=shape, hidden_layer_sizes=(16, 32), max_epochs=5, random_state=0)
dense = AutoencoderTransformer(16, max_epochs=5, random_state=0)
conv.fit(X_train)
dense.fit(X_train)

for name, model in (("convolutional", conv), ("dense", dense)):
    n_weights = sum(p.numel() for p in model.net_.module_.parameters())
    rec = model.inverse_transform(model.transform(X_test))
    print(f"{name:14s} weights: {n_weights:7d}   held-out MSE: {np.mean((rec - X_test) ** 2):.4f}")

# %%
# The convolutional network shares its filters across the image, so it needs
# a fraction of the dense network's weights. Trained this briefly, the dense
# network still reconstructs better; the project's variants benchmark
# (``benchmarks/bench_variants.py``) trains both for 20 epochs on MNIST, where
# the convolutional one does better. Held-out digits on top:
ReconstructionDisplay.from_estimator([dense, conv], X_test, names=["dense", "convolutional"], image_shape=shape)

"""
=====================================
Denoising: restoring masked digits
=====================================

A denoising autoencoder sees corrupted rows in training and learns to
reconstruct the clean ones. Here half of the pixels of each training batch
are masked (``noise="masking"``); afterwards the model fills in digits whose
pixels are missing better than a plain autoencoder or PCA does.
"""

# %%
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.plotting import ReconstructionDisplay

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

params = dict(n_components=16, hidden_layer_sizes=(128,), max_epochs=60, random_state=0)
plain = AutoencoderTransformer(**params).fit(X_train)
denoising = AutoencoderTransformer(noise="masking", noise_level=0.5, **params).fit(X_train)
pca = PCA(16).fit(X_train)

# %%
# Mask half of the pixels of the test digits, at the features' training
# mean (what ``noise="masking"`` does under the default scaling), and
# reconstruct.
rng = np.random.default_rng(0)
mask = rng.random(X_test.shape) < 0.5
X_masked = np.where(mask, X_train.mean(axis=0), X_test)

print("held-out MSE against the clean digits, from masked inputs:")
reconstructions = {}
for name, model in (("PCA", pca), ("plain autoencoder", plain), ("denoising autoencoder", denoising)):
    reconstructions[name] = model.inverse_transform(model.transform(X_masked))
    print(f"  {name:22s} {np.mean((reconstructions[name] - X_test) ** 2):.2f}")

# %%
# Clean test digits on top, then the masked inputs and each model's
# reconstruction of them; errors are against the clean digits.
rows = slice(0, 10)
ReconstructionDisplay.from_reconstructions(
    X_test[rows],
    [X_masked[rows], *[r[rows] for r in reconstructions.values()]],
    names=["masked input", *reconstructions],
    image_shape=(8, 8),
)

"""
=====================================
Denoising: restoring masked digits
=====================================

A denoising autoencoder sees corrupted rows in training and learns to
reconstruct the clean ones. With ``noise="masking", noise_level=0.5`` half of
the pixels of each training batch are set to ``mask_value``, by default 0
(black), in the input's own units whatever the scaling: the same corruption
as an image that loses pixels. Afterwards the model fills in digits whose
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
# Set half of the pixels of the test digits to 0 (black), the way images
# lose pixels, and reconstruct. The errors are against the clean digits; on
# clean inputs the denoiser pays for what it learned (it expects half of the
# ink to be missing).
rng = np.random.default_rng(0)
X_masked = np.where(rng.random(X_test.shape) < 0.5, 0.0, X_test)

print("held-out MSE against the clean digits, from masked inputs (from clean inputs):")
reconstructions = {}
for name, model in (("PCA", pca), ("plain autoencoder", plain), ("denoising autoencoder", denoising)):
    reconstructions[name] = model.inverse_transform(model.transform(X_masked))
    clean = np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)
    print(f"  {name:22s} {np.mean((reconstructions[name] - X_test) ** 2):6.2f} ({clean:.2f})")

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

"""
==========================================================
A variational autoencoder: samples, traversals, likelihood
==========================================================

A plain autoencoder and a variational one on handwritten digits, one line
each; the VAE then draws new digits, shows what each latent unit encodes,
and scores rows with a log-likelihood bound. Pixels are scaled to [0, 1] and
modelled as Bernoulli variables.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer, VAETransformer
from sklearn_ae.plotting import (
    LatentInterpolationDisplay,
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    SampleGridDisplay,
)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

params = dict(n_components=4, hidden_layer_sizes=(128,), max_epochs=40, lr=3e-3, random_state=0)
ae = AutoencoderTransformer(loss="bce", **params).fit(X_train)
vae = VAETransformer(likelihood="bernoulli", **params).fit(X_train)
print(f"active latent units: {vae.n_active_components_} of {vae.n_components_}")

# %%
# Reconstructions
# ---------------
# The VAE's codes are noisy during training, so its reconstructions are a
# little blurrier than the plain autoencoder's: the price of a smooth code
# space that can be sampled.
ReconstructionDisplay.from_estimator([ae, vae], X_test, image_shape=(8, 8))

# %%
# New digits
# ----------
# Codes drawn from the standard normal prior, decoded.
SampleGridDisplay.from_estimator(vae, n_samples=36, image_shape=(8, 8), random_state=0)

# %%
# What each latent unit encodes
# -----------------------------
# Each row moves one unit from -2.5 to +2.5 prior standard deviations, the
# others held at zero.
LatentTraversalDisplay.from_estimator(vae, image_shape=(8, 8))

# %%
# Walking between digits
# ----------------------
# Straight lines in code space between pairs of test digits.
LatentInterpolationDisplay.from_estimator(vae, X_test[:4], X_test[4:8], n_steps=8, image_shape=(8, 8))

# %%
# The code space and the training history
# ---------------------------------------
# The KL term pulls the codes towards the prior; the loss curve shows it
# apart from the reconstruction term.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
LatentSpaceDisplay.from_estimator(vae, X_test, y_test, ax=axes[0])
LossCurveDisplay.from_estimator(vae, ax=axes[1])
fig.tight_layout()

# %%
# A likelihood
# ------------
# ``score`` is the mean ELBO per digit in nats; with importance samples the
# bound tightens.
elbo = vae.score(X_test)
iwae = vae.set_params(n_importance_samples=50).score(X_test)
print(f"held-out ELBO: {elbo:.2f} nats, IWAE bound (k=50): {iwae:.2f} nats")

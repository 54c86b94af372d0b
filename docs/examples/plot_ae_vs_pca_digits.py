"""
=========================================
Autoencoder against PCA on the digits
=========================================

The same number of codes, two models: PCA's linear projection and an
autoencoder that starts at PCA's solution and adds a nonlinear correction.
We compare their reconstructions of held-out digits, their codes, and how
the autoencoder's training went.
"""

# %%
# Data and models
# ---------------
# scikit-learn's 8 x 8 digits, three quarters to fit and a quarter to judge.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.plotting import LatentSpaceDisplay, LossCurveDisplay, ReconstructionDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
# Held-out reconstruction error at several widths of the code. The
# autoencoder is trained for a few dozen epochs only, to keep the gallery
# quick.
print("n_components   PCA MSE   AE MSE   AE / PCA")
models = {}
for n_components in (2, 8, 16):
    pca = PCA(n_components).fit(X_train)
    ae = AutoencoderTransformer(n_components, hidden_layer_sizes=(256, 64), max_epochs=25, random_state=0)
    ae.fit(X_train)
    models[n_components] = pca, ae
    mse_pca = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    mse_ae = np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2)
    print(f"{n_components:12d}  {mse_pca:8.3f}  {mse_ae:7.3f}  {mse_ae / mse_pca:9.2f}")

# %%
# Reconstructions
# ---------------
# Ten held-out digits (top), PCA's and the autoencoder's reconstructions from
# 8 codes; each row is labelled with its mean squared error on these digits.
pca, ae = models[8]
ReconstructionDisplay.from_estimator([pca, ae], X_test, image_shape=(8, 8))

# %%
# Codes
# -----
# With two codes both models can be drawn as they are. The autoencoder is
# free to bend the space, and separates some classes that PCA overlaps.
pca2, ae2 = models[2]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
LatentSpaceDisplay.from_estimator(pca2, X_test, y_test, ax=axes[0])
LatentSpaceDisplay.from_estimator(ae2, X_test, y_test, ax=axes[1])
fig.tight_layout()

# %%
# Wider codes are projected to two dimensions for the plot (with PCA by
# default), and the figure says so.
LatentSpaceDisplay.from_estimator(ae, X_test, y_test)

# %%
# Training
# --------
# The loss per epoch on the training rows and on the 10 % held out for early
# stopping.
LossCurveDisplay.from_estimator(ae)

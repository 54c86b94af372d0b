"""
============================================
Making each decoder layer mean its encoder's
============================================

An autoencoder can be trained so that each encoder layer and the mirrored
decoder layer carry the same values. Here it is one parameter:
``layer_matching`` adds the distance between each hidden layer of the
encoder and the decoder layer of the same width to the loss, and
``layer_matching_local=True`` gives the local variant, where each pair only
trains the layers between them, as in stacked autoencoders.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.plotting import LossCurveDisplay, ReconstructionDisplay

X, _ = load_digits(return_X_y=True)
X = X / 16.0

# A deep sigmoid network sized for the 64-pixel digits: layers 48-32-24
# around 12 codes.
params = dict(n_components=12, hidden_layer_sizes=(48, 32, 24), activation="sigmoid", max_epochs=25, random_state=0)
plain = AutoencoderTransformer(**params).fit(X)
matched = AutoencoderTransformer(layer_matching=1.0, **params).fit(X)
local = AutoencoderTransformer(layer_matching=1.0, layer_matching_local=True, **params).fit(X)

# %%
# The loss parts recorded per epoch: reconstruction and layer matching.
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
LossCurveDisplay.from_estimator(matched, ax=axes[0])
axes[0].set_title("layer_matching=1.0")
LossCurveDisplay.from_estimator(local, ax=axes[1])
axes[1].set_title("layer_matching=1.0, layer_matching_local=True")
fig.tight_layout()

# %%
# Matching the layers constrains the network; the reconstructions show what
# it costs.
ReconstructionDisplay.from_estimator(
    [plain, matched, local], X, names=["plain", "matched", "matched, local"], image_shape=(8, 8)
)

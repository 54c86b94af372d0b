"""
=====================================================
Choosing between PCA and an autoencoder with a search
=====================================================

``AutoencoderTransformer.score`` is a held-out log-likelihood in the same
units as ``PCA.score``, so ``GridSearchCV`` with its default scoring can pick
both the model and ``n_components`` without labels. With labels, the codes
can instead be judged by a classifier trained on them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_ae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)

# %%
# Unsupervised: the held-out log-likelihood
# -----------------------------------------
# One pipeline step, ``reduce``, searched over two models and their widths.
ae = AutoencoderTransformer(hidden_layer_sizes=(64,), max_epochs=10, random_state=0)
param_grid = [
    {"reduce": [PCA()], "reduce__n_components": [4, 8, 16]},
    {"reduce": [ae], "reduce__n_components": [4, 8, 16]},
]
search = GridSearchCV(Pipeline([("reduce", PCA())]), param_grid, cv=3)
search.fit(X)

results = pd.DataFrame(search.cv_results_)
results["model"] = [type(p["reduce"]).__name__ for p in results["params"]]
results["n_components"] = results["param_reduce__n_components"].astype(int)
table = results.pivot(index="n_components", columns="model", values="mean_test_score")
print(table.round(1))
print("best:", type(search.best_params_["reduce"]).__name__, search.best_params_["reduce__n_components"])

# %%
fig, ax = plt.subplots(figsize=(6, 4))
table.plot.bar(ax=ax, rot=0)
ax.set_ylabel("mean held-out log-likelihood per digit (nats)")
ax.set_title("GridSearchCV: PCA against the autoencoder")
ax.set_ylim(table.values.min() - 10, table.values.max() + 10)
fig.tight_layout()

# %%
# Supervised: accuracy of a classifier on the codes
# -------------------------------------------------
# The same search, scored by a logistic regression trained on the codes.
clf = Pipeline([("reduce", PCA()), ("clf", LogisticRegression(max_iter=2000))])
param_grid_clf = [{**grid, "reduce__n_components": [4, 16]} for grid in param_grid]
search_clf = GridSearchCV(clf, param_grid_clf, cv=3)
search_clf.fit(X, y)
results = pd.DataFrame(search_clf.cv_results_)
results["model"] = [type(p["reduce"]).__name__ for p in results["params"]]
results["n_components"] = results["param_reduce__n_components"].astype(int)
accuracy = results.pivot(index="n_components", columns="model", values="mean_test_score")
print(accuracy.round(3))

fig, ax = plt.subplots(figsize=(6, 4))
accuracy.plot.bar(ax=ax, rot=0)
ax.set_ylabel("cross-validated accuracy")
ax.set_ylim(max(0, np.nanmin(accuracy.values) - 0.1), 1)
ax.set_title("accuracy of a logistic regression on the codes")
fig.tight_layout()

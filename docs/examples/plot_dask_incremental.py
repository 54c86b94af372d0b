"""
======================================================
Training on a dask array, block by block, with Dask-ML
======================================================

dask-ml's ``Incremental`` wrapper trains an estimator that has
``partial_fit`` on a dask array one block at a time: here
:class:`~sklearn_ae.AutoencoderTransformer` on the digits split into four
blocks, several passes, with the held-out reconstruction error after each
pass next to PCA's and IncrementalPCA's. ``ParallelPostFit`` then encodes a dask
array block by block.

The example uses dask's default threaded scheduler, so that it runs in
seconds; on a cluster the code is the same once a client exists::

    from distributed import Client, LocalCluster

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))

and the blocks are then trained on the workers, the model passed from one
to the next. See :ref:`scaling` for data on disk, searches on a cluster and
``HyperbandSearchCV``.
"""

# %%
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental, ParallelPostFit
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, IncrementalPCA

from sklearn_ae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
rng = np.random.default_rng(0)
X = X[rng.permutation(len(X))]
X_train, X_test = X[:1400], X[1400:]
blocks = da.from_array(X_train, chunks=(350, 64))  # four blocks of 350 rows
print(blocks)

# %%
# One ``partial_fit`` per block, several passes
# ---------------------------------------------
# ``Incremental.partial_fit`` makes one pass over the blocks, calling the
# estimator's ``partial_fit`` on each (one epoch on that block). The first
# call fixes the scaling and the PCA start from the first block. With
# ``shuffle_blocks=False`` the blocks come in order, and the result equals
# calling ``partial_fit`` on them in one process.
ae = AutoencoderTransformer(n_components=8, hidden_layer_sizes=(64,), lr=3e-3, random_state=0)
incremental = Incremental(ae, shuffle_blocks=False)


def error(model):
    """Held-out mean squared reconstruction error."""
    return np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)


errors = []
for _ in range(12):
    incremental.partial_fit(blocks)
    errors.append(error(incremental.estimator_))
model = incremental.estimator_
print(f"partial_fit calls: {model.n_iter_}, rows seen: {model.n_samples_seen_}")

pca = PCA(n_components=8).fit(X_train)
ipca = IncrementalPCA(n_components=8)
for i in range(blocks.numblocks[0]):
    ipca.partial_fit(blocks.blocks[i].compute())

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(range(1, len(errors) + 1), errors, marker="o", label="AutoencoderTransformer, Incremental")
ax.axhline(error(pca), color="k", linestyle="--", label="PCA (all rows at once)")
ax.axhline(error(ipca), color="tab:gray", linestyle=":", label="IncrementalPCA (the four blocks)")
ax.set_xlabel("passes over the four blocks")
ax.set_ylabel("held-out reconstruction MSE")
ax.set_title("8 codes of the digits, trained block by block")
ax.legend()
fig.tight_layout()

# %%
# Encoding a dask array block by block
# ------------------------------------
# ``ParallelPostFit`` maps ``transform`` over the blocks (on the workers,
# with a cluster); a row's code depends only on the row, so the result is
# the in-memory one.
codes = ParallelPostFit(model).transform(da.from_array(X_test, chunks=(100, 64)))
print("codes:", codes.compute().shape)
print("equal to the in-memory codes:", np.array_equal(codes.compute(), model.transform(X_test)))

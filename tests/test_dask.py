"""The estimators on a real Dask cluster: two worker processes started here (issue 11).

Training on a dask array through dask-ml's ``Incremental`` (``partial_fit``
block by block) and through a plain loop over the blocks, inference mapped
over the blocks on the workers, ``GridSearchCV`` under joblib's dask
backend and dask-ml's ``HyperbandSearchCV``. Models move between processes
by pickling; results are compared with the same computation in this
process. Weights trained on a worker equal the local ones only up to
float32 rounding when the worker runs torch with another number of threads
than this process (a matrix product may then sum in another order), so
those comparisons use ``rtol=1e-5``; inference of one model is compared
exactly.
"""

import numpy as np
import pytest

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")

FAST = {"n_components": 3, "hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    client.run(__import__, "sklearn_ae")  # both workers import torch and the package once, in parallel
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3)) @ rng.normal(size=(3, 10)) + 0.1 * rng.normal(size=(600, 10))
    return X, da.from_array(X, chunks=(200, 10))


def _equal_to_rounding(actual, desired):
    np.testing.assert_allclose(actual, desired, rtol=1e-6, atol=1e-6 * np.abs(desired).max())


def _codes_close(a, b, X):
    np.testing.assert_allclose(a.transform(X), b.transform(X), rtol=1e-5, atol=1e-6)


def test_incremental_trains_block_by_block_on_the_workers(client, data):
    X, dX = data
    incremental = wrappers.Incremental(AutoencoderTransformer(**FAST), shuffle_blocks=False).fit(dX)
    model = incremental.estimator_
    local = AutoencoderTransformer(**FAST)
    for block in np.array_split(X, 3):
        local.partial_fit(block)
    assert (model.n_iter_, model.n_samples_seen_) == (3, 600)  # one partial_fit per block
    # from the first block (a mean taken in a worker process: equal up to rounding)
    np.testing.assert_allclose(
        model.scaling_offset_, local.scaling_offset_, rtol=1e-12, atol=1e-12 * np.abs(local.scaling_offset_).max()
    )
    _codes_close(model, local, X)
    # the documented loop: one block at a time from the cluster into this process
    looped = AutoencoderTransformer(**FAST)
    for i in range(dX.numblocks[0]):
        looped.partial_fit(dX.blocks[i].compute())
    _codes_close(looped, local, X)


def test_inference_mapped_over_blocks_equals_in_memory(client, data):
    X, dX = data
    ae = AutoencoderTransformer(**FAST, max_epochs=3).fit(X)
    vae = VAETransformer(**FAST, max_epochs=3).fit(X)
    detector = AutoencoderOutlierDetector(AutoencoderTransformer(**FAST, max_epochs=3)).fit(X)
    # Blocks of 200 rows in worker processes against 600 rows here: other batch shapes, other processes, so equal
    # up to the network's (float32) rounding, not bit for bit.
    _equal_to_rounding(wrappers.ParallelPostFit(ae).transform(dX).compute(), ae.transform(X))
    # a VAE's score of a row depends on the row only (its draws too), so block by block equals all at once
    vae_scores = da.map_blocks(vae.score_samples, dX, drop_axis=1, dtype=np.float64).compute()
    _equal_to_rounding(vae_scores, vae.score_samples(X))
    ae_scores = da.map_blocks(ae.score_samples, dX, drop_axis=1, dtype=np.float64).compute()
    _equal_to_rounding(ae_scores, ae.score_samples(X))
    decision = detector.decision_function(X)
    clear = np.abs(decision) > 1e-6 * np.abs(decision).max()  # rows that rounding cannot tip over the threshold
    labels = wrappers.ParallelPostFit(detector).predict(dX).compute()
    np.testing.assert_array_equal(labels[clear], detector.predict(X)[clear])


def test_grid_search_on_the_cluster_equals_the_local_search(client, data):
    joblib = pytest.importorskip("joblib")
    from sklearn.model_selection import GridSearchCV

    X, _ = data
    grid = {"n_components": [1, 3]}
    search = GridSearchCV(AutoencoderTransformer(**FAST, max_epochs=3), grid, cv=2)
    local = search.fit(X).cv_results_
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(AutoencoderTransformer(**FAST, max_epochs=3), grid, cv=2, n_jobs=-1).fit(X)
    assert remote.cv_results_["params"] == local["params"]
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_allclose(remote.cv_results_[key], local[key], rtol=1e-5)
    assert remote.best_params_ == search.best_params_


def test_hyperband_search_on_the_cluster(client, data):
    """dask-ml 2025.1 calls ``dask.persist`` inside the client's event loop; newer dask refuses that with the
    default client ("asynchronous Client in a synchronous context") but accepts ``scheduler=client.get``."""
    import dask
    from dask_ml.model_selection import HyperbandSearchCV

    _, dX = data
    y = da.zeros(dX.shape[0], chunks=dX.chunks[0])  # dask-ml splits (X, y); the estimators ignore y
    search = HyperbandSearchCV(AutoencoderTransformer(**FAST), {"lr": [1e-3, 1e-2]}, max_iter=3, random_state=0)
    with dask.config.set(scheduler=client.get):
        search.fit(dX, y)
    results = search.cv_results_
    assert len(results["params"]) >= 2 and np.isfinite(results["test_score"]).all()
    best = search.best_estimator_
    assert best.n_iter_ == results["partial_fit_calls"][search.best_index_]
    np.testing.assert_allclose(search.best_score_, max(results["test_score"]))

"""AutoencoderOutlierDetector on messy data: constant features, wild scales, contaminated
training data, duplicates, tiny data, one feature."""

import warnings

import numpy as np
from sklearn.metrics import roc_auc_score

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer


def detector(**params):
    """The default detector, with a smaller autoencoder trained for fewer epochs."""
    ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(16,), scaling="standard", max_epochs=5)
    return AutoencoderOutlierDetector(ae.set_params(**params), random_state=0)


def blob_with_structure(n=300, seed=0):
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n, 2))
    X = np.column_stack([Z[:, 0], Z[:, 1], Z[:, 0] + Z[:, 1], Z[:, 0] - Z[:, 1]]) + 0.05 * rng.normal(size=(n, 4))
    return X


def test_constant_training_feature_moving_at_test_time_stays_finite_and_sane():
    X = blob_with_structure()
    Xc = np.column_stack([X, np.full(len(X), 7.0)])  # constant in training
    det = detector().fit(Xc)
    # the other features still give sensible scores: the constant column changes nothing
    ref = detector().fit(X)
    assert np.corrcoef(det.score_samples(Xc), ref.score_samples(X))[0, 1] > 0.9

    moved = Xc[:10].copy()
    moved[:, -1] = 8.0  # one unit off the training constant
    scores = det.score_samples(moved)
    errors = det.feature_errors(moved)
    assert np.isfinite(scores).all() and np.isfinite(errors).all()
    # PyOD's (x - mean) / (std + 1e-8) would put this feature at 1e8 (its square at 1e16).
    # Here the constant column keeps a scale of 1 and its residual scale is floored at 1 % of
    # the others': the move is flagged, but on the scale of the other features' errors.
    assert (errors[:, -1] > errors[:, :-1].max(axis=1)).all()
    assert errors[:, -1].max() < 1e4 * det.feature_errors(Xc).mean()
    assert (det.predict(moved) == -1).all()
    # unmoved rows are unaffected by that column
    np.testing.assert_allclose(det.feature_errors(Xc[:10])[:, -1], 0.0, atol=1e-3)


def test_wildly_different_scales_give_the_same_ranking():
    X = blob_with_structure()
    scales = np.array([1e-6, 1.0, 1e3, 1e6])
    det = detector().fit(X)
    wild = detector().fit(X * scales)
    # the standard scaling undoes the units: the network sees (nearly) the same numbers
    np.testing.assert_allclose(wild.score_samples(X * scales), det.score_samples(X), rtol=1e-3, atol=1e-4)


def test_training_data_with_outliers():
    rng = np.random.RandomState(1)
    X = blob_with_structure(400, seed=1)
    y = np.zeros(len(X), dtype=int)
    idx = rng.choice(len(X), 40, replace=False)  # 10 % of the training rows break the structure
    X[idx, 2:] += rng.choice([-3.0, 3.0], size=(40, 2))
    y[idx] = 1
    det = detector().fit(X)
    assert roc_auc_score(y, -det.score_samples(X)) > 0.95
    det10 = detector().set_params(contamination=0.1).fit(X)
    flagged = det10.predict(X) == -1
    assert flagged[y == 1].mean() > 0.8


def test_duplicate_rows():
    X = blob_with_structure(40)
    X_dup = np.repeat(X, 5, axis=0)
    det = detector().fit(X_dup)
    scores = det.score_samples(X_dup)
    assert np.isfinite(scores).all()
    # duplicates score alike
    np.testing.assert_allclose(scores.reshape(40, 5), scores.reshape(40, 5)[:, :1].repeat(5, 1))


def test_all_rows_identical():
    X = np.tile([1.0, -2.0, 3.0], (50, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        det = detector().fit(X)
    assert np.isfinite(det.score_samples(X)).all()
    # every training row is the same: none is an outlier
    assert (det.predict(X) == 1).all()
    far = det.score_samples([[1.0, -2.0, 13.0]])
    assert np.isfinite(far).all() and far[0] < det.score_samples(X[:1])[0]


def test_fewer_rows_than_batch_size():
    X = blob_with_structure(12)
    det = detector(batch_size=64).fit(X)
    assert det.predict(X).shape == (12,)
    assert np.isfinite(det.score_samples(X)).all()


def test_one_feature():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 1))
    assert AutoencoderOutlierDetector(random_state=0).fit(X).predict([[0.0], [8.0]]).tolist() == [1, -1]
    det = AutoencoderOutlierDetector(random_state=0, measure="distance").fit(X)
    assert det.estimators_[0].n_components_ == 1  # the default autoencoder: min(2, n_features) codes
    grid = np.linspace(-5, 5, 41)[:, None]
    scores = det.score_samples(grid)
    # with one feature the autoencoder can copy its input: the code distance carries the
    # score, which must fall with the distance from the bulk on both sides
    centre = np.abs(grid[:, 0] - X.mean()).argmin()
    assert (np.diff(scores[: centre + 1]) >= -1e-9).all() and (np.diff(scores[centre:]) <= 1e-9).all()
    assert det.predict([[0.0], [8.0]]).tolist() == [1, -1]


def test_auto_threshold_with_a_majority_of_identical_rows():
    # 150 copies of one row and 100 distinct rows: the MAD of all the training scores is 0, and a
    # threshold of median - 2 * 1.4826 * MAD would flag nearly every distinct row
    X = blob_with_structure(101, seed=2)
    X_dup = np.vstack([np.repeat(X[:1], 150, axis=0), X[1:]])
    # the default: the repeated row's neighbours are its copies (distance 0), and nothing breaks
    labels = AutoencoderOutlierDetector(random_state=0).fit(X_dup).predict(X_dup)
    assert not (labels[:150] == -1).any() and 0 < (labels[150:] == -1).sum() <= 15
    # "distance", whose training scores are the rows' scores afresh, against the threshold by hand
    det = AutoencoderOutlierDetector(random_state=0, measure="distance").fit(X_dup)
    scores = det.score_samples(X_dup)
    assert np.median(np.abs(scores - np.median(scores))) == 0
    # the reference: median and MAD of the distinct scores, each row of the repeated one counting once
    distinct = np.unique(scores)
    assert len(distinct) == 101
    median = np.median(distinct)
    np.testing.assert_allclose(det.offset_, median - 2 * 1.4826 * np.median(np.abs(distinct - median)))
    flagged = det.predict(X_dup) == -1
    assert not flagged[:150].any()
    # a few of the 100, not nearly all of them (the MAD of all the scores flagged 99)
    assert 0 < flagged[150:].sum() <= 15

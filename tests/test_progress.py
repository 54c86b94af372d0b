"""Progress output (verbose) and interrupted fits (Ctrl-C) leave a usable model."""

import dataclasses
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, ProgressBar

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ROW = re.compile(r"^\s*(\d+)\s+([-\d.]+)\s+([-\d.]+)?")


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:300]


def _ae(**params):
    params = {"n_components": 3, "hidden_layer_sizes": (16,), "max_epochs": 4, "random_state": 0, **params}
    return AutoencoderTransformer(**params)


class Interrupt(Callback):
    """Raise KeyboardInterrupt (what Ctrl-C does) in epoch ``epoch``: at its end, or after ``batch`` batches."""

    def __init__(self, epoch, batch=None):
        self.epoch = epoch
        self.batch = batch

    def initialize(self):
        self.seen_ = 0
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if self.batch is not None and training and len(net.history) == self.epoch:
            self.seen_ += 1
            if self.seen_ == self.batch:
                raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if self.batch is None and len(net.history) == self.epoch:
            raise KeyboardInterrupt


def _with_interrupt(spec, interrupt_at):
    """``spec`` with the Ctrl-C callback added to its training callbacks."""
    if interrupt_at is None:
        return spec
    return dataclasses.replace(spec, callbacks=(*spec.callbacks, ("interrupt", Interrupt(**interrupt_at))))


class InterruptedAE(AutoencoderTransformer):
    """The transformer with a callback that presses Ctrl-C (set ``interrupt_at`` before fitting)."""

    interrupt_at = None

    def _network_spec(self, n_features):
        return _with_interrupt(super()._network_spec(n_features), self.interrupt_at)


def _interrupted(interrupt_at, **params):
    params = {"n_components": 3, "hidden_layer_sizes": (16,), "max_epochs": 10, "random_state": 0, **params}
    ae = InterruptedAE(**params)
    ae.interrupt_at = interrupt_at
    return ae


def test_verbose_0_prints_nothing(X, capsys):
    _ae(verbose=0).fit(X)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_verbose_1_prints_one_row_per_epoch(X, capsys):
    ae = _ae(verbose=1).fit(X)
    out, err = capsys.readouterr()
    out = ANSI.sub("", out)
    header = out.splitlines()[0].split()
    assert header[:3] == ["epoch", "train_loss", "valid_loss"]
    rows = [ROW.match(line) for line in out.splitlines()]
    rows = [m for m in rows if m]
    assert [int(m.group(1)) for m in rows] == list(range(1, ae.n_iter_ + 1))
    # the printed numbers are the recorded losses
    np.testing.assert_allclose([float(m.group(2)) for m in rows], ae.loss_curve_, atol=6e-5)
    np.testing.assert_allclose([float(m.group(3)) for m in rows], ae.validation_loss_curve_, atol=6e-5)
    assert "it/s" not in err  # no progress bar at verbose=1


def test_verbose_2_adds_skorch_progress_bar(X, capsys):
    ae = _ae(verbose=2, max_epochs=2).fit(X)
    out, err = capsys.readouterr()
    assert any(isinstance(cb, ProgressBar) for _, cb in ae.net_.callbacks_)
    assert "epoch" in ANSI.sub("", out)
    assert err.strip() != ""  # tqdm writes the bar to stderr


def test_interrupt_at_epoch_end_keeps_the_weights_reached(X):
    ae = _interrupted({"epoch": 3}, early_stopping=False)
    with pytest.warns(UserWarning, match=r"interrupted after 3 of 10 epochs.*usable"):
        ae.fit(X)
    check_is_fitted(ae)
    assert ae.n_iter_ == 3 and ae.loss_curve_.shape == (3,)
    # the same weights as a fit that was asked for 3 epochs
    reference = _ae(max_epochs=3, early_stopping=False).fit(X)
    np.testing.assert_array_equal(ae.transform(X), reference.transform(X))
    np.testing.assert_array_equal(ae.loss_curve_, reference.loss_curve_)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("epoch", [1, 3])
def test_interrupt_inside_an_epoch_leaves_a_usable_model(X, epoch, early_stopping):
    ae = _interrupted({"epoch": epoch, "batch": 1}, early_stopping=early_stopping, batch_size=32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ae.fit(X)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any("interrupted" in m and "usable" in m for m in messages), messages
    check_is_fitted(ae)
    # the attributes count the complete epochs only, consistently
    assert ae.n_iter_ == epoch - 1
    assert ae.loss_curve_.shape == (ae.n_iter_,)
    if early_stopping:
        assert ae.validation_loss_curve_.shape == (ae.n_iter_,)
    codes = ae.transform(X)
    assert codes.shape == (len(X), 3) and np.isfinite(codes).all()
    assert np.isfinite(ae.inverse_transform(codes)).all()
    assert np.isfinite(ae.score(X))


class InterruptedAtEpoch2(InterruptedAE):
    """Every copy of it (``clone`` keeps class attributes) presses Ctrl-C in its second epoch."""

    interrupt_at = {"epoch": 2}


@pytest.mark.parametrize("filters", ["always", "ignore"])
def test_one_interrupt_stops_the_whole_detector_fit(X, filters):
    member = InterruptedAtEpoch2(n_components=3, hidden_layer_sizes=(16,), max_epochs=10, early_stopping=False)
    det = AutoencoderOutlierDetector(member, n_estimators=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter(filters)
        det.fit(X)
    # one Ctrl-C: the first copy stops, and no further copy is trained
    assert len(det.estimators_) == 1 and det.estimators_[0].n_iter_ == 2
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if filters == "always":
        # the copy's own warning, passed on once, and the detector's
        assert sum("interrupted after 2 of 10 epochs" in m for m in messages) == 1, messages
        assert sum("copy 1 of 3" in m and "usable" in m for m in messages) == 1, messages
    else:
        assert messages == []  # the user's filters still apply
    # a usable detector: the one a single-copy fit (same seed, same interruption) gives
    single = AutoencoderOutlierDetector(member, n_estimators=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single.fit(X)
    np.testing.assert_array_equal(det.score_samples(X), single.score_samples(X))
    assert det.offset_ == single.offset_
    assert ((det.predict(X) == -1).mean()) < 0.2


class InterruptedVAE(VAETransformer):
    """The VAE with a callback that presses Ctrl-C (set ``interrupt_at`` before fitting)."""

    interrupt_at = None

    def _network_spec(self, n_features):
        return _with_interrupt(super()._network_spec(n_features), self.interrupt_at)


VAE_PARAMS = {"n_components": 3, "hidden_layer_sizes": (16,), "kl_warmup_epochs": 4, "random_state": 0}


def test_interrupted_vae_keeps_the_weights_reached_and_warns(X):
    vae = InterruptedVAE(max_epochs=10, early_stopping=False, **VAE_PARAMS)
    vae.interrupt_at = {"epoch": 3}
    with pytest.warns(UserWarning, match=r"interrupted after 3 of 10 epochs.*usable"):
        vae.fit(X)
    check_is_fitted(vae)
    assert vae.n_iter_ == 3 and vae.loss_curve_.shape == (3,)
    assert vae.net_.criterion_.warmup == 1.0  # the KL warm-up factor is reset for inference
    # the same model as a fit that was asked for 3 epochs
    reference = VAETransformer(max_epochs=3, early_stopping=False, **VAE_PARAMS).fit(X)
    np.testing.assert_array_equal(vae.transform(X), reference.transform(X))
    np.testing.assert_array_equal(vae.score_samples(X), reference.score_samples(X))
    np.testing.assert_array_equal(vae.noise_variance_, reference.noise_variance_)
    np.testing.assert_array_equal(vae.latent_activity_, reference.latent_activity_)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_vae_interrupted_inside_an_epoch_is_usable(X, early_stopping):
    vae = InterruptedVAE(max_epochs=10, early_stopping=early_stopping, batch_size=32, **VAE_PARAMS)
    vae.interrupt_at = {"epoch": 2, "batch": 1}
    with pytest.warns(UserWarning, match=r"interrupted after 1 of 10 epochs.*usable"):
        vae.fit(X)
    check_is_fitted(vae)
    assert vae.n_iter_ == 1 and vae.loss_curve_.shape == (1,)
    codes = vae.transform(X)
    assert codes.shape == (len(X), 3) and np.isfinite(codes).all()
    assert np.isfinite(vae.score_samples(X)).all() and np.isfinite(vae.sample(5, random_state=0)).all()


@pytest.mark.parametrize("call", [1, 2])
def test_interrupted_partial_fit_reraises_and_leaves_the_model_as_it_was(X, call):
    class Model(InterruptedAE):
        interrupt_at = {"epoch": call, "batch": 2}  # Ctrl-C in the epoch of the call-th partial_fit

    model = Model(n_components=3, hidden_layer_sizes=(16,), batch_size=32, random_state=0)
    if call == 2:
        model.partial_fit(X)
        loss_curve, weights = (
            model.loss_curve_.copy(),
            {k: v.clone() for k, v in model.net_.module_.state_dict().items()},
        )
    with pytest.raises(KeyboardInterrupt, match="partial_fit was interrupted"):
        model.partial_fit(X)
    if call == 1:  # the first call fixed nothing
        assert not hasattr(model, "network_") and not hasattr(model, "n_samples_seen_")
        return
    # only the completed call counts, the weights are those after it, and the model is usable
    assert model.n_samples_seen_ == len(X) and model.n_iter_ == 1
    np.testing.assert_array_equal(model.loss_curve_, loss_curve)
    assert all(torch.equal(v, weights[k]) for k, v in model.net_.module_.state_dict().items())
    assert np.isfinite(model.transform(X)).all()

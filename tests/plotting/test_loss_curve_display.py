"""LossCurveDisplay draws the curves of the training history."""

import numpy as np
import pytest

from sklearn_ae.plotting import LossCurveDisplay


def test_loss_curve_matches_history(digits_xy, make_ae):
    X, _ = digits_xy
    ae = make_ae(2, max_epochs=6, n_iter_no_change=2).fit(X)
    disp = LossCurveDisplay.from_estimator(ae)
    np.testing.assert_allclose(disp.lines_["train_loss"].get_ydata(), ae.loss_curve_)
    np.testing.assert_allclose(disp.lines_["valid_loss"].get_ydata(), ae.validation_loss_curve_)
    np.testing.assert_array_equal(disp.lines_["train_loss"].get_xdata(), np.arange(1, ae.n_iter_ + 1))
    best = int(np.argmin(ae.validation_loss_curve_)) + 1
    assert disp.best_epoch == best
    assert disp.best_line_.get_xdata()[0] == best
    assert disp.lines_["valid_loss"].get_linestyle() == "--"
    assert disp.ax_.get_xlabel() == "epoch"
    # the same from the history itself, or from the skorch net
    for display in (LossCurveDisplay.from_history(ae.net_.history), LossCurveDisplay.from_estimator(ae.net_)):
        assert display.best_epoch == best
        np.testing.assert_allclose(display.lines_["valid_loss"].get_ydata(), ae.validation_loss_curve_)


def test_loss_curve_marks_the_start_when_no_epoch_beat_it(digits_xy, make_ae):
    X, _ = digits_xy
    ae = make_ae(4, lr=0.5, max_epochs=3).fit(X)  # a wrecking lr: the PCA start keeps the lowest validation loss
    assert ae.best_epoch_ == 0
    disp = LossCurveDisplay.from_estimator(ae)
    assert disp.best_epoch == 0 and disp.best_line_.get_xdata()[0] == 0


def test_loss_curve_without_validation_and_errors(digits_xy, fitted, make_ae):
    X, _ = digits_xy
    ae = make_ae(2, max_epochs=3, early_stopping=False).fit(X)
    disp = LossCurveDisplay.from_estimator(ae, log_scale=True)
    assert list(disp.lines_) == ["train_loss"] and disp.best_line_ is None
    assert disp.ax_.get_yscale() == "log"
    with pytest.raises(TypeError, match="no training history"):
        LossCurveDisplay.from_estimator(fitted["pca"])


def test_loss_curve_shows_vae_parts(vae):
    disp = LossCurveDisplay.from_estimator(vae)
    history = vae.net_.history
    for key in ("train_loss", "valid_loss", "train_reconstruction", "train_kl", "valid_kl"):
        assert key in disp.lines_, key
        np.testing.assert_allclose(disp.lines_[key].get_ydata(), history[:, key])
    # the parts are thinner lines in their own colours
    assert disp.lines_["train_kl"].get_color() != disp.lines_["train_loss"].get_color()
    assert disp.lines_["train_kl"].get_color() == disp.lines_["valid_kl"].get_color()
    only_total = LossCurveDisplay.from_estimator(vae, parts=False)
    assert set(only_total.lines_) == {"train_loss", "valid_loss"}


# --------------------------------------------------------------- from_history
def test_from_history_of_dicts():
    history = [
        {"epoch": 1, "train_loss": 3.0, "valid_loss": 2.0, "valid_loss_best": True, "train_batch_count": 4, "dur": 0.1},
        {"epoch": 2, "train_loss": 2.0, "valid_loss": 1.0, "valid_loss_best": True, "train_kl": 0.5},
        {"epoch": 3, "train_loss": 1.0, "valid_loss": 1.5, "valid_loss_best": False, "train_kl": 0.4},
    ]
    disp = LossCurveDisplay.from_history(history, name="net")
    # total loss first, training before validation; no batch counts, durations or flags
    assert list(disp.curves) == ["train_loss", "valid_loss", "train_kl"]
    np.testing.assert_array_equal(disp.curves["train_kl"], [np.nan, 0.5, 0.4])  # NaN where an epoch lacks a value
    np.testing.assert_array_equal(disp.epochs, [1, 2, 3])
    assert disp.best_epoch == 2 and disp.best_line_.get_xdata()[0] == 2
    assert disp.ax_.get_title() == "net training history"
    np.testing.assert_array_equal(LossCurveDisplay.from_estimator(history).curves["valid_loss"], [2.0, 1.0, 1.5])
    with pytest.raises(ValueError, match="history of net is empty"):
        LossCurveDisplay.from_history([], name="net")

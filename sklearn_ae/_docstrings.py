"""Parameter documentation shared by the estimators, written once.

An estimator's docstring holds a line ``%(name)s`` (indented as a parameter)
where the fragment ``name`` of :data:`FRAGMENTS` belongs; :func:`fill_doc`
puts it there.
"""

import re

FRAGMENTS = {
    "optimization": """\
    optimizer : {"adam", "adamw", "rmsprop", "sgd"} or torch optimizer class, \
            default="adam"
        Optimizer, by name or class (its ``lr`` and ``weight_decay`` are set
        from the parameters below).

    lr : float, default=1e-3
        Learning rate.

    weight_decay : float, default=0.0
        Weight decay (L2 penalty) passed to the optimizer.

    batch_size : int, default=128
        Rows per training batch. A batch larger than the data is the data.
""",
    "early_stopping": """\
    early_stopping : bool, default=True
        Hold out a seeded random ``validation_fraction`` of the rows and stop
        when the validation loss (the training loss on the held-out rows)
        has not improved by a relative ``tol`` for ``n_iter_no_change``
        epochs. The weights kept are those with the lowest validation loss,
        the starting weights (epoch 0, for instance the PCA solution)
        included, so the fitted model is never worse than its start on the
        validation rows (``best_epoch_``). Without early stopping the last
        epoch's weights are kept, whatever their loss.

    validation_fraction : float, default=0.1
        Fraction of rows held out for early stopping.

    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.

    tol : float, default=1e-4
        Relative improvement of the validation loss that counts as progress.

    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to train and infer; ``"auto"`` takes CUDA when available. A
        model fitted on a GPU unpickles on a machine without one.
""",
    "denoising": """\
    noise : {None, "gaussian", "masking"}, default=None
        Denoising: in training only, the network sees a corrupted copy of
        each batch and is trained to reconstruct the clean one. The
        corruption is defined in the input's own units, whatever the
        ``scaling``: ``"gaussian"`` adds to each feature normal noise of
        standard deviation ``noise_level`` times that feature's training
        standard deviation (a feature constant in training gets none);
        ``"masking"`` sets each entry, with probability ``noise_level``, to
        ``mask_value``, as when images lose pixels. The noise is drawn from
        torch's random state seeded by ``random_state``; inference never
        adds it.

    noise_level : float, default=0.2
        For ``"gaussian"``, the noise's standard deviation relative to each
        feature's training standard deviation; for ``"masking"``, the
        probability (< 1) that an entry is masked.

    mask_value : float or "mean", default=0.0
        The value, in the input's units, that a masked entry takes:
        ``0.0`` (a lost pixel, a missing count), any other number, or
        ``"mean"``, each feature's training mean. Used only with
        ``noise="masking"``.
""",
}


def fill_doc(cls):
    """Class decorator: replace each ``%(name)s`` line of the docstring by ``FRAGMENTS[name]``."""
    cls.__doc__ = re.sub(r"^ *%\((\w+)\)s\n", lambda m: FRAGMENTS[m.group(1)], cls.__doc__, flags=re.M)
    return cls

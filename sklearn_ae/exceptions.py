"""The warnings that sklearn-ae raises, to filter or to catch.

Examples
--------
>>> import warnings
>>> from sklearn_ae.exceptions import PCAWorseWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("error", PCAWorseWarning)  # a fit worse than PCA becomes an error
"""

from collections.abc import Mapping


class PCAWorseWarning(UserWarning):
    """The fitted autoencoder reconstructs its training data worse than PCA with as many components.

    Raised at the end of :meth:`~sklearn_ae.AutoencoderTransformer.fit` (not
    after a ``partial_fit`` chunk); its message gives the ratio of the two
    training errors and what to change (see the user guide's
    :doc:`/user_guide/transformer`).
    """


class InconsistentVersionWarning(UserWarning):
    """A file read by :func:`~sklearn_ae.load` was written with other versions of the libraries that compute.

    The model loads (the format is the same), but sklearn-ae, torch or
    scikit-learn may compute differently in another version, so its outputs
    need not equal, bit for bit, those of the process that saved it. Like
    :class:`sklearn.exceptions.InconsistentVersionWarning` for pickles.

    Attributes
    ----------
    saved_versions : dict
        The versions that wrote the file, of the libraries that differ.
    current_versions : dict
        This process's versions of the same libraries.
    """

    def __init__(self, path: object, saved_versions: Mapping[str, str], current_versions: Mapping[str, str]) -> None:
        self.saved_versions, self.current_versions = dict(saved_versions), dict(current_versions)
        differences = ", ".join(
            f"{name} {saved_versions[name]} (now {current_versions[name]})" for name in saved_versions
        )
        super().__init__(
            f"{path} was written with {differences}. The model loads, but its outputs may differ from those of "
            "the process that saved it; refit, or save again with these versions, to be sure."
        )

    def __str__(self) -> str:
        return self.args[0]


__all__ = ["InconsistentVersionWarning", "PCAWorseWarning"]

"""The warnings that sklearn-ae raises, to filter or to catch.

Examples
--------
>>> import warnings
>>> from sklearn_ae.exceptions import PCAWorseWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("error", PCAWorseWarning)  # a fit worse than PCA becomes an error
"""


class PCAWorseWarning(UserWarning):
    """The fitted autoencoder reconstructs its training data worse than PCA with as many components.

    Raised at the end of :meth:`~sklearn_ae.AutoencoderTransformer.fit` (not
    after a ``partial_fit`` chunk); its message gives the ratio of the two
    training errors and what to change (see the user guide's
    :doc:`/user_guide/transformer`).
    """


__all__ = ["PCAWorseWarning"]

"""Distances to the k-th nearest training row: the detector's neighbour measures.

A row is scored by its Euclidean distance to its ``k``-th nearest neighbour
among a reference set of training rows (in the detector's standardised
input space, or in a member's whitened code space), as PyOD's ``KNN()``
does. The reference is the training rows, or a fixed random sample of at
most :data:`MAX_REFERENCE` of them, so that memory and time per scored row
stay bounded on large training sets; scikit-learn's ``NearestNeighbors``
does the search (in chunks of its ``working_memory``).

The training rows' own distances leave the row itself out (a reference row
is not its own neighbour), so that the threshold on training scores is not
set by distances of 0.
"""

from typing import Any, NamedTuple

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ._typing import NDArray

# The most training rows kept as the neighbour reference: beyond it a random sample (memory and time per row).
MAX_REFERENCE = 10_000


class Reference(NamedTuple):
    """The rows neighbours are searched among, and which training rows they are."""

    rows: Any  # (n_reference, n_dims), float64; in the detector, a list of such arrays (one per space)
    index: Any  # (n_reference,): positions of those rows among the training rows, increasing (None: unknown)


def reference_sample(n_rows: int, rng: np.random.RandomState, max_rows: int = MAX_REFERENCE) -> NDArray:
    """Sorted positions of the training rows kept as the reference: all of them, or ``max_rows`` at random."""
    if n_rows <= max_rows:
        return np.arange(n_rows)
    return np.sort(rng.choice(n_rows, size=max_rows, replace=False))


def searcher(reference: NDArray, k: int) -> NearestNeighbors:
    """A search among ``reference`` for up to ``k + 1`` neighbours (one more: a training row may find itself)."""
    return NearestNeighbors(n_neighbors=min(k + 1, len(reference))).fit(reference)


def kth_distance(reference: NDArray, rows: NDArray, k: int, search: NearestNeighbors | None = None) -> NDArray:
    """Distance of each of ``rows`` to its ``k``-th nearest row of ``reference`` (fewer rows: the farthest).

    ``search``: :func:`searcher` of ``reference``, to reuse across batches of rows.
    """
    k = min(k, len(reference))
    search = searcher(reference, k) if search is None else search
    return search.kneighbors(np.asarray(rows, dtype=np.float64), n_neighbors=k, return_distance=True)[0][:, -1]


def training_kth_distance(
    reference: Reference, rows: NDArray, positions: NDArray, k: int, search: NearestNeighbors | None = None
) -> NDArray:
    """:func:`kth_distance` of training ``rows`` (at ``positions`` among the training rows), leaving each out.

    A reference row finds itself at distance 0 among its nearest rows: its
    ``k``-th neighbour other than itself is one further down the list.
    """
    n_reference = len(reference.rows)
    if n_reference < 2:
        return np.zeros(len(rows))
    k_self = min(k + 1, n_reference)
    search = searcher(reference.rows, k) if search is None else search
    distances = search.kneighbors(np.asarray(rows, dtype=np.float64), n_neighbors=k_self, return_distance=True)[0]
    in_reference = np.isin(positions, reference.index)
    return np.where(in_reference, distances[:, k_self - 1], distances[:, min(k, n_reference) - 1])

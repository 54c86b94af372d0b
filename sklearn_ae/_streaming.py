"""Out-of-core data: arrays on disk read a block of rows at a time.

A ``numpy.memmap``, an ``h5py.Dataset``, a ``zarr`` array, or any 2-D
object with ``.shape``, a numeric ``.dtype`` and row slicing, is never
converted to one in-memory array. :class:`StreamedArray` wraps it and
validates each block it reads (2-D, numeric, finite); the scaling
statistics, the PCA start, training and inference all read it through
row slices.

Training reads it through :func:`make_loader`: the rows are visited in the
order of one random permutation of all of them (the permutation the
in-memory path draws), grouped by block of contiguous rows and the blocks
in a random order, so that each block is read from disk once per epoch and
one block is held at a time (with the rows waiting for the next batch).
When the data fits in one block the batches are exactly the in-memory ones.
"""

import mmap
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import validate_data

from ._data import ScaledDataset, Targets, autoencoder_batch, iter_row_batches, scale_rows
from ._typing import ArrayLike, NDArray

# Bytes of float32 rows per block read from disk for training: a block is read once per epoch.
BLOCK_BYTES = 2**24


def _unreadable(X: Any, exc: Exception) -> ValueError:
    """The error for an on-disk array that its library cannot read (a closed h5py file, a missing zarr chunk)."""
    return ValueError(
        f"X, a {type(X).__module__.split('.')[0]} {type(X).__name__}, cannot be read: {exc} "
        "(is its file still open and readable?)"
    )


def is_streamed(X: object) -> bool:
    """Whether ``X`` is trained on out of core: a memmap, or a 2-D non-numpy array with a numeric dtype."""
    if isinstance(X, np.memmap):
        return True
    if isinstance(X, np.ndarray) or sp.issparse(X):
        return False
    try:
        if not hasattr(X, "shape") or not hasattr(X, "dtype"):
            return False
    except (OSError, RuntimeError, KeyError, ValueError) as exc:  # h5py raises these for a closed file
        raise _unreadable(X, exc) from exc
    if hasattr(X, "columns") or hasattr(X, "__dataframe__") or isinstance(X, torch.Tensor):
        return False  # dataframes and tensors go through scikit-learn's validation
    if type(X).__module__.split(".")[0] == "dask":
        return False  # a dask array is read by scikit-learn (or map_blocks / dask-ml, see the user guide)
    try:
        return len(X.shape) == 2 and np.dtype(X.dtype).kind in "biuf"
    except TypeError:
        return False


class StreamedArray:
    """Row slices of an out-of-core 2-D array, validated as they are read.

    ``dtype`` is float32 or float64 (the input's, or float64 for integer
    input); each slice is an in-memory ndarray of that dtype, checked to be
    finite. Only basic slices and integer arrays of rows are supported.
    """

    def __init__(self, X: Any) -> None:
        if len(X.shape) != 2:
            raise ValueError(f"Expected a 2D array, got an array of shape {tuple(X.shape)} instead.")
        if X.shape[0] < 1:
            raise ValueError(f"Found array with 0 sample(s) (shape={tuple(X.shape)}) while a minimum of 1 is required.")
        if X.shape[1] < 1:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a minimum of 1 is required."
            )
        self.X = X
        self.shape = tuple(int(n) for n in X.shape)
        kind = np.dtype(X.dtype)
        if kind.kind == "c":
            raise ValueError(f"Complex data not supported: X on disk has dtype {kind}.")
        if kind.kind not in "biuf":
            raise ValueError(f"X on disk must hold numbers, got dtype {kind}.")
        self.dtype = kind if kind in (np.float32, np.float64) else np.dtype(np.float64)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> NDArray:
        try:
            block = _read_rows(self.X, self.shape, rows)
        except (OSError, RuntimeError, KeyError) as exc:  # what h5py and zarr raise for a file they cannot read
            raise _unreadable(self.X, exc) from exc
        block = np.array(block, dtype=self.dtype)  # a copy in memory, not a view of the file
        _release_mapped_pages(self.X)
        if not np.isfinite(block).all():
            what = "NaN" if np.isnan(block).any() else f"infinity or a value too large for {self.dtype!r}"
            raise ValueError(f"Input X contains {what}.")
        return block


def _read_rows(X: Any, shape: tuple, rows: Any) -> Any:
    if isinstance(rows, slice):
        return X[rows]
    # h5py and zarr read sorted rows; memmaps any
    rows = np.asarray(rows)
    order = np.argsort(rows, kind="stable")
    block = np.empty((len(rows), shape[1]), dtype=np.dtype(X.dtype))
    if len(rows):
        block[order] = X[rows[order]]
    return block


def _release_mapped_pages(X: Any) -> None:
    """Drop a shared memory map's pages from the process's resident memory (the page cache keeps them).

    Read pages of a ``numpy.memmap`` stay resident, and counted in the
    process's RSS, until the kernel needs the memory: after each block is
    copied they are released with ``madvise(MADV_DONTNEED)``, so that the
    resident memory of a pass over a file stays bounded. Only for shared
    maps (modes ``"r"`` and ``"r+"``, whose data lives in the file and the
    page cache); a copy-on-write map (``"c"``) keeps its pages.
    """
    mapping = getattr(X, "_mmap", None)
    if mapping is not None and getattr(X, "mode", None) in ("r", "r+") and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def check_streamed(estimator: Any, X: Any, *, reset: bool) -> "StreamedArray":
    """:class:`StreamedArray` of ``X``, with ``n_features_in_`` set (``reset``) or checked, as ``validate_data``."""
    X = StreamedArray(X)
    validate_data(estimator, X, skip_check_array=True, reset=reset)
    return X


class StreamedDataset(torch.utils.data.Dataset):
    """The scaled rows of a :class:`StreamedArray`, read by :func:`make_loader` a block at a time.

    ``block(i)`` is the float32 tensor of rows ``[i * block_rows, (i + 1) * block_rows)``, scaled.
    """

    def __init__(self, X: StreamedArray, offset: NDArray, scale: NDArray, block_rows: int) -> None:
        self.X, self.offset, self.scale, self.block_rows = X, offset, scale, block_rows

    def __len__(self) -> int:
        return self.X.shape[0]

    def block(self, i: int) -> torch.Tensor:
        rows = self.X[i * self.block_rows : (i + 1) * self.block_rows]
        out = np.empty(rows.shape, dtype=np.float32)
        for start in range(0, len(rows), 4096):  # float64 arithmetic, as in memory, 4096 rows at a time
            out[start : start + 4096] = scale_rows(rows[start : start + 4096], self.offset, self.scale)
        return torch.from_numpy(out)

    def __getitems__(
        self, indices: list[int]
    ) -> tuple[torch.Tensor, Targets]:  # random access, for completeness (training reads blocks)
        return autoencoder_batch(torch.from_numpy(scale_rows(self.X[np.asarray(indices)], self.offset, self.scale)))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Targets]:
        X, y = self.__getitems__([index])
        return X[0], y.row(0)


def block_rows_for(n_features: int, batch_size: int) -> int:
    """Rows per training block: about :data:`BLOCK_BYTES` of float32, at least one batch."""
    return max(batch_size, BLOCK_BYTES // (4 * n_features))


def make_loader(
    dataset: Any, batch_size: int, shuffle: bool = False, collate_fn: Callable[..., Any] | None = None, **kwargs: Any
) -> Iterable[Any]:
    """skorch's ``iterator_train`` and ``iterator_valid``: a ``DataLoader``, or a :class:`BlockLoader` (on disk)."""
    base = dataset.dataset if isinstance(dataset, torch.utils.data.Subset) else dataset
    if isinstance(base, StreamedDataset):
        return BlockLoader(dataset, batch_size, shuffle)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate_fn, **kwargs)


class BlockLoader:
    """Batches of a :class:`StreamedDataset` (or a ``Subset`` of one), each block read once per pass.

    With ``shuffle`` it draws from torch's global generator the permutation
    of the rows that the in-memory path draws (``_net.RowBatches``). The
    rows are then grouped by block, the blocks in the order of their first
    row in the permutation (a stable grouping: within a block the rows keep
    the permutation's order), and cut into batches, which may span
    consecutive blocks. Without ``shuffle`` the rows are grouped by block in
    their order. With one block, the batches are exactly the in-memory
    path's. One block is held at a time, with the
    rows taken from it that wait for the next batch.
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = False) -> None:
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, Targets]]:
        base: Any  # a StreamedDataset
        if isinstance(self.dataset, torch.utils.data.Subset):
            base, rows = self.dataset.dataset, np.asarray(self.dataset.indices)
        else:
            base, rows = self.dataset, np.arange(len(self.dataset))
        index = np.int32 if len(base) < 2**31 else np.int64  # row numbers: 4 bytes per row where they fit
        rows = rows.astype(index)
        if self.shuffle:
            # the permutation that the in-memory path draws (_net.RowBatches), from torch's global generator;
            # the blocks then come in the order of their first row in it (random, and no further draw)
            rows = rows[torch.randperm(len(rows)).numpy()]
            blocks = rows // base.block_rows
            present, first = np.unique(blocks, return_index=True)
            rank = np.empty(present.max() + 1, dtype=index)
            rank[present] = np.argsort(np.argsort(first))
            order = np.argsort(rank[blocks], kind="stable")
        else:
            order = np.argsort(rows // base.block_rows, kind="stable")
        rows = rows[order]
        del order
        blocks = rows // base.block_rows
        # one block in memory at a time: its rows (in the stream's order) join the pending rows, cut into batches
        starts = np.flatnonzero(np.diff(blocks, prepend=-1))
        pending = torch.empty((0, base.X.shape[1]), dtype=torch.float32)
        for start, stop in zip(starts, [*starts[1:], len(rows)], strict=True):
            b = blocks[start]
            block = base.block(b)
            taken = block[torch.from_numpy((rows[start:stop] - b * base.block_rows).astype(np.int64))]
            del block
            pending = torch.cat([pending, taken]) if len(pending) else taken
            full = len(pending) - len(pending) % self.batch_size
            for i in range(0, full, self.batch_size):
                yield autoencoder_batch(pending[i : i + self.batch_size])
            pending = pending[full:].clone()
        if len(pending):
            yield autoencoder_batch(pending)


def dataset_for(X: Any, offset: NDArray, scale: NDArray, batch_size: int) -> ScaledDataset | StreamedDataset:
    """The training dataset of ``X``: in memory (:class:`ScaledDataset`) or streamed (:class:`StreamedDataset`)."""
    if isinstance(X, StreamedArray):
        return StreamedDataset(X, offset, scale, block_rows_for(X.shape[1], batch_size))
    return ScaledDataset(X, offset, scale)


class RunningMoments:
    """Mean and scatter matrix of rows given batch by batch (Chan et al.'s pairwise update), float64."""

    def __init__(self) -> None:
        self.n: int = 0
        self.mean: Any = None
        self.scatter: Any = None

    def update(self, Z: ArrayLike) -> None:
        Z = np.asarray(Z, dtype=np.float64)
        n, mean = len(Z), Z.mean(axis=0)
        scatter = (Z - mean).T @ (Z - mean)
        if self.n == 0:
            self.n, self.mean, self.scatter = n, mean, scatter
            return
        total = self.n + n
        delta = mean - self.mean
        self.scatter = self.scatter + scatter + np.outer(delta, delta) * (self.n * n / total)
        self.mean = self.mean + delta * (n / total)
        self.n = total


def streamed_rows(X: Any) -> Iterator[Any]:
    """Row slices of ``X``, a block (:data:`BLOCK_BYTES` of float32) each, for statistics over data on disk."""
    return iter_row_batches(X, max(2048, BLOCK_BYTES // (4 * X.shape[1])))

"""Type aliases of the signatures, as loose as scikit-learn's: the values are validated at run time.

``ArrayLike`` is whatever the estimators accept as rows (a list of lists, an
ndarray, a sparse matrix, a DataFrame, a memmap, an ``h5py``/``zarr`` dataset,
a :class:`~sklearn_ae._streaming.StreamedArray`); ``NDArray`` what they return.
"""

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

#: Rows or codes as the public methods accept them (checked by ``validate_data``).
ArrayLike: TypeAlias = Any
#: An ndarray that a method returns.
NDArray: TypeAlias = npt.NDArray[Any]
#: A ``random_state`` parameter.
RandomStateLike: TypeAlias = int | np.random.RandomState | np.random.Generator | None

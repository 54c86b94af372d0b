"""The input corruption of a denoising autoencoder: its description and the layer built from it.

:class:`CorruptionConfig` describes the noise (kind, level, and the fill or
scale vector in the scaled space); every module of :mod:`sklearn_ae.nn` takes
it as its one ``corruption`` argument and builds a :class:`Corruption` layer
from it, active in training mode only.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn


def _check_corruption(kind: str | None, level: float) -> None:
    """Raise ``ValueError`` unless ``kind`` and ``level`` describe a corruption."""
    if kind not in (None, "gaussian", "masking"):
        raise ValueError(f"Unknown noise {kind!r}; expected None, 'gaussian' or 'masking'.")
    if not level >= 0:
        raise ValueError(f"The noise level must be >= 0, got {level}.")
    if kind == "masking" and not level < 1:
        raise ValueError(f"noise='masking' needs noise_level < 1 (a probability), got {level}.")


def _frozen_vector(value: Any) -> Any:
    if value is None:
        return None
    vector = np.array(value, dtype=np.float32)  # a copy, which nobody can write to
    vector.setflags(write=False)
    return vector


@dataclass(frozen=True, eq=False)
class CorruptionConfig:
    """The input corruption of a denoising autoencoder, as one value: the modules' ``corruption`` argument.

    Every module of :mod:`sklearn_ae.nn` takes ``corruption=`` (None: no
    corruption) and builds from it its :class:`Corruption` layer,
    ``module.corruption``. The values are in the space the network sees
    (the estimators set ``fill`` or ``scale`` from the fitted scaling).
    Frozen, and compared by value.

    Parameters
    ----------
    kind : {None, "gaussian", "masking"}, default=None
        ``"gaussian"`` adds normal noise of standard deviation
        ``level * scale``; ``"masking"`` sets each entry, with probability
        ``level``, to ``fill``. None is the identity.
    level : float, default=0.0
        The noise level: the relative standard deviation, or the masking
        probability (< 1). Stored as a float.
    fill : array-like of shape (n_features,) or None, default=None
        Value a masked entry takes, per feature; None is 0. Stored as a
        read-only float32 array.
    scale : array-like of shape (n_features,) or None, default=None
        Standard deviation of the Gaussian noise per feature, per unit of
        ``level``; None is 1. Stored as a read-only float32 array.

    Raises
    ------
    ValueError
        For an unknown ``kind``, a negative ``level``, or a masking
        probability of 1 or more.

    Examples
    --------
    >>> from sklearn_ae.nn import CorruptionConfig, DenseAutoencoder
    >>> net = DenseAutoencoder(3, 2, corruption=CorruptionConfig("masking", 0.5, fill=[9.0, 9.0, 9.0]))
    >>> net.corruption
    Corruption(kind='masking', level=0.5)
    """

    kind: str | None = None
    level: float = 0.0
    fill: Any = None
    scale: Any = None

    def __post_init__(self) -> None:
        _check_corruption(self.kind, self.level)
        object.__setattr__(self, "level", float(self.level))
        object.__setattr__(self, "fill", _frozen_vector(self.fill))
        object.__setattr__(self, "scale", _frozen_vector(self.scale))

    def _key(self):
        vectors = tuple(None if v is None else (v.shape, v.tobytes()) for v in (self.fill, self.scale))
        return (self.kind, self.level, *vectors)

    def __eq__(self, other):
        if not isinstance(other, CorruptionConfig):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


class Corruption(nn.Module):
    """Input noise of a denoising autoencoder, applied in training mode only.

    It acts in the space the network sees; ``fill`` and ``scale`` carry the
    user's units into it (the estimators set them from the fitted scaling).
    The modules of :mod:`sklearn_ae.nn` build theirs from their
    ``corruption`` argument, a :class:`CorruptionConfig`
    (:meth:`from_config`); its values become the buffers ``fill`` and
    ``scale`` (absent when None).
    Random numbers come from torch's current random state (the estimators
    seed it from ``random_state`` inside ``torch.random.fork_rng``).

    Parameters
    ----------
    kind : {None, "gaussian", "masking"}
        ``"gaussian"`` adds normal noise of standard deviation
        ``level * scale``; ``"masking"`` sets each entry, with probability
        ``level``, to ``fill``. None is the identity.
    level : float
        The noise level: the relative standard deviation, or the masking
        probability (< 1).
    fill : array-like of shape (n_features,) or None, default=None
        Value a masked entry takes, per feature; None is 0.
    scale : array-like of shape (n_features,) or None, default=None
        Standard deviation of the Gaussian noise per feature, per unit of
        ``level``; None is 1.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import Corruption
    >>> masking = Corruption("masking", 0.5, fill=[9.0, 9.0, 9.0]).train()
    >>> x = masking(torch.zeros(1000, 3))
    >>> set(x.unique().tolist()) == {0.0, 9.0}
    True
    """

    _seed: Any  # an int inside seeded(), else None
    _generator: torch.Generator | None
    fill: Any  # buffers: a float32 tensor, or None
    scale: Any

    def __init__(self, kind: str | None = None, level: float = 0.0, *, fill: Any = None, scale: Any = None) -> None:
        super().__init__()
        _check_corruption(kind, level)
        self.kind = kind
        self.level = float(level)
        self._seed, self._generator = None, None
        self.register_buffer("fill", None if fill is None else torch.as_tensor(fill, dtype=torch.float32))
        self.register_buffer("scale", None if scale is None else torch.as_tensor(scale, dtype=torch.float32))

    @classmethod
    def from_config(cls, config: CorruptionConfig | None) -> "Corruption":
        """The layer of a :class:`CorruptionConfig` (None: the identity), its buffers copies of the config's vectors.

        Raises ``TypeError`` for anything else, naming it.
        """
        if config is None:
            return cls()
        if not isinstance(config, CorruptionConfig):
            raise TypeError(f"corruption must be a CorruptionConfig or None, got {config!r}.")
        # writable copies: each buffer owns its memory (loading weights writes into it)
        fill, scale = (None if v is None else v.copy() for v in (config.fill, config.scale))
        return cls(config.kind, config.level, fill=fill, scale=scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind is None or self.level == 0 or not (self.training or self._seed is not None):
            return x
        generator = None
        if not self.training:
            if self._generator is None:
                self._generator = torch.Generator(device=x.device).manual_seed(self._seed)
            generator = self._generator
        if self.kind == "gaussian":
            noise = self.level * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
            return x + (noise if self.scale is None else noise * self.scale)
        keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= self.level
        return torch.where(keep, x, x.new_zeros(()) if self.fill is None else self.fill.to(x.dtype))

    @contextlib.contextmanager
    def seeded(self, seed: int) -> Iterator["Corruption"]:
        """Corrupt in evaluation mode too, with draws from a generator seeded by ``seed``, inside the block.

        The estimators score a denoiser's validation rows corrupted this way
        (the same corruption at every epoch), so that its validation loss is
        the loss it is trained on. Training mode keeps torch's current
        random state.
        """
        self._seed, self._generator = seed, None
        try:
            yield self
        finally:
            self._seed, self._generator = None, None

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, level={self.level}"

"""An autoencoder made of the user's own encoder and decoder modules."""

import inspect
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ._contracts import AutoencoderOutput
from ._corruption import Corruption, CorruptionConfig

SIZE_ARGUMENTS = ("n_features", "n_components")


def build_module(cls: Any, kwargs: dict[str, Any], **sizes: int) -> nn.Module:
    """Instantiate the user's module class ``cls`` with ``kwargs``.

    Each of ``sizes`` (``n_features``, ``n_components``) is passed too when
    ``cls`` accepts an argument of that name (or ``**kwargs``) and ``kwargs``
    does not already set it, so that a module can adapt to the data.
    """
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise TypeError(f"Expected a torch.nn.Module subclass, got {cls!r}.")
    try:
        params: Mapping[str, inspect.Parameter] = inspect.signature(cls).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        params = {}
    # nn.Module's own __init__ takes **kwargs but uses none: a class without an __init__ of its own takes nothing
    takes_any = cls.__init__ is not nn.Module.__init__ and any(p.kind == p.VAR_KEYWORD for p in params.values())
    kwargs = dict(kwargs)
    for name, value in sizes.items():
        if name not in kwargs and (takes_any or name in params):
            kwargs[name] = value
    return cls(**kwargs)


class CustomAutoencoder(nn.Module):
    """Wrap a user's encoder and decoder module classes as an autoencoder.

    ``encoder`` maps a batch of rows ``(n, n_features)`` to codes
    ``(n, n_components)``, ``decoder`` maps codes back to ``(n, n_features)``
    (any output shape holding ``n_features`` values per row is flattened).
    ``forward`` returns an :class:`~sklearn_ae.nn.AutoencoderOutput`.

    Parameters
    ----------
    encoder, decoder : subclass of torch.nn.Module
        The classes, instantiated here with ``encoder_kwargs`` and
        ``decoder_kwargs``, plus ``n_features`` and ``n_components`` for
        classes whose ``__init__`` accepts them (see :func:`build_module`).
    n_features, n_components : int
        Widths of the data and of the code.
    encoder_kwargs, decoder_kwargs : dict or None
        Keyword arguments of the two classes.
    corruption : CorruptionConfig or None, default=None
        Input corruption in training mode (the layer ``self.corruption``,
        see :class:`~sklearn_ae.nn.Corruption`); None: none.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklearn_ae.nn import CustomAutoencoder
    >>> class Encoder(nn.Module):
    ...     def __init__(self, n_features, n_components, width=16):
    ...         super().__init__()
    ...         self.net = nn.Sequential(nn.Linear(n_features, width), nn.Tanh(), nn.Linear(width, n_components))
    ...     def forward(self, x):
    ...         return self.net(x)
    >>> class Decoder(nn.Module):
    ...     def __init__(self, n_features, n_components):
    ...         super().__init__()
    ...         self.net = nn.Linear(n_components, n_features)
    ...     def forward(self, z):
    ...         return self.net(z)
    >>> net = CustomAutoencoder(Encoder, Decoder, 10, 2, encoder_kwargs={"width": 4})
    >>> out = net(torch.zeros(3, 10))
    >>> out.reconstruction.shape, out.code.shape
    (torch.Size([3, 10]), torch.Size([3, 2]))
    """

    def __init__(
        self,
        encoder: type[nn.Module],
        decoder: type[nn.Module],
        n_features: int,
        n_components: int,
        encoder_kwargs: dict[str, Any] | None = None,
        decoder_kwargs: dict[str, Any] | None = None,
        *,
        corruption: CorruptionConfig | None = None,
    ) -> None:
        super().__init__()
        sizes = {"n_features": n_features, "n_components": n_components}
        self.n_features, self.n_components = n_features, n_components
        self.corruption = Corruption.from_config(corruption)
        self.encoder = build_module(encoder, encoder_kwargs or {}, **sizes)
        self.decoder = build_module(decoder, decoder_kwargs or {}, **sizes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder(x)
        if z.ndim != 2 or z.shape[1] != self.n_components:
            raise ValueError(
                f"The custom encoder {type(self.encoder).__name__} returned codes of shape {tuple(z.shape)}; "
                f"expected (n_samples, {self.n_components}) (n_components)."
            )
        return z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = self.decoder(z)
        out = out.reshape(out.shape[0], -1)
        if out.shape[1] != self.n_features:
            raise ValueError(
                f"The custom decoder {type(self.decoder).__name__} returned {out.shape[1]} values per row; "
                f"expected {self.n_features} (n_features)."
            )
        return out

    def forward(self, x):
        z = self.encode(self.corruption(x))
        return AutoencoderOutput(self.decode(z), z)

"""Convolutional autoencoder for flattened images of any size."""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._corruption import CorruptionConfig
from ._dense import ACTIVATIONS, MirroredAutoencoder, TiedLinear


def parse_image_shape(image_shape: Sequence[int]) -> tuple[int, ...]:
    """``(C, H, W)`` from ``(H, W)`` or ``(C, H, W)`` of positive ints; ValueError otherwise."""
    shape = tuple(image_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or not all(isinstance(s, (int,)) or hasattr(s, "__index__") for s in shape):
        raise ValueError(f"image_shape must be (H, W) or (C, H, W) of positive ints, got {image_shape!r}.")
    shape = tuple(int(s) for s in shape)
    if min(shape) < 1:
        raise ValueError(f"image_shape must be (H, W) or (C, H, W) of positive ints, got {image_shape!r}.")
    return shape


def _padding(size: int, factor: int) -> tuple[int, int]:
    """(before, after) zero padding that brings ``size`` to the next multiple of ``factor``."""
    total = math.ceil(size / factor) * factor - size
    return total // 2, total - total // 2


class TiedConvTranspose2d(nn.Module):
    """The transposed convolution whose weight is a ``Conv2d``'s own (shared, not copied).

    A ``Conv2d`` weight of shape ``(out, in, kh, kw)`` is exactly the weight
    that ``conv_transpose2d`` expects to map ``out`` channels back to ``in``:
    the adjoint of the convolution. Only the bias is a parameter of its own.
    """

    def __init__(self, source, stride=2, padding=1, output_padding=1):
        super().__init__()
        self.source = source
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        bound = 1.0 / math.sqrt(source.weight[0].numel())
        self.bias = nn.Parameter(torch.empty(source.weight.shape[1]).uniform_(-bound, bound))

    @property
    def weight(self):
        return self.source.weight

    def forward(self, x):
        return F.conv_transpose2d(
            x, self.weight, self.bias, stride=self.stride, padding=self.padding, output_padding=self.output_padding
        )


class _ConvEncoder(nn.Module):
    """Strided 3x3 convolutions (each halves the padded image), then a linear map to the code."""

    def __init__(self, image_shape, channels, n_components, activation):
        super().__init__()
        C, H, W = image_shape
        factor = 2 ** len(channels)
        self.image_shape = image_shape
        self.pad_h, self.pad_w = _padding(H, factor), _padding(W, factor)
        Hp, Wp = H + sum(self.pad_h), W + sum(self.pad_w)
        layers, c_in = [], C
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), ACTIVATIONS[activation]()]
            c_in = c
        self.grid = (c_in, Hp // factor, Wp // factor)
        layers += [nn.Flatten(), nn.Linear(math.prod(self.grid), n_components)]
        self.net = nn.Sequential(*layers)
        self.n_hidden = len(channels)

    def _image(self, x):
        C, H, W = self.image_shape
        x = x.reshape(-1, C, H, W)
        return F.pad(x, (*self.pad_w, *self.pad_h))

    def forward(self, x):
        return self.net(self._image(x))

    def forward_hidden(self, x):
        h, hidden = self._image(x), []
        for i, layer in enumerate(self.net):
            h = layer(h)
            if i % 2 == 1 and i < 2 * self.n_hidden:
                hidden.append(h)
        return h, hidden

    def skip(self, x):
        return None

    def resume(self, h, i, skip):
        return self.net[2 * i + 2 :](h)

    def head(self, x, i):
        return self.net[: 2 * i + 2](self._image(x))


class _ConvDecoder(nn.Module):
    """A linear map from the code to the smallest grid, then 3x3 transposed convolutions that double it."""

    def __init__(self, encoder, channels, n_components, activation, tied):
        super().__init__()
        C, H, W = encoder.image_shape
        self.image_shape, self.pad_h, self.pad_w = encoder.image_shape, encoder.pad_h, encoder.pad_w
        enc_linear = encoder.net[-1]
        linear = TiedLinear(enc_linear) if tied else nn.Linear(n_components, math.prod(encoder.grid))
        layers = [linear]
        if channels:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Unflatten(1, encoder.grid))
        convs = [m for m in encoder.net if isinstance(m, nn.Conv2d)]
        outs = (C, *channels[:-1])
        for j in range(len(channels)):
            i = len(channels) - 1 - j  # the mirrored encoder convolution
            if tied:
                layers.append(TiedConvTranspose2d(convs[i]))
            else:
                layers.append(nn.ConvTranspose2d(channels[i], outs[i], 3, stride=2, padding=1, output_padding=1))
            if j < len(channels) - 1:
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        self.n_hidden = len(channels)

    def _crop(self, h):
        C, H, W = self.image_shape
        h = h[:, :, self.pad_h[0] : self.pad_h[0] + H, self.pad_w[0] : self.pad_w[0] + W]
        return h.reshape(h.shape[0], -1)

    def forward(self, z):
        return self._crop(self.net(z))

    def _hidden_at(self):
        # after the unflattened linear map, then after each activation of a transposed convolution
        return {2 * j + 2 for j in range(self.n_hidden)}

    def forward_hidden(self, z):
        h, hidden, at = z, [], self._hidden_at()
        for i, layer in enumerate(self.net):
            h = layer(h)
            if i in at:
                hidden.append(h)
        return self._crop(h), hidden

    def head(self, z, j):
        return self.net[: 2 * j + 3](z)


class ConvAutoencoder(MirroredAutoencoder):
    """Convolutional encoder and transposed-convolution decoder for flattened images.

    Rows are images flattened in C-order from ``(C, H, W)``. The encoder pads
    each image with zeros (evenly on both sides) to the next multiple of
    ``2 ** len(channels)`` in height and width, applies one 3x3 convolution
    of stride 2 per entry of ``channels`` (each halving the grid), and maps
    the last grid linearly to the code. The decoder mirrors it: a linear map
    to the last grid, 3x3 transposed convolutions of stride 2, and a crop back
    to ``(H, W)``. ``forward`` returns an :class:`~sklearn_ae.nn.AutoencoderOutput`,
    the reconstruction flattened as the input (with the layer pairs under ``match_layers``, see
    :class:`MirroredAutoencoder`).

    Parameters
    ----------
    n_features : int
        Width of the input, ``C * H * W``.
    n_components : int
        Width of the code.
    image_shape : tuple
        ``(H, W)`` or ``(C, H, W)``.
    channels : tuple of int
        Channels of the encoder's strided convolutions, input side first.
    activation : str
        A key of :data:`~sklearn_ae.nn.ACTIVATIONS`.
    corruption : CorruptionConfig or None, default=None
        Input corruption in training mode (the layer ``self.corruption``,
        see :class:`~sklearn_ae.nn.Corruption`); None: none.
    tied_weights : bool
        Each transposed convolution uses its mirrored convolution's weight
        (:class:`TiedConvTranspose2d`) and the decoder's linear map the
        transpose of the encoder's.
    match_layers : {None, "global", "local"}
        Also return the mirrored hidden feature maps from ``forward``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ConvAutoencoder
    >>> net = ConvAutoencoder(28 * 28, 8, image_shape=(28, 28), channels=(4, 8))
    >>> out = net(torch.zeros(5, 784))
    >>> out.reconstruction.shape, out.code.shape
    (torch.Size([5, 784]), torch.Size([5, 8]))
    """

    def __init__(
        self,
        n_features: int,
        n_components: int,
        image_shape: Sequence[int],
        channels: Sequence[int] = (32, 64),
        activation: str = "relu",
        *,
        corruption: CorruptionConfig | None = None,
        tied_weights: bool = False,
        match_layers: str | None = None,
    ) -> None:
        super().__init__(corruption=corruption, match_layers=match_layers)
        shape = parse_image_shape(image_shape)
        if math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={tuple(image_shape)!r} holds {math.prod(shape)} values per image, "
                f"but X has {n_features} features."
            )
        channels = tuple(int(c) for c in channels)
        self.encoder = _ConvEncoder(shape, channels, n_components, activation)
        self.decoder = _ConvDecoder(self.encoder, channels, n_components, activation, tied_weights)
        self._check_halves()

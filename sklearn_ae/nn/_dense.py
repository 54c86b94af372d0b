"""Dense encoder and decoder networks."""

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "selu": nn.SELU,
    "leaky_relu": nn.LeakyReLU,
    "identity": nn.Identity,
}


def make_mlp(sizes, activation="relu", zero_last=False):
    """A stack of ``nn.Linear`` layers with ``activation`` between them.

    ``sizes`` lists the widths from input to output; the last layer is
    linear. With ``zero_last`` its weight and bias start at zero, so the
    network's output starts at exactly zero.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(n_in, n_out))
    if zero_last:
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
    return nn.Sequential(*layers)


class LinearResidual(nn.Module):
    """``linear(x) + mlp(x)``: a linear map plus a nonlinear correction.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers of the nonlinear path.
    activation : str
        A key of :data:`ACTIVATIONS`.
    linear_path : bool
        With a linear path the nonlinear one starts at zero (its last layer is
        zero-initialised), so the whole map starts as the linear map, which
        :meth:`DenseAutoencoder.init_linear` sets to PCA's. Without one, the
        map is a plain multilayer perceptron.
    """

    def __init__(self, n_in, n_out, hidden_layer_sizes=(), activation="relu", linear_path=True):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        self.linear = nn.Linear(n_in, n_out) if linear_path else None
        if hidden or not linear_path:
            self.mlp = make_mlp((n_in, *hidden, n_out), activation, zero_last=linear_path)
        else:
            self.mlp = None

    def forward(self, x):
        if self.linear is None:
            return self.mlp(x)
        out = self.linear(x)
        return out if self.mlp is None else out + self.mlp(x)


class DenseAutoencoder(nn.Module):
    """Encoder and mirrored decoder of dense layers.

    ``forward`` returns ``(reconstruction, code)``; ``encode`` and ``decode``
    run one half.

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_components : int
        Width of the code (the bottleneck, linear).
    hidden_layer_sizes : tuple of int
        Encoder hidden widths, input side first; the decoder mirrors them.
    activation : str
        Hidden activation, a key of :data:`ACTIVATIONS`.
    linear_path : bool
        Add a linear path around each half (see :class:`LinearResidual`).
    """

    def __init__(self, n_features, n_components, hidden_layer_sizes=(), activation="relu", linear_path=True):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        self.encoder = LinearResidual(n_features, n_components, hidden, activation, linear_path)
        self.decoder = LinearResidual(n_components, n_features, hidden[::-1], activation, linear_path)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        z = self.encode(x)
        return self.decode(z), z

    @torch.no_grad()
    def init_linear(self, components, mean):
        """Set the linear paths to PCA's projection and reconstruction.

        Parameters
        ----------
        components : array-like of shape (n_components, n_features)
            Orthonormal rows (``PCA.components_``, zero rows allowed).
        mean : array-like of shape (n_features,)
            The data mean (``PCA.mean_``).
        """
        enc, dec = self.encoder.linear, self.decoder.linear
        W = torch.as_tensor(components, dtype=enc.weight.dtype, device=enc.weight.device)
        m = torch.as_tensor(mean, dtype=enc.weight.dtype, device=enc.weight.device)
        enc.weight.copy_(W)
        enc.bias.copy_(-W @ m)
        dec.weight.copy_(W.T)
        dec.bias.copy_(m)

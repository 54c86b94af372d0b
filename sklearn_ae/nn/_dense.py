"""Dense encoder and decoder networks, and the pieces the autoencoder variants share.

Besides the plain :class:`DenseAutoencoder`, this module holds what the
autoencoder variants add at the module level:

- the input corruption of a denoising autoencoder
  (:mod:`sklearn_ae.nn._corruption`), built by every module;
- :class:`TiedLinear`, a layer whose weight is the transpose of another
  layer's: one ``nn.Parameter``, not a copy;
- :class:`MirroredAutoencoder`, the forward pass that also returns the pairs
  of mirrored hidden activations used by layer matching, globally or locally
  (each pair trained only through the layers between its two members).
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._contracts import AutoencoderOutput, MatchableEncoder, MatchableHalf
from ._corruption import Corruption, CorruptionConfig

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


def make_mlp(sizes: Sequence[int], activation: str = "relu", zero_last: bool = False) -> nn.Sequential:
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


class TiedLinear(nn.Module):
    """A linear layer whose weight is ``source.weight.T``, shared, not copied.

    Only the bias is a parameter of its own. ``weight`` is a transposed view
    of the source's ``nn.Parameter``: same storage, so one update moves both
    layers, and the parameter count drops by the size of the weight. The
    source is registered as a submodule, so copying or pickling the whole
    model keeps the two layers tied.

    Parameters
    ----------
    source : nn.Linear or TiedLinear
        The layer to transpose (the mirrored encoder layer).
    """

    def __init__(self, source: nn.Linear) -> None:
        super().__init__()
        self.source = source
        out_features = source.weight.shape[1]
        bound = 1.0 / max(source.weight.shape[0], 1) ** 0.5
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))

    @property
    def weight(self) -> torch.Tensor:
        return self.source.weight.t()

    @property
    def in_features(self) -> int:
        return self.source.weight.shape[0]

    @property
    def out_features(self) -> int:
        return self.source.weight.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


def make_tied_mlp(source: nn.Sequential, activation: str = "relu") -> nn.Sequential:
    """The mirror of the ``make_mlp`` stack ``source``, each layer a :class:`TiedLinear` of its mirror."""
    linears = [m for m in source if isinstance(m, nn.Linear)]
    layers = []
    for i, lin in enumerate(reversed(linears)):
        if i:
            layers.append(ACTIVATIONS[activation]())
        layers.append(TiedLinear(lin))
    return nn.Sequential(*layers)


def _activation_derivative(act, pre):
    """Elementwise derivative of ``act`` at ``pre``, differentiable (for double backward)."""
    if isinstance(act, nn.Identity):
        return torch.ones_like(pre)
    if isinstance(act, nn.ReLU):
        return (pre > 0).to(pre.dtype)
    if isinstance(act, nn.Tanh):
        return 1 - torch.tanh(pre) ** 2
    if isinstance(act, nn.Sigmoid):
        s = torch.sigmoid(pre)
        return s * (1 - s)
    with torch.enable_grad():
        p = pre if pre.requires_grad else pre.detach().requires_grad_(True)
        return torch.autograd.grad(act(p).sum(), p, create_graph=True)[0]


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
    tied_to : LinearResidual or None
        Build the mirror of this map with every weight tied to it
        (:class:`TiedLinear`): ``n_in``, ``n_out`` and ``hidden_layer_sizes``
        must mirror its own.
    gate : bool
        Multiply the nonlinear path by a learned scalar that starts at 0
        instead of zero-initialising its last layer (only with a linear
        path). Tied weights need it: the last layer of one half is the first
        of the other, so it cannot start at zero.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        hidden_layer_sizes: Sequence[int] = (),
        activation: str = "relu",
        linear_path: bool = True,
        *,
        tied_to: "LinearResidual | None" = None,
        gate: bool = False,
    ) -> None:
        self.linear: Any  # nn.Linear, TiedLinear or None
        self.mlp: Any  # nn.Sequential or None
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        use_mlp = bool(hidden) or not linear_path
        if tied_to is None:
            self.linear = nn.Linear(n_in, n_out) if linear_path else None
            mlp_sizes = (n_in, *hidden, n_out)
            self.mlp = make_mlp(mlp_sizes, activation, zero_last=linear_path and not gate) if use_mlp else None
        else:
            self.linear = TiedLinear(tied_to.linear) if linear_path else None
            self.mlp = make_tied_mlp(tied_to.mlp, activation) if use_mlp else None
        self.gate = nn.Parameter(torch.zeros(())) if gate and linear_path and use_mlp else None

    def _residual(self, h):
        return h if self.gate is None else self.gate * h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.linear is None:
            return self.mlp(x)
        out = self.linear(x)
        return out if self.mlp is None else out + self._residual(self.mlp(x))

    # --------------------------------------------- pieces for layer matching
    @property
    def n_hidden(self):
        """Number of hidden layers of the nonlinear path."""
        return 0 if self.mlp is None else (len(self.mlp) - 1) // 2

    def forward_hidden(self, x):
        """``(forward(x), [hidden activations, input side first])``."""
        hidden = []
        h = x
        if self.mlp is not None:
            for i, layer in enumerate(self.mlp):
                h = layer(h)
                if i % 2 == 1:
                    hidden.append(h)
        if self.linear is None:
            return h, hidden
        out = self.linear(x)
        return (out if self.mlp is None else out + self._residual(h)), hidden

    def skip(self, x):
        """The linear path's output, or None without one."""
        return None if self.linear is None else self.linear(x)

    def resume(self, h, i, skip):
        """The output computed from hidden activation ``i`` (``skip``: the linear path's output, or None)."""
        out = self.mlp[2 * i + 2 :](h)
        return out if skip is None else skip + self._residual(out)

    def head(self, x, i):
        """Hidden activation ``i`` computed from the input."""
        return self.mlp[: 2 * i + 2](x)

    def jacobian(self, x):
        """The Jacobian of ``forward`` at each row of ``x``: shape (n_rows, n_out, n_in).

        Exact and differentiable, computed from the output side (the cheapest
        order when ``n_out`` is the narrowest width): the product of the
        weights with the activation derivatives in between, plus the linear
        path's weight. Needs elementwise activations, which all of
        :data:`ACTIVATIONS` are.
        """
        n = x.shape[0]
        J = None
        if self.mlp is not None:
            layers = list(self.mlp)
            linears, acts = layers[0::2], layers[1::2]
            derivatives, h = [], x
            for lin, act in zip(linears[:-1], acts):
                pre = lin(h)
                derivatives.append(_activation_derivative(act, pre))
                h = act(pre)
            J = linears[-1].weight.expand(n, -1, -1)
            for lin, d in zip(reversed(linears[:-1]), reversed(derivatives)):
                J = (J * d.unsqueeze(1)) @ lin.weight
            J = self._residual(J) if self.linear is not None else J
        if self.linear is not None:
            W = self.linear.weight.expand(n, -1, -1)
            J = W if J is None else J + W
        return J


class MirroredAutoencoder(nn.Module):
    """Shared forward pass of the mirrored autoencoders (dense and convolutional).

    A subclass calls ``super().__init__`` with the corruption and layer
    matching arguments, then sets ``self.encoder`` and ``self.decoder`` and
    calls :meth:`_check_halves`. With ``match_layers`` the halves must be
    :class:`~sklearn_ae.nn.MatchableHalf` objects (the encoder, for
    ``"local"``, a :class:`~sklearn_ae.nn.MatchableEncoder`), as
    :class:`LinearResidual` is. ``forward(x)`` corrupts ``x`` in training
    mode and returns an :class:`~sklearn_ae.nn.AutoencoderOutput`; with
    ``match_layers`` its ``pairs`` hold one ``(encoder activation, decoder
    activation)`` pair per hidden layer, input side first, the decoder's
    activation being the one of the same shape in the mirrored layer.

    ``match_layers="global"``: the pairs come from the forward pass, so a
    pair's distance trains every layer. ``"local"``: each pair restarts from
    its encoder activation with the gradient stopped there, runs the layers
    between the two members of the pair (the linear path's share of the code
    enters as a constant), and is compared with that stopped activation, so
    a pair's distance only trains the layers between its two members; the
    outer layers are left to the reconstruction and to the outer pairs.

    Parameters
    ----------
    corruption : CorruptionConfig or None, default=None
        Input corruption in training mode, built into the
        :class:`Corruption` layer ``self.corruption``; None: none.
    match_layers : {None, "global", "local"}, default=None
        Also return the mirrored hidden activations from ``forward``.
    """

    encoder: Any  # set by the subclass: a MatchableHalf
    decoder: Any

    def __init__(self, *, corruption: CorruptionConfig | None = None, match_layers: str | None = None) -> None:
        super().__init__()
        if match_layers not in (None, "global", "local"):
            raise ValueError(f"match_layers must be None, 'global' or 'local', got {match_layers!r}.")
        self.match_layers = match_layers
        self.corruption = Corruption.from_config(corruption)

    def _check_halves(self) -> None:
        """Raise unless the halves support the requested layer matching."""
        if not self.match_layers:
            return
        encoder_protocol = MatchableEncoder if self.match_layers == "local" else MatchableHalf
        if not (isinstance(self.encoder, encoder_protocol) and isinstance(self.decoder, MatchableHalf)):
            raise TypeError(
                f"match_layers={self.match_layers!r} needs halves that implement {encoder_protocol.__name__}."
            )
        if self.encoder.n_hidden == 0:
            raise ValueError("Layer matching needs hidden layers to match; the network has none.")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> AutoencoderOutput:
        x = self.corruption(x)
        if not self.match_layers:
            z = self.encoder(x)
            return AutoencoderOutput(self.decoder(z), z)
        z, enc_hidden = self.encoder.forward_hidden(x)
        out, dec_hidden = self.decoder.forward_hidden(z)
        dec_hidden = dec_hidden[::-1]
        if self.match_layers == "global":
            return AutoencoderOutput(out, z, tuple(zip(enc_hidden, dec_hidden)))
        skip = self.encoder.skip(x)
        skip = None if skip is None else skip.detach()
        n = len(enc_hidden)
        pairs = []
        for i, e in enumerate(enc_hidden):
            e = e.detach()
            z_inner = self.encoder.resume(e, i, skip)
            pairs.append((e, self.decoder.head(z_inner, n - 1 - i)))
        return AutoencoderOutput(out, z, tuple(pairs))

    def encoder_jacobian(self, x: torch.Tensor) -> torch.Tensor:
        """Jacobian of ``encode`` at each row of ``x``, shape (n_rows, n_components, n_features).

        In closed form when the encoder has a ``jacobian`` method (dense
        layers), else by automatic differentiation (:func:`autograd_jacobian`).
        """
        if hasattr(self.encoder, "jacobian"):
            return self.encoder.jacobian(x)
        return autograd_jacobian(self.encode, x)


def autograd_jacobian(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Jacobian of a row-wise ``fn`` at each row of ``x``, shape (n_rows, n_out, n_in), differentiable.

    One backward pass per output unit (rows are independent, so the gradient
    of an output unit's sum over rows gives that unit's Jacobian row at every
    row at once), with ``create_graph`` so that a penalty on the Jacobian can
    be trained.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        out = fn(x)
        rows = [
            torch.autograd.grad(out[:, j].sum(), x, create_graph=True, retain_graph=True)[0]
            for j in range(out.shape[1])
        ]
    return torch.stack(rows, dim=1)


class DenseAutoencoder(MirroredAutoencoder):
    """Encoder and mirrored decoder of dense layers.

    ``forward`` returns an :class:`~sklearn_ae.nn.AutoencoderOutput` (with
    the layer pairs under ``match_layers``, see :class:`MirroredAutoencoder`); ``encode`` and
    ``decode`` run one half.

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
    corruption : CorruptionConfig or None, default=None
        Input corruption in training mode (the layer ``self.corruption``,
        see :class:`Corruption`); None: none.
    tied_weights : bool
        Each decoder layer, the linear path's included, uses the transpose of
        its mirrored encoder layer's weight (:class:`TiedLinear`). With a
        linear path, the nonlinear paths start at zero through a scalar gate
        (see :class:`LinearResidual`).
    match_layers : {None, "global", "local"}
        Also return the mirrored hidden activations from ``forward``.
    """

    def __init__(
        self,
        n_features: int,
        n_components: int,
        hidden_layer_sizes: Sequence[int] = (),
        activation: str = "relu",
        linear_path: bool = True,
        *,
        corruption: CorruptionConfig | None = None,
        tied_weights: bool = False,
        match_layers: str | None = None,
    ) -> None:
        super().__init__(corruption=corruption, match_layers=match_layers)
        hidden = tuple(hidden_layer_sizes)
        self.tied_weights = tied_weights
        self.encoder = LinearResidual(n_features, n_components, hidden, activation, linear_path, gate=tied_weights)
        self.decoder = LinearResidual(
            n_components,
            n_features,
            hidden[::-1],
            activation,
            linear_path,
            tied_to=self.encoder if tied_weights else None,
            gate=tied_weights,
        )
        self._check_halves()

    def init_from_pca(self, pca: Any) -> None:
        """Set the linear paths to a fitted :class:`~sklearn.decomposition.PCA`'s maps (see :meth:`init_linear`).

        Codes beyond PCA's components start with zero weights.
        """
        if self.encoder.linear is None:
            raise ValueError("init_from_pca needs the linear path (linear_path=True).")
        components = np.zeros((self.encoder.linear.out_features, pca.components_.shape[1]))
        components[: pca.components_.shape[0]] = pca.components_
        self.init_linear(components, pca.mean_)

    @torch.no_grad()
    def init_linear(self, components: Any, mean: Any) -> None:
        """Set the linear paths to PCA's projection and reconstruction.

        With tied weights the decoder's linear weight is already the
        encoder's transposed, PCA's reconstruction map; only its bias is set.

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
        if not isinstance(dec, TiedLinear):
            dec.weight.copy_(W.T)
        dec.bias.copy_(m)

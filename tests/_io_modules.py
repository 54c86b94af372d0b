"""Custom encoder and decoder classes for the save/load tests, importable by name in a fresh process."""

from torch import nn


class Encoder(nn.Module):
    def __init__(self, n_features, n_components, width=8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, width), nn.Tanh(), nn.Linear(width, n_components))

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, n_features, n_components):
        super().__init__()
        self.net = nn.Linear(n_components, n_features)

    def forward(self, z):
        return self.net(z)

"""Helpers shared by the unit tests (imported by name: pytest puts this folder on sys.path)."""

import torch


def randomize_(module, seed=0, scale=0.5):
    """Overwrite every parameter of ``module`` with seeded normal values (zero-initialised paths become active)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return module


def rows(n, d, seed=0):
    """A float64 tensor of standard normal rows."""
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def reference_jacobian(fn, x):
    """Per-row Jacobian of a row-wise ``fn`` by ``torch.autograd.functional.jacobian``: (n_rows, n_out, n_in)."""
    return torch.stack([torch.autograd.functional.jacobian(lambda v: fn(v.unsqueeze(0)).squeeze(0), row) for row in x])


def n_parameters(module):
    """Number of distinct trainable numbers (shared Parameters counted once)."""
    return sum(p.numel() for p in module.parameters())


def assert_corrupts_in_training_only(module, x, code_index):
    """``module(x)[code_index]`` is ``module.encode(x)`` in eval mode, and differs from it in training mode."""
    torch.manual_seed(0)
    train_code = module.train()(x)[code_index]
    clean = module.encode(x)
    torch.testing.assert_close(module.eval()(x)[code_index], clean)
    assert not torch.allclose(train_code, clean)

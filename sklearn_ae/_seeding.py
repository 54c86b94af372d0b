"""Seeds and torch's global random generator: a fit's randomness from ``random_state`` alone.

skorch and torch draw from torch's global generator (weight initialisation,
shuffling, dropout, input noise). A seeded fit holds that generator, seeded
from the estimator's ``random_state``, and gives the caller's state back
afterwards (:func:`seeded_torch`); numpy's global generator is never drawn
from. Fits in several threads take turns on the generator, so that a fit in
a thread equals the same fit alone.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

# Held while a fit draws from torch's global random generator.
_GLOBAL_RNG_LOCK = threading.RLock()


def seed_from(random_state: Any) -> int:
    """An int seed for torch from ``random_state``, never drawing from numpy's global RNG."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0]) >> 1  # Python ints: numpy 1.x refuses uint >> int
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return int(random_state)


def call_seed(seed: int, call: int) -> int:
    """The seed of the ``call``-th ``partial_fit`` epoch, derived from the estimator's seed."""
    return int(np.random.SeedSequence([seed, call]).generate_state(1, dtype=np.uint64)[0]) >> 1


def resolve_device(device: str) -> str:
    """The torch device of the ``device`` parameter: ``"auto"`` is CUDA where available, else the CPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but no CUDA device is available; use device='auto' or 'cpu'.")
    return device


@contextmanager
def seeded_torch(seed: int, device: str | torch.device) -> Iterator[None]:
    """Hold torch's global generator, seeded with ``seed``, and restore the caller's state afterwards.

    skorch and torch draw from torch's global generator: seeded fits hold it
    one at a time, so that a fit in a thread equals the same fit alone.
    """
    cuda_devices = [torch.device(device).index or 0] if str(device).startswith("cuda") else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield

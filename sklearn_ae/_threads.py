"""The number of CPU threads a fit uses, chosen per fit and restored afterwards.

With few features a training step does little arithmetic: a second torch
thread buys little when the machine is idle and costs much when other
processes keep the cores busy (the threads wait for each other at every
operation; measured in ``benchmarks/results_tabular_speed.md``). A fit of
small steps therefore runs with one torch thread; a fit of large steps keeps
the caller's setting. Nothing is ever raised above the caller's setting.
numpy's BLAS threads (the scaling statistics and the PCA start) are left as
they are: limiting them with threadpoolctl took effect in the main thread
but not in other Python threads here, and the PCA start's bits depend on
them, so a fit in a thread would no longer equal the same fit alone.

``torch.set_num_threads`` is global to the process, or partly per Python
thread (with torch's OpenMP backend a
thread's setting can leak into another's): while a fit runs, other torch or
numpy code in the process may see the fit's setting. So a fit runs inside
:func:`fit_scope`, which holds a lock (fits from several Python threads take
turns; their training took turns already, as it holds torch's global random
generator) and, at its end, puts back in the fitting thread the values it
found, also when the fit fails. Inside the scope, :func:`limit_threads` sets
the number once the network, and so the cost of a step, is known.
"""

import contextlib
import threading
from collections.abc import Iterator

import torch

# A step with fewer multiply-adds than this (batch rows times the weights of the network) runs on one thread.
SMALL_STEP_MACS = 50_000_000

_lock = threading.RLock()
_scopes = threading.local()  # .stack: the open scopes of this Python thread, innermost last


def step_macs(module: torch.nn.Module, batch_size: int) -> int:
    """Multiply-adds of one forward pass of ``batch_size`` rows through ``module``, from its weights' sizes.

    Counts every parameter once per row: exact for dense layers, a lower
    bound for convolutions (whose weights are reused across positions).
    """
    return batch_size * sum(p.numel() for p in module.parameters())


def choose_threads(macs: int) -> int | None:
    """Threads for a fit whose steps cost ``macs`` multiply-adds: 1 for small steps, else None (unchanged)."""
    return 1 if macs < SMALL_STEP_MACS else None


class _Scope:
    def __init__(self) -> None:
        self.torch_threads: int | None = None  # the caller's torch setting, once limit_threads changed it


@contextlib.contextmanager
def fit_scope() -> Iterator[_Scope]:
    """The block (a fit) may call :func:`limit_threads`; at its end the caller's settings come back.

    Holds a lock for the block; see the module docstring for the process-wide caveat.
    """
    with _lock:
        scope = _Scope()
        stack = _scopes.__dict__.setdefault("stack", [])
        stack.append(scope)
        try:
            yield scope
        finally:
            stack.pop()
            if scope.torch_threads is not None:
                torch.set_num_threads(scope.torch_threads)


def limit_threads(n_threads: int | None) -> None:
    """Use ``n_threads`` torch threads until the innermost :func:`fit_scope` of this thread ends.

    None, or a number at or above the current setting, changes nothing; so
    does a call outside any scope or a second call in the same scope:
    settings are never raised, and only a scope restores them.
    """
    stack = getattr(_scopes, "stack", None)
    if not stack or n_threads is None or stack[-1].torch_threads is not None:
        return
    caller = torch.get_num_threads()
    if n_threads < caller:
        stack[-1].torch_threads = caller
        torch.set_num_threads(n_threads)

"""The number of CPU threads a fit uses, chosen per fit and restored afterwards.

With few features a training step does little arithmetic: a second torch
thread buys little when the machine is idle and costs much when other
processes keep the cores busy (the threads wait for each other at every
operation; measured in ``benchmarks/results_tabular_speed.md``). A fit of
small steps therefore runs with one torch thread and one BLAS thread (numpy's
OpenBLAS, used for the scaling statistics and the PCA start); a fit of large
steps keeps the caller's settings. Nothing is ever raised above the caller's
setting.

``torch.set_num_threads`` and the BLAS limits of threadpoolctl are global to
the process, or partly per Python thread (with torch's OpenMP backend a
thread's setting can differ from another's): while a fit runs, other torch
or numpy code in the process may see the fit's setting. So :func:`fit_threads`
sets and restores the settings in the thread that fits, and holds a lock
meanwhile: fits from several Python threads take turns (they do anyway, as
they hold torch's global random generator one at a time), and each puts
back the values it found, also when it fails.
"""

import contextlib
import threading

import torch

# A step with fewer multiply-adds than this (batch rows times the weights of the network) runs on one thread.
SMALL_STEP_MACS = 50_000_000

_lock = threading.RLock()


def step_macs(module, batch_size):
    """Multiply-adds of one forward pass of ``batch_size`` rows through ``module``, from its weights' sizes.

    Counts every parameter once per row: exact for dense layers, a lower
    bound for convolutions (whose weights are reused across positions).
    """
    return batch_size * sum(p.numel() for p in module.parameters())


def choose_threads(macs):
    """Threads for a fit whose steps cost ``macs`` multiply-adds: 1 for small steps, else None (unchanged)."""
    return 1 if macs < SMALL_STEP_MACS else None


@contextlib.contextmanager
def fit_threads(n_threads):
    """Run the block with ``n_threads`` torch and BLAS threads (None: as they are), then restore them.

    The settings are never raised: ``n_threads`` above the current torch
    setting changes nothing. Holds a lock for the block; see the module
    docstring for the process-wide caveat.
    """
    with _lock:
        caller = torch.get_num_threads()
        if n_threads is None or n_threads >= caller and n_threads > 1:
            yield
            return
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=n_threads, user_api="blas"):
            torch.set_num_threads(n_threads)
            try:
                yield
            finally:
                torch.set_num_threads(caller)

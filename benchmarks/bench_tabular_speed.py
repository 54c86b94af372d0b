"""Speed on tabular data: AutoencoderTransformer.fit against a plain torch loop and IncrementalPCA.

The reference is a plain torch loop over the same network: the module the
estimator builds (``_network_spec`` gives its class and arguments), Adam with
the same learning rate, mean squared error, the same batch size, batches
drawn with ``torch.randperm`` from the scaled float32 rows, no DataLoader.
It trains on all the rows for the same number of epochs, while the estimator
trains on 90% of them and spends the rest of its time on what a fit does
besides: validation (the start and each epoch), the scaling statistics, the
PCA start, the statistics of ``_after_fit``. Everything is timed in one
process, interleaved (the order alternates from one repeat to the next);
tables give medians over repeats and the median of the per-repeat ratios.

Sections:

1. per training step: the skorch loop's time per step (history ``dur`` of
   the training epochs, validation excluded, ``early_stopping=False``)
   against the plain loop's, on 50,000 x 20 rows, 2 epochs, batch 128 and
   1024;
2. the goal: one epoch of the default transformer on 1,000,000 x 20 rows,
   the whole ``fit`` against the plain loop (one epoch, same batch size) and
   against ``IncrementalPCA(n_components=2).fit``, with the parts of ``fit``;
3. threads: the plain loop's time per step with 1 and 2 torch threads, on
   the machine as found and with two extra busy processes (load), 20
   features, batch 128 and 1024;
4. the default batch size: training time to reach a validation loss within
   2% of the lowest any batch size reached, batch 64 to 1024, on synthetic
   data, two ODDS sets and MNIST (``/work/shared/data``).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_tabular_speed.py``
(``--quick`` for a smoke test); writes ``benchmarks/results_tabular_speed.md``.
"""

import argparse
import multiprocessing
import os
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.decomposition import IncrementalPCA

import sklearn_ae
from sklearn_ae import AutoencoderTransformer
from sklearn_ae._data import fit_scaling, scale_rows

HERE = Path(__file__).resolve().parent


def make_data(n, d=20, rank=5, seed=0):
    """Rows near a ``rank``-dimensional subspace, float64, as most users' arrays are."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d)) + 0.1 * rng.standard_normal((n, d))


def plain_loop(X, batch_size, epochs, seed, n_components=2):
    """The reference loop over the estimator's own network. Returns (wall seconds, steps)."""
    est = AutoencoderTransformer(n_components, batch_size=batch_size)
    spec = est._network_spec(X.shape[1])
    offset, scale = fit_scaling(X, "global")
    Xs = torch.from_numpy(scale_rows(X, offset, scale))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = spec.module(**spec.module_kwargs)
        opt = torch.optim.Adam(module.parameters(), lr=est.lr)
        n, steps = Xs.shape[0], 0
        module.train()
        t0 = time.perf_counter()
        for _ in range(epochs):
            perm = torch.randperm(n)
            for start in range(0, n, batch_size):
                xb = Xs[perm[start : start + batch_size]]
                opt.zero_grad()
                loss = F.mse_loss(module(xb).reconstruction, xb)
                loss.backward()
                opt.step()
                steps += 1
        return time.perf_counter() - t0, steps


class TimedTransformer(AutoencoderTransformer):
    """The transformer, recording how long ``_after_fit`` takes (a benchmark's probe, not an estimator)."""

    def _after_fit(self, X, **kwargs):
        t0 = time.perf_counter()
        super()._after_fit(X, **kwargs)
        self.after_fit_seconds_ = time.perf_counter() - t0


def our_fit(X, batch_size, epochs, seed, **params):
    """One fit. Returns (wall seconds, training-loop seconds, training steps, validation seconds, after-fit seconds)."""
    est = TimedTransformer(2, batch_size=batch_size, max_epochs=epochs, random_state=seed, device="cpu", **params)
    t0 = time.perf_counter()
    est.fit(X)
    wall = time.perf_counter() - t0
    h = est.net_.history
    train = sum(row["dur"] for row in h)  # each epoch's dur: training and validation of that epoch
    steps = sum(row["train_batch_count"] for row in h)
    return wall, train, steps, est.after_fit_seconds_


def ipca_fit(X):
    t0 = time.perf_counter()
    IncrementalPCA(n_components=2).fit(X)
    return time.perf_counter() - t0


def _busy(stop):
    while not stop.is_set():
        pass


class Load:
    """``with Load(k):`` runs ``k`` busy processes meanwhile."""

    def __init__(self, k):
        self.k = k

    def __enter__(self):
        self.stop = multiprocessing.Event()
        self.procs = [multiprocessing.Process(target=_busy, args=(self.stop,)) for _ in range(self.k)]
        for p in self.procs:
            p.start()
        time.sleep(0.5)

    def __exit__(self, *exc):
        self.stop.set()
        for p in self.procs:
            p.join()


def per_step(n, batch_sizes, epochs, repeats, lines):
    X = make_data(n)
    lines += [
        f"## 1. Cost per training step, {n:,} x 20, {epochs} epochs, early_stopping=False",
        "",
        "ms per training step (median over repeats); ratio: the median of ours / plain per repeat.",
        "",
        "| batch | plain loop ms/step | ours (skorch loop) ms/step | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for bs in batch_sizes:
        rows = []
        for r in range(repeats):
            order = (0, 1) if r % 2 == 0 else (1, 0)
            got = {}
            for which in order:
                if which == 0:
                    wall, steps = plain_loop(X, bs, epochs, seed=r)
                    got["plain"] = wall / steps * 1e3
                else:
                    _, loop, steps, _ = our_fit(X, bs, epochs, seed=r, early_stopping=False, init="random")
                    got["ours"] = loop / steps * 1e3
            rows.append((got["plain"], got["ours"]))
        rows = np.array(rows)
        lines.append(
            f"| {bs} | {np.median(rows[:, 0]):.3f} | {np.median(rows[:, 1]):.3f} | "
            f"{np.median(rows[:, 1] / rows[:, 0]):.3f} |"
        )
        print(lines[-1], flush=True)
    lines.append("")


def goal(n, repeats, lines, caller_threads, batch_size=128):
    X = make_data(n)
    lines += [
        f"## 2. Goal: one epoch of the default transformer on {n:,} x 20 rows",
        "",
        f"`AutoencoderTransformer(2, max_epochs=1)` with its defaults (batch {batch_size}, early stopping: "
        "validation of the start and of the epoch on 10% of the rows, PCA start) against the plain loop over all "
        "rows for one epoch, and `IncrementalPCA(n_components=2).fit`. Seconds, median over repeats; ratios: "
        "median of the per-repeat ratios. Parts of our fit: the skorch loop (training and validation epochs), "
        "`_after_fit` (the code statistics and the noise variance: an inference pass over all rows), the rest "
        "(validation, scaling, PCA start, validation of the start). The plain loop runs on one thread (the "
        "faster setting for these small steps, section 3); our fit is called with the machine's default "
        f"({caller_threads} threads), as a user calls it, and trains on one thread by its own choice.",
        "",
        "| repeat | ours fit s | skorch loop s | _after_fit s | rest s | plain loop s | IncrementalPCA s | "
        "ours / plain | ours / IncrementalPCA |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = []
    for r in range(repeats):
        runs = ["ours", "plain", "ipca"]
        if r % 2:
            runs.reverse()
        got = {}
        for which in runs:
            if which == "ours":  # called as a user calls it: the fit chooses one thread for training itself
                torch.set_num_threads(caller_threads)
                try:
                    got["ours"] = our_fit(X, batch_size, 1, seed=r)
                finally:
                    torch.set_num_threads(1)
            elif which == "plain":
                got["plain"] = plain_loop(X, batch_size, 1, seed=r)[0]
            else:
                got["ipca"] = ipca_fit(X)
        wall, loop, _, after = got["ours"]
        row = (wall, loop, after, wall - loop - after, got["plain"], got["ipca"])
        rows.append(row)
        lines.append(
            f"| {r} | " + " | ".join(f"{v:.2f}" for v in row) + f" | {wall / got['plain']:.3f} | "
            f"{wall / got['ipca']:.1f} |"
        )
        print(lines[-1], flush=True)
    rows = np.array(rows)
    med = np.median(rows, axis=0)
    lines.append(
        "| median | " + " | ".join(f"{v:.2f}" for v in med) + f" | {np.median(rows[:, 0] / rows[:, 4]):.3f} | "
        f"{np.median(rows[:, 0] / rows[:, 5]):.1f} |"
    )
    lines.append("")


def threads(n, batch_sizes, repeats, lines):
    X = make_data(n)
    saved = torch.get_num_threads()
    lines += [
        f"## 3. Threads: plain loop ms per step, {n:,} x 20, one epoch",
        "",
        "As found: the machine as it was (other jobs running); under load: two more busy processes. "
        "Median over repeats, 1 and 2 torch threads interleaved.",
        "",
        "| batch | machine | 1 thread ms/step | 2 threads ms/step | 2 threads / 1 thread |",
        "|---:|---|---:|---:|---:|",
    ]
    for load in (0, 2):
        for bs in batch_sizes:
            rows = []
            with Load(load):
                for r in range(repeats):
                    got = {}
                    for k in (1, 2) if r % 2 == 0 else (2, 1):
                        torch.set_num_threads(k)
                        wall, steps = plain_loop(X, bs, 1, seed=r)
                        got[k] = wall / steps * 1e3
                    rows.append((got[1], got[2]))
            torch.set_num_threads(saved)
            rows = np.array(rows)
            what = "as found" if load == 0 else f"+{load} busy processes"
            lines.append(
                f"| {bs} | {what} | {np.median(rows[:, 0]):.3f} | {np.median(rows[:, 1]):.3f} | "
                f"{np.median(rows[:, 1] / rows[:, 0]):.2f} |"
            )
            print(lines[-1], flush=True)
    lines.append("")


def batch_size_data(n):
    """The data sets of section 4, at most ``n`` rows each, by name (``/work/shared/data`` only when there)."""
    from sklearn_ae.datasets import load_mnist, load_odds

    rng = np.random.default_rng(0)

    def rows(X):
        return X[rng.permutation(len(X))[:n]]

    sets = {}
    sets["synthetic x 20"] = make_data(n)
    data_home = HERE.parent.parent / "shared" / "data"
    if (data_home / "README.md").exists():
        sets["ODDS shuttle x 9"] = rows(load_odds("shuttle", data_home)[0])
        sets["ODDS satellite x 36"] = rows(load_odds("satellite", data_home)[0])
        sets["MNIST x 784"] = rows(load_mnist(data_home)[0])
    return {f"{name} ({len(X):,} rows)": X for name, X in sets.items()}


def batch_sizes_to_target(sets, batch_sizes, seeds, max_epochs, lines, write):
    lines += [
        "## 4. Default batch size: training time to reach a validation loss",
        "",
        f"`AutoencoderTransformer(2, batch_size=b, max_epochs={max_epochs} * b / {batch_sizes[0]}, "
        "random_state=seed)`, defaults otherwise (early stopping, PCA start): every batch size may take as many "
        "steps as the smallest, so that an epoch budget does not decide the comparison. Per seed (the seed also "
        "fixes the validation rows, so losses compare across batch sizes of one seed), the target is 2% above "
        "the lowest validation loss that any batch size reached; "
        "the time is the sum of skorch's epoch durations (training and validation) up to the first epoch at or "
        "below the target (0: the PCA start already is). Median over seeds [min, max]; best: the lowest "
        "validation loss of that batch size over the best of all, median over seeds.",
        "",
        "| data | batch | seconds to target | epochs to target | best / best of all |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, X in sets.items():
        curves = {}
        for seed in seeds:
            for bs in batch_sizes if seed % 2 == 0 else batch_sizes[::-1]:
                epochs = max_epochs * bs // batch_sizes[0]
                est = AutoencoderTransformer(2, batch_size=bs, max_epochs=epochs, random_state=seed)
                est.fit(X)
                h = est.net_.history
                start = dict(est.net_.callbacks_)["best_weights"].initial_loss_
                losses = np.r_[start, [row["valid_loss"] for row in h]]
                times = np.r_[0.0, np.cumsum([row["dur"] for row in h])]
                curves[seed, bs] = (losses, times)
        for bs in batch_sizes:
            secs, epochs, best = [], [], []
            for seed in seeds:
                lowest = min(curves[seed, b][0].min() for b in batch_sizes)
                losses, times = curves[seed, bs]
                reached = np.flatnonzero(losses <= lowest * 1.02 if lowest > 0 else losses <= lowest * 0.98)
                secs.append(times[reached[0]] if reached.size else np.inf)
                epochs.append(reached[0] if reached.size else np.inf)
                best.append(losses.min() / lowest)

            def spread(v, fmt):
                v = np.asarray(v, dtype=float)
                return f"{np.median(v):{fmt}} [{v.min():{fmt}}, {v.max():{fmt}}]"

            lines.append(f"| {name} | {bs} | {spread(secs, '.1f')} | {spread(epochs, '.0f')} | {np.median(best):.4f} |")
            print(lines[-1], flush=True)
        write()
    lines.append("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sections", default="123")
    parser.add_argument("--rows4", type=int, default=20_000, help="section 4: rows per data set at most")
    parser.add_argument("--epochs4", type=int, default=30, help="section 4: max_epochs")
    parser.add_argument("--out", default=str(HERE / "results_tabular_speed.md"))
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    small, big = (5_000, 20_000) if args.quick else (50_000, 1_000_000)
    load = os.getloadavg()[0]
    default_threads = torch.get_num_threads()
    lines = [
        "# Speed on tabular data: fit against a plain torch loop and IncrementalPCA",
        "",
        f"Command: `PYTHONPATH=. .venv/bin/python benchmarks/bench_tabular_speed.py --repeats {args.repeats} "
        f"--sections {args.sections} --rows4 {args.rows4} --epochs4 {args.epochs4}{' --quick' if args.quick else ''}`",
        "",
        f"Machine: a 2-core CPU shared with other jobs (load average {load:.1f} at the start); torch "
        f"{torch.__version__}, {default_threads} threads by default; sections 1 and 2 run the plain loop on one "
        "thread, as the estimator's fit chooses for these small steps (see section 3); section 2 calls our fit "
        "with the default threads. "
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, sklearn-ae "
        f"{sklearn_ae.__version__}. Absolute times are noisy; the ratios compare runs interleaved in one process.",
        "",
    ]

    def write():  # after each section, so that a long run leaves what it measured
        Path(args.out).write_text("\n".join(lines))

    torch.set_num_threads(1)  # sections 1 and 2: the plain loop runs on one thread, as the estimator's fit does
    if "1" in args.sections:
        per_step(small, (128, 1024), 2, repeats, lines)
        write()
    if "2" in args.sections:
        goal(big, repeats, lines, default_threads)
        write()
    torch.set_num_threads(default_threads)
    if "3" in args.sections:
        # small: with two threads under load a step can take a second
        threads(2_000 if args.quick else 5_000, (128, 1024), repeats, lines)
        write()
    if "4" in args.sections:
        seeds = (0,) if args.quick else (0, 1)
        sets = batch_size_data(2_000 if args.quick else args.rows4)
        batch_sizes_to_target(sets, (64, 128, 256, 512, 1024), seeds, args.epochs4, lines, write)
    Path(args.out).write_text("\n".join(lines))
    print("wrote", args.out)


if __name__ == "__main__":
    main()

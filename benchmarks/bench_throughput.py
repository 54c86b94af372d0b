"""Training throughput of AutoencoderTransformer.fit against a plain torch loop.

Same network (the estimator's own ``DenseAutoencoder`` with the default
hidden layers), same scaled float32 data (MNIST ``mnist_5k``), same batch
size, same number of epochs, same optimizer and loss. The two are timed in
the same process, interleaved (the order alternates from one repeat to the
next), several repeats; the table reports samples per second (training rows
times epochs over wall time) and the ratio plain / estimator per repeat.

The estimator's wall time is split into its parts: the skorch training loop
(the sum of skorch's per-epoch ``dur``), and the rest of ``fit`` (validation,
scaling, the PCA initialisation, building the net, the statistics computed
after training). A cProfile of one estimator fit shows where the time goes.

Run: ``.venv/bin/python benchmarks/bench_throughput.py``; writes
``benchmarks/results_throughput.md``.
"""

import argparse
import cProfile
import io
import platform
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
import torch.nn.functional as F

import sklearn_ae
from sklearn_ae import AutoencoderTransformer
from sklearn_ae._data import fit_scaling, scale_rows
from sklearn_ae.datasets import load_mnist
from sklearn_ae.nn import DenseAutoencoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import env_prefix, kept_analysis  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"


def plain_loop(Xs, n_components, hidden, activation, lr, batch_size, epochs, seed, adam_kwargs=None):
    """The reference: a bare torch training loop over the same network. Returns (wall, CPU) seconds."""
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = DenseAutoencoder(Xs.shape[1], n_components, hidden, activation, linear_path=True)
        opt = torch.optim.Adam(module.parameters(), lr=lr, **(adam_kwargs or {}))
        X = torch.from_numpy(Xs)
        n = X.shape[0]
        module.train()
        for _ in range(epochs):
            perm = torch.randperm(n)
            for start in range(0, n, batch_size):
                xb = X[perm[start : start + batch_size]]
                opt.zero_grad()
                loss = F.mse_loss(module(xb)[0], xb)
                loss.backward()
                opt.step()
    return time.perf_counter() - t0, time.process_time() - c0


def estimator_fit(X, n_components, batch_size, epochs, seed, early_stopping=False):
    """One fit of the estimator. Returns (wall seconds, seconds in skorch's epochs, CPU seconds, estimator)."""
    est = AutoencoderTransformer(
        n_components, batch_size=batch_size, max_epochs=epochs, early_stopping=early_stopping, random_state=seed
    )
    t0, c0 = time.perf_counter(), time.process_time()
    est.fit(X)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    loop = float(np.sum(est.net_.history[:, "dur"]))
    return total, loop, cpu, est


def profile_fit(X, n_components, batch_size, epochs):
    prof = cProfile.Profile()
    prof.enable()
    estimator_fit(X, n_components, batch_size, epochs, seed=0)
    prof.disable()
    stream = io.StringIO()
    stats = pstats.Stats(prof, stream=stream)
    stats.sort_stats("cumulative").print_stats(35)
    text = stream.getvalue()
    # keep the table, drop the absolute paths of the environment
    text = text.replace(str(Path(torch.__file__).parents[1]) + "/", "")
    text = text.replace(str(HERE.parent) + "/", "")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=None, help="default: the estimator's default batch_size"
    )
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--adam-variants",
        type=int,
        default=3,
        metavar="REPEATS",
        help="repeats of the plain loop with Adam's foreach / fused implementations (0: skip)",
    )
    args = parser.parse_args(argv)

    X, _, _, _ = load_mnist(DATA)
    defaults = AutoencoderTransformer()
    hidden, activation, lr = tuple(defaults.hidden_layer_sizes), defaults.activation, defaults.lr
    batch_sizes = args.batch_sizes or [defaults.batch_size]
    offset, scale = fit_scaling(X, "global")
    Xs = np.ascontiguousarray(scale_rows(X, offset, scale, np.float32))
    n = X.shape[0]
    assert defaults.optimizer == "adam" and defaults.weight_decay == 0, "the plain loop mirrors Adam, no decay"

    # warm-up (first calls pay for lazy imports and allocator growth)
    plain_loop(Xs, args.n_components, hidden, activation, lr, batch_sizes[0], 1, 0)
    estimator_fit(X, args.n_components, batch_sizes[0], 1, 0)

    rows = []
    for bs in batch_sizes:
        for r in range(args.repeats):
            order = ("plain", "est") if r % 2 == 0 else ("est", "plain")
            res = {}
            for which in order:
                if which == "plain":
                    res["plain"], res["plain_cpu"] = plain_loop(
                        Xs, args.n_components, hidden, activation, lr, bs, args.epochs, r
                    )
                else:
                    res["est"], res["loop"], res["est_cpu"], _ = estimator_fit(X, args.n_components, bs, args.epochs, r)
            samples = n * args.epochs
            row = {
                "bs": bs,
                "repeat": r,
                "plain": samples / res["plain"],
                "est": samples / res["est"],
                "loop": samples / res["loop"],
                "plain_cpu": samples / res["plain_cpu"],
                "est_cpu": samples / res["est_cpu"],
            }
            row["ratio"] = row["plain"] / row["est"]
            row["ratio_loop"] = row["plain"] / row["loop"]
            row["ratio_cpu"] = row["plain_cpu"] / row["est_cpu"]
            rows.append(row)
            print(
                f"bs {bs} repeat {r}: plain {row['plain']:.0f}/s, estimator fit {row['est']:.0f}/s "
                f"(skorch loop only {row['loop']:.0f}/s), ratio {row['ratio']:.2f} "
                f"(loop only {row['ratio_loop']:.2f}); CPU time: ratio {row['ratio_cpu']:.2f}",
                flush=True,
            )

    # the defaults as a user runs them: early stopping holds out 10 % and validates every epoch
    es_rows = []
    for r in range(min(args.repeats, 3)):
        t_plain, c_plain = plain_loop(Xs, args.n_components, hidden, activation, lr, batch_sizes[0], args.epochs, r)
        total, loop, cpu, est = estimator_fit(X, args.n_components, batch_sizes[0], args.epochs, r, early_stopping=True)
        n_train = n - round(0.1 * n)
        es_rows.append(
            (
                n * args.epochs / t_plain,
                n_train * args.epochs / total,
                n_train * args.epochs / loop,
                n * args.epochs / c_plain,
                n_train * args.epochs / cpu,
            )
        )

    # Adam's implementations, in the plain loop (the estimator's optimizer is skorch's Adam with defaults)
    variants = {"default (single-tensor)": {}, "foreach=True": {"foreach": True}, "fused=True": {"fused": True}}
    adam = {name: [] for name in variants}
    for r in range(args.adam_variants):
        items = list(variants.items())
        for name, kwargs in items if r % 2 == 0 else items[::-1]:
            _, cpu = plain_loop(Xs, args.n_components, hidden, activation, lr, batch_sizes[0], args.epochs, r, kwargs)
            adam[name].append(n * args.epochs / cpu)

    profile = "" if args.no_profile else profile_fit(X, args.n_components, batch_sizes[0], args.epochs)

    lines = [
        "# Training throughput: AutoencoderTransformer.fit vs a plain torch loop",
        "",
        f"Command: `{env_prefix()}.venv/bin/python benchmarks/bench_throughput.py --epochs {args.epochs} "
        f"--repeats {args.repeats}"
        + (f" --batch-sizes {' '.join(map(str, batch_sizes))}" if args.batch_sizes else "")
        + "`",
        "",
        f"Data: MNIST `mnist_5k` ({n} x {X.shape[1]}, float32), globally scaled. Network: the estimator's "
        f"`DenseAutoencoder`, n_components={args.n_components}, hidden_layer_sizes={hidden}, "
        f"activation={activation!r}, PCA linear path. Adam, lr={lr}, mean squared error, {args.epochs} epochs, "
        "`early_stopping=False` (so both train on every row, every epoch). The plain loop shuffles with "
        "`torch.randperm` and slices a tensor; the estimator's time is the whole `fit` call (validation, "
        "scaling, PCA initialisation, skorch, the statistics after training). `loop only` counts skorch's "
        "per-epoch `dur` only. Interleaved, the order alternating between repeats, after one warm-up of each.",
        "",
        f"Machine: {torch.get_num_threads()} torch threads on a 2-core CPU shared with other jobs (absolute "
        "numbers are noisy; the ratio compares neighbours in time). "
        f"Python {platform.python_version()}, torch {torch.__version__}, skorch {skorch.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn-ae {sklearn_ae.__version__}.",
        "",
        "Two clocks: wall time (what a user waits; on a shared machine it depends on the other jobs from one "
        "second to the next) and the process's CPU time (`time.process_time`: the work done, with one thread "
        "nearly independent of the other jobs; the fairer comparison here).",
        "",
        "| batch size | repeat | plain loop samples/s | estimator fit samples/s | skorch loop only samples/s "
        "| plain / fit (wall) | plain / loop only (wall) | plain CPU samples/s | fit CPU samples/s "
        "| **plain / fit (CPU)** |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['bs']} | {row['repeat']} | {row['plain']:.0f} | {row['est']:.0f} | {row['loop']:.0f} "
            f"| {row['ratio']:.2f} | {row['ratio_loop']:.2f} | {row['plain_cpu']:.0f} | {row['est_cpu']:.0f} "
            f"| {row['ratio_cpu']:.2f} |"
        )
    for bs in batch_sizes:
        sub = [r for r in rows if r["bs"] == bs]
        med = {key: np.median([r[key] for r in sub]) for key in sub[0] if key not in ("bs", "repeat")}
        lines.append(
            f"| **{bs}** | **median** | {med['plain']:.0f} | {med['est']:.0f} | {med['loop']:.0f} "
            f"| **{med['ratio']:.2f}** | **{med['ratio_loop']:.2f}** | {med['plain_cpu']:.0f} | {med['est_cpu']:.0f} "
            f"| **{med['ratio_cpu']:.2f}** |"
        )
    lines += [
        "",
        "Goal: plain / fit <= 1.25.",
        "",
        f"With `early_stopping=True` (the default: 10 % held out and scored every epoch), samples/s counts the "
        f"{n - round(0.1 * n)} training rows (batch size {batch_sizes[0]}):",
        "",
        "| plain loop (all rows), wall | estimator fit, wall | skorch loop only, wall | plain loop, CPU "
        "| estimator fit, CPU |",
        "|---:|---:|---:|---:|---:|",
    ]
    for p, e, lo, pc, ec in es_rows:
        lines.append(f"| {p:.0f} | {e:.0f} | {lo:.0f} | {pc:.0f} | {ec:.0f} |")
    if args.adam_variants:
        base = np.median(adam["default (single-tensor)"])
        lines += [
            "",
            f"Adam's implementations in the plain loop (batch size {batch_sizes[0]}, {args.epochs} epochs, "
            f"{args.adam_variants} interleaved repeats, samples per CPU second; torch's CPU default is the "
            "single-tensor one):",
            "",
            "| Adam | samples/s per repeat | median | vs default |",
            "|---|---|---:|---:|",
        ]
        for name, values in adam.items():
            lines.append(
                f"| {name} | {', '.join(f'{v:.0f}' for v in values)} | {np.median(values):.0f} "
                f"| {np.median(values) / base:.2f}x |"
            )
    if profile:
        lines += [
            "",
            f"## cProfile of one estimator fit ({args.epochs} epochs, cumulative time)",
            "",
            "```",
            profile.strip(),
            "```",
        ]
    lines += [""] + kept_analysis(HERE / "results_throughput.md")
    (HERE / "results_throughput.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {HERE / 'results_throughput.md'}")


if __name__ == "__main__":
    main()

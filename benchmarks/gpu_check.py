"""GPU check: the three estimators on a CUDA device, against the CPU and against a plain torch loop.

One script, under 5 minutes on one GPU:

1. fit, transform, score_samples (and predict/decision_function for the
   detector) and, where the estimator has it, partial_fit, of
   AutoencoderTransformer, VAETransformer and AutoencoderOutlierDetector
   with ``device="cuda"``;
2. agreement with the CPU: (a) the same fitted model run on the GPU and on
   the CPU (inference only: float32 kernels, tolerance ``rtol=1e-4``, ``atol``
   1e-4 times the output's scale); (b) two fits with the same seed, one per
   device, ``max_epochs=0`` (the PCA start: no training, same tolerance) and
   after 2 epochs (training on two devices takes different rounding paths
   that compound over the steps: reported as the largest relative
   difference, not asserted);
3. a model fitted on the GPU used on the CPU: its network moved to the CPU
   (see ``to_cpu``), and a pickle round trip;
4. training throughput, rows per second, of ``fit`` (one epoch, no early
   stopping) against a plain torch loop of the same network on the GPU
   (batches drawn with ``torch.randperm`` on the device, no host-device
   synchronisation per step) at batch sizes 256 to 8192.

Run on a GPU: ``PYTHONPATH=. python benchmarks/gpu_check.py`` (writes
``benchmarks/results_gpu.md``). Here, without one:
``PYTHONPATH=. python benchmarks/gpu_check.py --device cpu --quick`` (checks
the script; writes no results file). The exit status is 1 when a check fails.
"""

import argparse
import copy
import pickle
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import sklearn_ae
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer
from sklearn_ae._data import fit_scaling, scale_rows

HERE = Path(__file__).resolve().parent
RTOL = 1e-4  # float32 inference on two devices: a few ulps per operation, summed over a few layers
ATOL_SCALE = 1e-4  # absolute tolerance, relative to the output's largest magnitude


def make_data(n, d=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)) @ rng.standard_normal((5, d)) + 0.1 * rng.standard_normal((n, d))
    return X, rng.standard_normal((200, 5)) @ rng.standard_normal((5, d)) + 0.1 * rng.standard_normal((200, d))


def estimators(device, epochs):
    common = {"max_epochs": epochs, "random_state": 0, "device": device, "hidden_layer_sizes": (64, 32)}
    return {
        "AutoencoderTransformer": AutoencoderTransformer(2, **common),
        "VAETransformer": VAETransformer(2, **common),
        "AutoencoderOutlierDetector": AutoencoderOutlierDetector(AutoencoderTransformer(2, **common), random_state=0),
    }


def outputs(est, X):
    """Every inference method's output on ``X``, by name."""
    out = {"score_samples": est.score_samples(X)}
    if hasattr(est, "transform"):
        out["transform"] = est.transform(X)
        out["inverse_transform"] = est.inverse_transform(out["transform"])
    if hasattr(est, "decision_function"):
        out["decision_function"] = est.decision_function(X)
        out["predict"] = est.predict(X).astype(np.float64)
    return out


def members(est):
    """The autoencoders inside ``est`` (the detector's copies, or ``est`` itself)."""
    return getattr(est, "estimators_", [est])


def to_cpu(est):
    """A copy of ``est`` whose networks live on the CPU. Returns (copy, how).

    The library has no public method for this: ``set_params(device="cpu")``
    only changes what the next fit uses. The copy's skorch nets get
    ``set_params(device="cpu")`` if that moves their module, else their
    module and criterion are moved with ``.to("cpu")``.
    """
    moved = copy.deepcopy(est)
    how = set()
    for member in members(moved):
        net = member.net_
        try:
            net.set_params(device="cpu")
        except Exception as error:  # noqa: BLE001 - reported as the way that did not work
            how.add(f"net_.set_params failed ({type(error).__name__})")
        if next(net.module_.parameters()).device.type != "cpu":
            net.device = "cpu"
            net.module_.to("cpu")
            net.criterion_.to("cpu")
            how.add("net_.module_.to('cpu')")
        else:
            how.add("net_.set_params(device='cpu')")
    return moved, ", ".join(sorted(how))


def compare(a, b):
    """(largest difference relative to the output's scale, within tolerance) of two outputs."""
    scale = max(float(np.max(np.abs(b))), 1e-30)
    close = np.allclose(a, b, rtol=RTOL, atol=ATOL_SCALE * scale)
    return float(np.max(np.abs(a - b)) / scale), bool(close)


def check_estimators(device, X, X_test, epochs, lines, failures):
    lines += [
        "## 1-3. The estimators on the device, against the CPU",
        "",
        f"Data: {X.shape[0]:,} x {X.shape[1]} training rows, {X_test.shape[0]} test rows (synthetic, rank 5 plus "
        f"noise); hidden layers (64, 32), {epochs} epochs, random_state=0. Tolerance for inference: "
        f"rtol={RTOL}, atol={ATOL_SCALE} x the output's largest magnitude. Differences are the largest absolute "
        "difference over the output's largest magnitude.",
        "",
        "| estimator | check | output | difference | within tolerance |",
        "|---|---|---|---:|---|",
    ]
    rows = []
    for name, est in estimators(device, epochs).items():
        t0 = time.perf_counter()
        est.fit(X)
        fit_s = time.perf_counter() - t0
        on_device = outputs(est, X_test)
        for member in members(est):
            got = next(member.net_.module_.parameters()).device.type
            if got != torch.device(device).type:
                failures.append(f"{name}: the network is on {got}, not {device}")
        if hasattr(est, "partial_fit"):
            before = getattr(est, "n_samples_seen_", None)
            est.partial_fit(X[:500])
            seen = getattr(est, "n_samples_seen_", None)
            rows.append((name, "partial_fit", "n_samples_seen_", f"{before} -> {seen}", "-"))
            est.fit(X)  # back to the fitted model compared below
        else:
            rows.append((name, "partial_fit", "-", "not on this branch", "-"))
        cpu_copy, how = to_cpu(est)
        on_cpu = outputs(cpu_copy, X_test)
        for key in on_device:
            diff, ok = compare(on_cpu[key], on_device[key])
            rows.append((name, f"same model on CPU ({how})", key, f"{diff:.2e}", "yes" if ok else "NO"))
            if not ok:
                failures.append(f"{name}.{key}: the GPU-fitted model on CPU differs by {diff:.2e}")
        restored = pickle.loads(pickle.dumps(est))
        diff, ok = compare(outputs(restored, X_test)["score_samples"], on_device["score_samples"])
        rows.append((name, "pickle round trip", "score_samples", f"{diff:.2e}", "yes" if ok else "NO"))
        if not ok:
            failures.append(f"{name}: pickled model differs by {diff:.2e}")
        for max_epochs, asserted in ((0, True), (epochs, False)):
            twins = [estimators(d, max_epochs)[name].fit(X) for d in (device, "cpu")]
            a, b = outputs(twins[0], X_test), outputs(twins[1], X_test)
            for key in ("transform", "score_samples") if "transform" in a else ("score_samples", "decision_function"):
                diff, ok = compare(a[key], b[key])
                verdict = ("yes" if ok else "NO") if asserted else f"{'yes' if ok else 'no'} (reported)"
                rows.append((name, f"fit on each device, max_epochs={max_epochs}", key, f"{diff:.2e}", verdict))
                if asserted and not ok:
                    failures.append(f"{name}.{key}: fits at the start differ by {diff:.2e} across devices")
        rows.append((name, "fit seconds on the device", "-", f"{fit_s:.2f}", "-"))
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    lines.append("")


def plain_loop(Xs, module, batch_size, lr):
    """One epoch of a plain loop on ``Xs`` (already on the device). Returns seconds, synchronised at the end."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    n = Xs.shape[0]
    module.train()
    sync(Xs.device)
    t0 = time.perf_counter()
    perm = torch.randperm(n, device=Xs.device)
    for start in range(0, n, batch_size):
        xb = Xs[perm[start : start + batch_size]]
        opt.zero_grad()
        F.mse_loss(module(xb).reconstruction, xb).backward()
        opt.step()
    sync(Xs.device)
    return time.perf_counter() - t0


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def throughput(device, n, batch_sizes, repeats, lines):
    X, _ = make_data(n)
    offset, scale = fit_scaling(X, "global")
    Xs = torch.from_numpy(scale_rows(X, offset, scale)).to(device)
    lines += [
        f"## 4. Training throughput on {device}, {n:,} x 20 rows, one epoch",
        "",
        "Rows per second, median over repeats (interleaved). Ours: the skorch loop of `fit` (its epoch `dur`: "
        "90% of the rows for training, validation off), default network ((512, 128) hidden). Plain: the same "
        "module, Adam, all rows.",
        "",
        "| batch | plain rows/s | ours rows/s | ours / plain |",
        "|---:|---:|---:|---:|",
    ]
    for bs in batch_sizes:
        rows = []
        for r in range(repeats):
            got = {}
            for which in ("plain", "ours") if r % 2 == 0 else ("ours", "plain"):
                if which == "plain":
                    est = AutoencoderTransformer(2, batch_size=bs)
                    spec = est._network_spec(X.shape[1])
                    torch.manual_seed(r)
                    module = spec.module(**spec.module_kwargs).to(device)
                    got["plain"] = n / plain_loop(Xs, module, bs, est.lr)
                else:
                    est = AutoencoderTransformer(
                        2, batch_size=bs, max_epochs=1, early_stopping=False, random_state=r, device=device
                    ).fit(X)
                    h = est.net_.history
                    got["ours"] = sum(h[-1, "batches", :, "train_batch_size"]) / h[-1, "dur"]
            rows.append((got["plain"], got["ours"]))
        rows = np.array(rows)
        lines.append(
            f"| {bs} | {np.median(rows[:, 0]):,.0f} | {np.median(rows[:, 1]):,.0f} | "
            f"{np.median(rows[:, 1] / rows[:, 0]):.2f} |"
        )
        print(lines[-1], flush=True)
    lines.append("")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the script in seconds")
    parser.add_argument("--out", default=str(HERE / "results_gpu.md"))
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA device: run with --device cpu --quick to check the script")
    n_check, epochs = (1_000, 2) if args.quick else (10_000, 3)
    n_speed, batch_sizes, repeats = (
        (8_192, (256, 1024), 1) if args.quick else (400_000, (256, 1024, 2048, 4096, 8192), 3)
    )
    name = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or "CPU"
    lines = [
        "# GPU check",
        "",
        f"Command: `PYTHONPATH=. python benchmarks/gpu_check.py --device {args.device}"
        f"{' --quick' if args.quick else ''}`",
        "",
        f"Device: {name}. torch {torch.__version__}, Python {platform.python_version()}, sklearn-ae "
        f"{sklearn_ae.__version__}.",
        "",
    ]
    failures = []
    t0 = time.perf_counter()
    X, X_test = make_data(n_check)
    check_estimators(args.device, X, X_test, epochs, lines, failures)
    throughput(args.device, n_speed, batch_sizes, repeats, lines)
    lines += [
        f"Total time {time.perf_counter() - t0:.0f} s. Failed checks: {len(failures)}.",
        *[f"- {f}" for f in failures],
        "",
    ]
    print("\n".join(lines[-3 - len(failures) :]))
    if torch.device(args.device).type == "cuda":
        Path(args.out).write_text("\n".join(lines))
        print("wrote", args.out)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

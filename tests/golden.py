"""Reference outputs of sklearn-ae 0.2, for checking that a reshaping of the core changes no number.

``python tests/golden.py --write`` computes the outputs below (fitted weights, codes, reconstructions,
scores, the saved files' tensors and documents) for a set of small seeded fits and writes them to
``tests/data/golden.npz``; it was run on the code before the core was reshaped (issue 20), and again when
the end-of-fit statistics became a float32 pass summed in float64 (a deliberate change of the last bits,
within ``tests/test_golden.py``'s tolerance, which the old file passed), and when the detector's default
measure became ``"combined"`` (issue 23: its scores and saved parameters changed on purpose).
``python tests/golden.py --exact`` recomputes them and compares bit for bit: on the machine and build that
wrote the file, a reshaping that changes nothing passes it. ``tests/test_golden.py`` compares the same
outputs within a tolerance, which holds on any machine with the pinned stack (CPU kernels differ in the
last bits).
"""

import argparse
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

GOLDEN = Path(__file__).resolve().parent / "data" / "golden.npz"


def _data():
    X, _ = load_digits(return_X_y=True)
    return X[:240].astype(np.float64), X[240:300].astype(np.float64)


def _configurations():
    from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

    small = {"n_components": 3, "max_epochs": 3, "random_state": 0, "batch_size": 64, "hidden_layer_sizes": (16,)}
    return {
        "ae": AutoencoderTransformer(**small),
        "ae_masking_sparse": AutoencoderTransformer(**small, noise="masking", sparsity=0.1),
        "ae_gaussian_contractive_tied": AutoencoderTransformer(
            **small, noise="gaussian", contractive=0.01, tied_weights=True
        ),
        "ae_layer_matching": AutoencoderTransformer(**{**small, "hidden_layer_sizes": (16, 8)}, layer_matching=0.1),
        "ae_conv": AutoencoderTransformer(**{**small, "hidden_layer_sizes": (4, 8)}, image_shape=(8, 8)),
        "ae_bce_kl": AutoencoderTransformer(**small, loss="bce", scaling="minmax", sparsity=0.05, sparsity_target=0.1),
        "vae": VAETransformer(**small),
        "vae_masking": VAETransformer(**small, noise="masking", noise_variance="feature"),
        "detector": AutoencoderOutlierDetector(random_state=0, n_estimators=2),
        "detector_pca": AutoencoderOutlierDetector(PCA(4), random_state=0),
    }


def _state_arrays(prefix, estimator):
    out = {}
    net = getattr(estimator, "net_", None)
    if net is not None:
        for name, tensor in net.module_.state_dict().items():
            out[f"{prefix}/weights/{name}"] = tensor.detach().cpu().numpy().copy()
    return out


def _saved_arrays(prefix, estimator):
    from safetensors import safe_open

    from sklearn_ae import save

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.safetensors")
        save(estimator, path)
        with safe_open(path, framework="np") as f:
            document = json.loads(f.metadata()["sklearn_ae"])
            for key in f.keys():  # noqa: SIM118 (a safe_open, not a dict)
                out[f"{prefix}/saved/{key}"] = f.get_tensor(key)
    document.pop("versions")
    _drop_durations(document)
    out[f"{prefix}/saved_document"] = np.array(json.dumps(document, sort_keys=True))
    return out


def _drop_durations(value):
    """Remove the epochs' wall-clock durations (skorch's ``dur``) from a saved document, in place."""
    if isinstance(value, dict):
        value.pop("dur", None)
        for item in value.values():
            _drop_durations(item)
    elif isinstance(value, list):
        for item in value:
            _drop_durations(item)


def compute():
    """``{name: ndarray}``: every reference output."""
    X, X_new = _data()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, estimator in _configurations().items():
            estimator.fit(X)
            if name.startswith("detector"):
                out[f"{name}/score_samples"] = estimator.score_samples(X_new)
                out[f"{name}/decision_function"] = estimator.decision_function(X_new)
                out[f"{name}/feature_errors"] = estimator.feature_errors(X_new)
                for i, member in enumerate(estimator.estimators_):
                    out.update(_state_arrays(f"{name}/member{i}", member))
            else:
                codes = estimator.transform(X_new)
                out[f"{name}/transform"] = codes
                out[f"{name}/inverse_transform"] = estimator.inverse_transform(codes)
                out[f"{name}/score_samples"] = estimator.score_samples(X_new)
                out.update(_state_arrays(name, estimator))
            out.update(_saved_arrays(name, estimator))
        from sklearn_ae import AutoencoderTransformer

        streamed = AutoencoderTransformer(n_components=3, random_state=0, batch_size=64, hidden_layer_sizes=(16,))
        for chunk in np.array_split(X, 3):
            streamed.partial_fit(chunk)
        out["partial_fit/transform"] = streamed.transform(X_new)
        out["partial_fit/score_samples"] = streamed.score_samples(X_new)
        out.update(_state_arrays("partial_fit", streamed))
        out.update(_saved_arrays("partial_fit", streamed))
    return out


def _close(a, b):
    """Whether two JSON values are equal, numbers within rtol=1e-4, atol=1e-5."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return bool(np.isclose(a, b, rtol=1e-4, atol=1e-5))
    return a == b


# The key of the CPU configuration that wrote the file (not an output).
CONFIGURATION = "__cpu_configuration__"


def cpu_configuration():
    """What decides the last bits of the fits: torch's build and CPU kernels, numpy's BLAS and its kernels.

    A few epochs of training amplify a difference in the last bits (measured: weights differ by up to 1e-3, a
    reconstruction by 6e-2, under ``ATEN_CPU_CAPABILITY=default`` and OpenBLAS's Sandybridge kernels), so the
    outputs compare within a tolerance only under the configuration that wrote them.
    """
    import torch
    from threadpoolctl import threadpool_info

    blas = sorted(
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    return f"torch {torch.__version__} {torch.backends.cpu.get_cpu_capability()}; numpy {np.__version__} {blas}"


def differences(reference, current, exact):
    """The names whose arrays differ (bit for bit with ``exact``, else beyond rtol=1e-4, atol=1e-5)."""
    reference = {k: v for k, v in reference.items() if k != CONFIGURATION}
    problems = [f"missing: {k}" for k in sorted(set(reference) - set(current))]
    problems += [f"new: {k}" for k in sorted(set(current) - set(reference))]
    for key in sorted(set(reference) & set(current)):
        a, b = reference[key], current[key]
        if a.dtype.kind in "US":
            same = str(a) == str(b) if exact else _close(json.loads(str(a)), json.loads(str(b)))
            if not same:
                problems.append(f"differs: {key}")
            continue
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"shape or dtype: {key}: {a.shape} {a.dtype} vs {b.shape} {b.dtype}")
        elif not (np.array_equal(a, b) if exact else np.allclose(a, b, rtol=1e-4, atol=1e-5)):
            problems.append(f"differs: {key} (max |diff| {np.max(np.abs(a.astype(float) - b.astype(float)))})")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="write tests/data/golden.npz")
    group.add_argument("--exact", action="store_true", help="compare bit for bit with tests/data/golden.npz")
    args = parser.parse_args(argv)
    current = compute()
    if args.write:
        GOLDEN.parent.mkdir(exist_ok=True)
        np.savez_compressed(GOLDEN, **current, **{CONFIGURATION: np.array(cpu_configuration())})
        print(f"wrote {len(current)} arrays to {GOLDEN}")
        return 0
    with np.load(GOLDEN) as stored:
        reference = dict(stored)
    problems = differences(reference, current, exact=True)
    print("\n".join(problems) if problems else f"all {len(reference)} arrays bit for bit identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""
=====================================================
Saving and loading a model without pickle
=====================================================

:func:`sklearn_ae.save` writes a fitted model to one safetensors file: the
network weights and fitted arrays as tensors, everything else as a JSON
document in the file's header. :func:`sklearn_ae.load` reads it back without
running any code from the file. Here a model is saved, loaded, compared
with the original, and the file is opened as the plain safetensors file it
is. See :ref:`saving` for what is safe and what is not.
"""

# %%
import json
import pickle
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import skops.io as sio
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.datasets import load_digits

import sklearn_ae
from sklearn_ae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
model = AutoencoderTransformer(n_components=2, max_epochs=10, random_state=0).fit(X)

folder = Path(tempfile.mkdtemp())
sklearn_ae.save(model, folder / "digits.safetensors")
loaded = sklearn_ae.load(folder / "digits.safetensors")

size = (folder / "digits.safetensors").stat().st_size
print(f"file: {size / 1e3:.0f} kB, pickle: {len(pickle.dumps(model)) / 1e3:.0f} kB")

# %%
# The loaded model gives the same results, bit for bit.
codes = model.transform(X)
for method, a, b in [
    ("transform", codes, loaded.transform(X)),
    ("inverse_transform", model.inverse_transform(codes), loaded.inverse_transform(codes)),
    ("score_samples", model.score_samples(X), loaded.score_samples(X)),
]:
    print(f"{method:18s} identical: {np.array_equal(a, b)}")

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for ax, m, title in [(axes[0], model, "fitted"), (axes[1], loaded, "loaded from the file")]:
    ax.scatter(*m.transform(X).T, c=y, cmap="tab10", s=5)
    ax.set_title(f"codes of the {title} model")
plt.show()

# %%
# The file is a plain safetensors file: any safetensors reader lists its
# tensors and its metadata, which holds the JSON document. The training
# history is shortened here for printing.
with safe_open(str(folder / "digits.safetensors"), framework="pt") as f:
    document = json.loads(f.metadata()["sklearn_ae"])
    shapes = {key: tuple(f.get_slice(key).get_shape()) for key in f.keys()}  # noqa: SIM118
print(len(shapes), "tensors, e.g.", dict(list(shapes.items())[:3]))

document["estimator"]["net"]["history"] = f"... {len(document['estimator']['net']['history'])} epochs ..."
print(json.dumps(document, indent=1)[:2500])

# %%
# A tampered file is refused before anything runs. Here the class becomes
# ``os.system``:
with safe_open(str(folder / "digits.safetensors"), framework="pt") as f:
    document = json.loads(f.metadata()["sklearn_ae"])
    tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
document["estimator"]["class"] = "os.system"
save_file(tensors, str(folder / "tampered.safetensors"), metadata={"sklearn_ae": json.dumps(document)})
try:
    sklearn_ae.load(folder / "tampered.safetensors")
except ValueError as error:
    print("ValueError:", error)

# %%
# skops works too: the estimator's state holds the weights as safetensors
# bytes, so the only type skops asks you to trust is the estimator's class.
sio.dump(model, folder / "digits.skops")
print(sio.get_untrusted_types(file=folder / "digits.skops"))

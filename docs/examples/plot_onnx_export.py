"""
======================================
Deploying with ONNX: no Python needed
======================================

A fitted pipeline that contains an autoencoder can leave Python as an ONNX
graph: :func:`sklearn_ae.onnx.register` teaches skl2onnx to convert our
estimators, and ``skl2onnx.to_onnx`` then converts the whole pipeline. The
file holds only the graph and its weights, no code, and onnxruntime (or any
ONNX runtime, in C++, C#, Java or JavaScript) runs it. Here a scaler, a
convolutional autoencoder and a logistic regression on the digits, and an
outlier detector, each checked against scikit-learn on held-out rows.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer
from sklearn_ae.onnx import register

register()  # once per process: skl2onnx now knows the sklearn-ae estimators

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)  # the ONNX graph computes in the input's type: float32 here
X_train, y_train, X_test, y_test = X[:1200], y[:1200], X[1200:], y[1200:]

pipeline = make_pipeline(
    StandardScaler(),
    AutoencoderTransformer(
        n_components=8, image_shape=(8, 8), hidden_layer_sizes=(8, 16), max_epochs=8, random_state=0
    ),
    LogisticRegression(max_iter=1000),
).fit(X_train, y_train)

# %%
# Convert. ``X_train[:1]`` only declares the input: its type (float32) and
# its width (64); the number of rows stays free. ``zipmap=False`` makes the
# classifier's probabilities a plain matrix rather than a list of dicts.
model = to_onnx(pipeline, X_train[:1], options={"zipmap": False})
print(f"ONNX model: {len(model.SerializeToString()) / 1e3:.0f} kB, {len(model.graph.node)} nodes")
print("operators:", sorted({node.op_type for node in model.graph.node}))

# %%
# onnxruntime computes the same probabilities as the pipeline, to float32
# rounding, on rows it has not seen.
session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
labels, proba = session.run(None, {"X": X_test})
print(f"max |difference| of predict_proba: {np.abs(proba - pipeline.predict_proba(X_test)).max():.1e}")
print(f"same labels: {np.mean(labels == pipeline.predict(X_test)):.0%}")

# %%
# The outlier detector converts too. Like skl2onnx's IsolationForest its
# graph has two outputs: ``label`` (``predict``: +1 inlier, -1 outlier) and
# ``scores`` (``decision_function``). A few test digits are spoiled with
# bright pixels so that there is something to find.
detector = AutoencoderOutlierDetector(
    AutoencoderTransformer(n_components=4, hidden_layer_sizes=(32,), scaling="standard", max_epochs=10),
    contamination=0.05,
    random_state=0,
).fit(X_train)
X_odd = X_test.copy()
X_odd[:30, np.random.default_rng(0).choice(64, 12, replace=False)] = 16.0

detector_session = ort.InferenceSession(to_onnx(detector, X_train[:1]).SerializeToString())
onnx_labels, onnx_scores = detector_session.run(None, {"X": X_odd})
scores = detector.decision_function(X_odd)
print(
    f"max relative difference of decision_function: {np.max(np.abs(onnx_scores[:, 0] - scores) / np.abs(scores)):.1e}"
)
print(f"same labels: {np.mean(onnx_labels[:, 0] == detector.predict(X_odd)):.0%}")

# %%
# Side by side: each point is a held-out row, scikit-learn's value against
# onnxruntime's.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4))
ax1.scatter(pipeline.predict_proba(X_test).ravel(), proba.ravel(), s=4)
ax1.set(xlabel="pipeline.predict_proba", ylabel="onnxruntime", title="Probabilities (scaler, conv AE, logistic)")
outlier = onnx_labels[:, 0] == -1
ax2.scatter(scores[~outlier], onnx_scores[~outlier, 0], s=6, label="inliers (+1)")
ax2.scatter(scores[outlier], onnx_scores[outlier, 0], s=6, color="tab:red", label="outliers (-1)")
ax2.axhline(0, color="grey", lw=0.5)
ax2.set(xlabel="detector.decision_function", ylabel="onnxruntime", title="Outlier detector")
ax2.legend()
fig.tight_layout()
plt.show()

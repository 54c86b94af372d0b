"""Export to ONNX: converters for skl2onnx, so that ``skl2onnx.to_onnx`` converts our estimators.

:func:`register` tells skl2onnx how to convert
:class:`~sklearn_ae.AutoencoderTransformer`,
:class:`~sklearn_ae.VAETransformer` and
:class:`~sklearn_ae.AutoencoderOutlierDetector`, alone or inside a
:class:`~sklearn.pipeline.Pipeline`. The torch networks are exported by
``torch.onnx.export(..., dynamo=True)`` with a dynamic batch dimension and
their nodes and weights are spliced into skl2onnx's graph, each name
prefixed by its operator's; the input scaling, the un-scaling of the
reconstructions and the detector's score are written as ONNX nodes around
them. The ONNX graph then runs without Python, torch or pickle (e.g. in
onnxruntime).

onnx, onnxscript and skl2onnx are optional dependencies (the ``onnx`` extra):
they are imported when :func:`register` is called, not with this module;
without them :func:`register` raises an ImportError that says how to install
them.
"""

import contextlib
import copy
import logging
import re
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from . import _registry
from ._detector_score import (
    codes_can_copy,
    combined_score,
    decision,
    detector_score,
    member_score,
    member_stats,
    residuals,
)
from .nn._conv import TiedConvTranspose2d

# The lowest ONNX opset that torch's dynamo exporter writes.
_MIN_OPSET = 18
# The operator names skl2onnx knows our converters by, by class name (from the registry).
_ALIASES = {entry.name: entry.onnx_alias for entry in _registry.ESTIMATORS}
# The logger by which torch's exporter says, at every export, that it skips the torchvision operators.
_TORCHVISION_LOGGER = "torch.onnx._internal.exporter._registration"
# How to install the optional dependencies (the ``onnx`` extra).
_INSTALL = 'pip install ".[onnx]" from a clone of the repository (pip install "sklearn-ae[onnx]" once published)'


def register() -> None:
    """Register the converters of the sklearn-ae estimators with skl2onnx.

    After this call ``skl2onnx.to_onnx`` (or ``convert_sklearn``) converts,
    alone or as steps of a pipeline:

    - :class:`~sklearn_ae.AutoencoderTransformer` and
      :class:`~sklearn_ae.VAETransformer`: ``transform``, the codes (for the
      VAE the posterior means);
    - :class:`~sklearn_ae.AutoencoderOutlierDetector`: the outputs skl2onnx
      gives :class:`~sklearn.ensemble.IsolationForest`, ``label`` (the
      :meth:`~sklearn_ae.AutoencoderOutlierDetector.predict` labels +1/-1,
      int64 of shape (n_rows, 1)) and ``scores`` (the
      :meth:`~sklearn_ae.AutoencoderOutlierDetector.decision_function`, shape
      (n_rows, 1)); with ``options={"score_samples": True}`` a third output,
      ``score_samples``. A row holding a NaN or an infinite value, which
      ``predict`` refuses with a ValueError, is the graph's one deliberate
      difference from Python (a deployed graph cannot raise): it is scored
      -inf (``scores`` and ``score_samples``) and labelled an outlier, -1.

    Calling it again changes nothing. The graph computes in the input's
    float type (declare float32 or float64 input), except that
    convolutional networks run in float32 (onnxruntime has no float64
    convolution) and the detector in float64, as it does in Python. The
    target opset must be at least 18, the oldest torch's exporter writes.

    Not supported, with an error that says so: the detector with
    ``measure="likelihood"`` (its score is a Monte Carlo estimate), detector
    copies that are neither of our autoencoders nor a
    :class:`~sklearn.decomposition.PCA`, and custom encoders or decoders
    that ``torch.onnx.export`` cannot export. A declared input whose number
    of columns is not the estimator's ``n_features_in_`` raises a
    ValueError when converting (an unknown width, None, is not checked).

    Raises
    ------
    ImportError
        When skl2onnx (or onnx, which it imports) is not installed: the
        message names the package and the install command of the ``onnx``
        extra, ``pip install ".[onnx]"`` from a clone of the repository.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.onnx import register
    >>> register()
    >>> X = load_digits().data.astype(np.float32)
    >>> ae = AutoencoderTransformer(n_components=4, hidden_layer_sizes=(16,), max_epochs=1, random_state=0).fit(X)
    >>> model = to_onnx(ae, X[:1])  # X[:1] declares the input: float32, 64 columns, any number of rows
    >>> session = ort.InferenceSession(model.SerializeToString())
    >>> codes = session.run(None, {"X": X[:5]})[0]
    >>> np.abs(codes - ae.transform(X[:5])).max() < 1e-5
    np.True_
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        missing = error.name or "skl2onnx"
        raise ImportError(
            f"sklearn_ae.onnx.register needs {missing}, which is not installed. The ONNX export needs the optional "
            f"dependencies of the sklearn-ae extra 'onnx' (onnx, onnxruntime, onnxscript, skl2onnx): install them "
            f"with {_INSTALL}."
        ) from error

    # each registered estimator's converter, by the kind the registry gives it
    converters = {
        "transformer": (_transformer_shape, _convert_transformer, {}),
        "detector": (
            _detector_shape,
            _convert_detector,
            {"parser": _parse_detector, "options": {"score_samples": [False, True]}},
        ),
    }
    for entry in _registry.ESTIMATORS:
        shape, convert, extra = converters[entry.onnx]
        update_registered_converter(entry.cls, _ALIASES[entry.name], shape, convert, **extra)


# ------------------------------------------------------------------ shapes
def _float_type(operator):
    """The input's skl2onnx tensor type class; TypeError unless float32 or float64. The estimator must be fitted."""
    check_is_fitted(operator.raw_operator)
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    input_type = operator.inputs[0].type
    if not isinstance(input_type, (FloatTensorType, DoubleTensorType)):
        raise TypeError(
            f"The ONNX converter of {type(operator.raw_operator).__name__} needs float32 or float64 input, "
            f"got {type(input_type).__name__}; convert with X.astype(np.float32)."
        )
    return type(input_type)


def _check_width(operator):
    """ValueError unless the declared input has the ``n_features_in_`` columns the estimator was fitted on.

    A width declared unknown (None, or a symbolic dimension) is not checked.
    """
    estimator = operator.raw_operator
    shape = operator.inputs[0].type.shape
    width = shape[1] if shape is not None and len(shape) == 2 else None
    if isinstance(width, (int, np.integer)) and width != estimator.n_features_in_:
        raise ValueError(
            f"The ONNX input of {type(estimator).__name__} is declared with {width} columns, but it was fitted on "
            f"{estimator.n_features_in_} features (n_features_in_); declare the input with rows of the training "
            "data, e.g. X_train[:1]."
        )


def _transformer_shape(operator):
    float_type = _float_type(operator)
    _check_width(operator)
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = float_type([n_rows, operator.raw_operator.n_components_])


def _parse_detector(scope, model, inputs, custom_parsers=None):
    """The detector's outputs, as skl2onnx's parser declares IsolationForest's (``score_samples`` an option)."""
    from skl2onnx.common.data_types import Int64TensorType, guess_tensor_type

    operator = scope.declare_local_operator(_ALIASES["AutoencoderOutlierDetector"], model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("scores", guess_tensor_type(inputs[0].type)))
    if scope.get_options(model, dict(score_samples=False))["score_samples"]:
        operator.outputs.append(scope.declare_local_variable("score_samples", guess_tensor_type(inputs[0].type)))
    return operator.outputs


def _detector_shape(operator):
    from skl2onnx.common.data_types import Int64TensorType

    float_type = _float_type(operator)
    _check_width(operator)
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([n_rows, 1])
    for output in operator.outputs[1:]:
        output.type = float_type([n_rows, 1])


# --------------------------------------------------------- graph building
class _Builder:
    """Adds nodes and constants to skl2onnx's container, with names unique in its scope.

    ``dtype`` is the float type the graph computes in; ``prefix`` (the
    operator's name) starts every name.
    """

    def __init__(self, scope, container, dtype, prefix):
        self.scope, self.container, self.dtype, self.prefix = scope, container, dtype, prefix

    def name(self, what):
        return self.scope.get_unique_variable_name(f"{self.prefix}_{what}")

    def const(self, value, what="const", dtype=None):
        from onnx import numpy_helper

        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        tensor = numpy_helper.from_array(array)
        name = self.name(what)
        self.container.add_initializer(name, tensor.data_type, list(array.shape), tensor)
        return name

    def node(self, op_type, inputs, output=None, **attrs):
        output = self.name(op_type.lower()) if output is None else output
        name = self.scope.get_unique_operator_name(f"{self.prefix}_{op_type}")
        self.container.add_node(op_type, list(inputs), [output], name=name, **attrs)
        return output

    def nodes(self, op_type, inputs, n_outputs, **attrs):
        """A node of ``n_outputs`` outputs; returns their names."""
        outputs = [self.name(f"{op_type.lower()}_{i}") for i in range(n_outputs)]
        name = self.scope.get_unique_operator_name(f"{self.prefix}_{op_type}")
        self.container.add_node(op_type, list(inputs), outputs, name=name, **attrs)
        return outputs

    def cast(self, x, dtype, output=None):
        from onnx import helper

        return self.node("Cast", [x], output, to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def row_mean(self, x, output=None):
        """Mean over axis 1, keeping it: shape (n_rows, 1)."""
        return self.node("ReduceMean", [x, self.const([1], "axes", np.int64)], output, keepdims=1)

    def splice(self, model, inputs, outputs):
        """Add the nodes and initializers of the ONNX ``model``, its inputs and outputs renamed to ours."""
        from onnx import helper, inliner, numpy_helper

        if model.functions:
            model = inliner.inline_local_functions(model)
        graph = model.graph
        names = {"": ""}
        names.update({value.name: name for value, name in zip(graph.input, inputs, strict=True)})
        produced = {out for node in graph.node for out in node.output}
        for value, name in zip(graph.output, outputs, strict=True):
            if value.name in produced and value.name not in names:
                names[value.name] = name
        for init in graph.initializer:
            tensor = numpy_helper.from_array(numpy_helper.to_array(init))
            names[init.name] = self.name(init.name)
            self.container.add_initializer(names[init.name], tensor.data_type, list(tensor.dims), tensor)
        for node in graph.node:
            attrs = {}
            for attr in node.attribute:
                if attr.type in (attr.GRAPH, attr.GRAPHS):
                    raise NotImplementedError(
                        f"The exported network holds a {node.op_type} node with a subgraph, which the sklearn-ae "
                        "ONNX converter cannot splice."
                    )
                attrs[attr.name] = helper.get_attribute_value(attr)
            for out in node.output:
                if out not in names:
                    names[out] = self.name(out)
            self.container.add_node(
                node.op_type,
                [names[i] for i in node.input],
                [names[o] for o in node.output],
                op_domain=node.domain,
                name=self.scope.get_unique_operator_name(f"{self.prefix}_{node.op_type}"),
                **attrs,
            )
        for value, name in zip(graph.output, outputs, strict=True):
            if names.get(value.name) != name:  # an output that is an input or a weight
                self.node("Identity", [names[value.name]], name)


class _TorchvisionNotice(logging.Filter):
    """Drops the "torchvision is not installed. Skipping torchvision::nms" records; lets all others pass."""

    def filter(self, record):
        return not str(record.msg).startswith("torchvision is not installed")


@contextlib.contextmanager
def _quiet_export():
    """Within: torch's exporter without the notices that do not concern our networks; all restored on exit.

    Silences the torchvision notices (a logging filter on the exporter's
    logger) and the warning about its own use of a deprecated pytree class,
    once per export. Global logging and warnings settings are left alone.
    """
    logger = logging.getLogger(_TORCHVISION_LOGGER)
    notice = _TorchvisionNotice()
    logger.addFilter(notice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*LeafSpec.* is deprecated", category=FutureWarning)
            yield
    finally:
        logger.removeFilter(notice)


def _export(module_fn, n_inputs, dtype, opset, what):
    """``module_fn`` (a callable on a batch tensor) exported by torch's dynamo exporter, as a ModelProto."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, fn, modules):
            super().__init__()
            self.fn = fn
            self.modules_ = torch.nn.ModuleList(modules)

        def forward(self, x):
            return self.fn(x)

    fn, modules = module_fn
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    example = torch.zeros((2, n_inputs), dtype=torch_dtype)
    try:
        with _quiet_export():
            program = torch.onnx.export(
                Wrapped(fn, modules).eval(),
                (example,),
                dynamo=True,
                opset_version=opset,
                dynamic_shapes={"x": {0: torch.export.Dim("batch")}},
                optimize=True,
                verbose=False,
            )
    except Exception as error:
        summary = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().split(". ")[0]
        raise NotImplementedError(
            f"torch.onnx.export could not export {what}, so it cannot be converted to ONNX "
            f"({type(error).__name__}: {summary}; the cause is chained below)."
        ) from error
    model = program.model_proto
    _check_export(model, fn, n_inputs, torch_dtype, what)
    return model


def _check_export(model, fn, n_inputs, torch_dtype, what):
    """Raise unless onnxruntime runs the exported ``model`` as torch runs ``fn`` on a few probe rows.

    An export can succeed and still be wrong, e.g. when the module computes
    part of its output in Python from the example batch, which is then
    recorded as a constant.
    """
    import onnxruntime
    import torch

    probe = np.random.default_rng(0).standard_normal((3, n_inputs))
    with torch.no_grad():
        expected = fn(torch.as_tensor(probe, dtype=torch_dtype)).numpy()
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: probe.astype(expected.dtype)})
    tolerance = 1e-4 * (1.0 + float(np.abs(expected).max()))
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-4, atol=tolerance):
        raise NotImplementedError(
            f"torch.onnx.export exported {what}, but onnxruntime does not reproduce it on probe rows; the module "
            "probably computes with Python or numpy values that the export recorded as constants."
        )


def _check_opset(container, estimator):
    opset = container.target_opset_any_domain("")
    if opset < _MIN_OPSET:
        raise ValueError(
            f"Converting {type(estimator).__name__} to ONNX needs target_opset >= {_MIN_OPSET} (torch's ONNX "
            f"exporter writes no older opset), got {opset}."
        )
    return opset


def _network_halves(estimator, dtype):
    """The encoder and the decoder's mean output of a fitted autoencoder, as ``(callable, modules)`` pairs.

    On the CPU: a network trained on a GPU is exported from a copy.
    """
    network = estimator.network_
    module = network.module_as(dtype)
    if any(t.device.type != "cpu" for t in (*module.parameters(), *module.buffers())):
        module = copy.deepcopy(module).cpu()
    return (lambda x: module.encode(x), [module]), (lambda z: network.mean_output(module, z), [module])


def _module_name(estimator):
    module = estimator.network_.module
    parts = [type(module).__name__]
    for attr in ("encoder", "decoder"):
        if hasattr(module, attr):
            parts.append(f"{attr} {type(getattr(module, attr)).__name__}")
    return f"the network of {type(estimator).__name__} ({', '.join(parts)})"


def _network_dtype(estimator, dtype):
    """The float type the exported network computes in: ``dtype``, but float32 for convolutions.

    onnxruntime has no float64 ``Conv``; a convolutional network runs in
    float32 between two ``Cast`` nodes.
    """
    import torch

    convolutional = any(
        isinstance(m, (torch.nn.modules.conv._ConvNd, TiedConvTranspose2d)) for m in estimator.network_.module.modules()
    )
    return np.float32 if convolutional else dtype


def _run_network(builder, estimator, half, x, n_inputs, opset, output=None):
    """Splice the exported ``half`` (0: encoder, 1: decoder's mean output) of ``estimator`` applied to ``x``."""
    dtype = _network_dtype(estimator, builder.dtype)
    model = _export(_network_halves(estimator, dtype)[half], n_inputs, dtype, opset, _module_name(estimator))
    output = builder.name("network") if output is None else output
    if dtype == builder.dtype:
        builder.splice(model, [x], [output])
        return output
    inner = builder.name("network")
    builder.splice(model, [builder.cast(x, dtype)], [inner])
    return builder.cast(inner, builder.dtype, output)


def _encode(builder, estimator, x, opset, output=None):
    """The codes of ``x`` by a fitted autoencoder: scaling, then the exported encoder."""
    scaled = builder.node("Sub", [x, builder.const(estimator.scaling_offset_, "offset")])
    scaled = builder.node("Div", [scaled, builder.const(estimator.scaling_scale_, "scale")])
    return _run_network(builder, estimator, 0, scaled, estimator.n_features_in_, opset, output)


def _decode(builder, estimator, z, opset):
    """The reconstructions of codes ``z`` in the input's units: the exported decoder's mean, un-scaled."""
    decoded = _run_network(builder, estimator, 1, z, estimator.n_components_, opset)
    unscaled = builder.node("Mul", [decoded, builder.const(estimator.scaling_scale_, "scale")])
    return builder.node("Add", [unscaled, builder.const(estimator.scaling_offset_, "offset")])


def _input_dtype(operator):
    from skl2onnx.common.data_types import DoubleTensorType

    return np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) else np.float32


# -------------------------------------------------------------- converters
def _convert_transformer(scope, operator, container):
    estimator = operator.raw_operator
    opset = _check_opset(container, estimator)
    builder = _Builder(scope, container, _input_dtype(operator), operator.full_name)
    _encode(builder, estimator, operator.inputs[0].full_name, opset, operator.outputs[0].full_name)


def _pca_halves(builder, pca, x):
    """Codes and reconstructions of ``x`` by a fitted PCA (``transform`` and ``inverse_transform``)."""
    centred = builder.node("Sub", [x, builder.const(pca.mean_, "mean")])
    z = builder.node("MatMul", [centred, builder.const(pca.components_.T, "components")])
    if pca.whiten:
        z = builder.node("Div", [z, builder.const(np.sqrt(pca.explained_variance_), "std")])
        back = pca.components_ * np.sqrt(pca.explained_variance_)[:, None]
    else:
        back = pca.components_
    recon = builder.node("MatMul", [z, builder.const(back, "components")])
    return z, builder.node("Add", [recon, builder.const(pca.mean_, "mean")])


def _member_halves(builder, member, x, opset):
    autoencoders = tuple(entry.cls for entry in _registry.ESTIMATORS if entry.onnx == "transformer")
    if isinstance(member, autoencoders):
        z = _encode(builder, member, x, opset)
        return z, _decode(builder, member, z, opset)
    if type(member) is PCA:
        return _pca_halves(builder, member, x)
    raise NotImplementedError(
        "The ONNX converter of AutoencoderOutlierDetector supports copies that are "
        f"AutoencoderTransformer, VAETransformer or PCA, not {type(member).__name__}."
    )


def _convert_detector(scope, operator, container):
    """``decision_function`` and ``predict``: the score of ``sklearn_ae._detector_score`` with graph ops.

    Rows with a NaN or an infinite value are scored -inf and labelled -1
    (see :func:`_non_finite_rows_score`), where Python raises.
    """
    from onnx import TensorProto

    detector = operator.raw_operator
    if detector.measure_ not in ("combined", "distance", "reconstruction", "neighbors", "code_neighbors"):
        raise NotImplementedError(
            f"The ONNX converter of AutoencoderOutlierDetector does not support measure={detector.measure_!r} "
            "(a Monte Carlo estimate, or an estimator's own score_samples); use 'combined', 'distance', "
            "'reconstruction', 'neighbors' or 'code_neighbors'."
        )
    opset = _check_opset(container, detector)
    # in float64, as the detector computes (the convolutional networks in float32, see _network_dtype)
    input_dtype = _input_dtype(operator)
    builder = _Builder(scope, container, np.float64, operator.full_name)
    ops = _ScoreOps(builder)
    x = operator.inputs[0].full_name
    if input_dtype != np.float64:
        x = builder.cast(x, np.float64)
    score = _non_finite_rows_score(builder, x, _detector_score_graph(builder, ops, detector, x, opset))
    if len(operator.outputs) > 2:  # the score_samples option
        builder.cast(score, input_dtype, operator.outputs[2].full_name)
    decided = decision(ops, score, detector.offset_)
    builder.cast(decided, input_dtype, operator.outputs[1].full_name)
    outlier = builder.node("Cast", [builder.node("Less", [decided, builder.const([0], "zero")])], to=TensorProto.INT64)
    labels = builder.node("Mul", [outlier, builder.const([-2], "minus_two", np.int64)])
    builder.node("Add", [labels, builder.const([1], "one", np.int64)], operator.outputs[0].full_name)


def _detector_score_graph(builder, ops, detector, x, opset):
    """The detector's ``score_samples`` of the float64 rows ``x``, as graph nodes (see ``_detector_score``)."""
    measure, k = detector.measure_, detector.n_neighbors
    if measure == "neighbors":
        scaled = ops.div(x, ops.const(detector.feature_scales_, "feature_scales"))
        return ops.neg(ops.kth_distance(scaled, detector.neighbor_reference_, k))
    copies = codes_can_copy(detector)
    scores = []
    for i, (member, stats) in enumerate(zip(detector.estimators_, member_stats(detector), strict=True)):
        z, recon = _member_halves(builder, member, x, opset)
        if measure == "code_neighbors":
            whitened = ops.matmul(ops.sub(z, ops.const(stats.code_mean, "code_mean")), ops.const(stats.whitener, "W"))
            scores.append(ops.neg(ops.kth_distance(whitened, detector.code_references_[i], k)))
            continue
        residual = residuals(ops, x, recon, detector.feature_scales_)
        scores.append(member_score(ops, residual, z, stats, "distance" if measure == "combined" else measure, copies))
    score = detector_score(ops, scores)
    if measure == "combined":
        scaled = ops.div(x, ops.const(detector.feature_scales_, "feature_scales"))
        distance = ops.kth_distance(scaled, detector.neighbor_reference_, k)
        score = combined_score(ops, score, distance, detector.neighbor_median_, detector.neighbor_spread_)
    return score


def _non_finite_rows_score(builder, x, score):
    """``score``, but -inf in the rows of ``x`` that hold a NaN or an infinite value.

    ``predict`` refuses such a row (a ValueError from input validation); the
    graph, which cannot raise, scores it -inf (``scores`` and
    ``score_samples``), so that it is labelled an outlier (-1) rather than
    given a NaN score and the inlier label. The scores of the other rows
    pass through unchanged.
    """
    from onnx import TensorProto

    non_finite = builder.node("Or", [builder.node("IsNaN", [x]), builder.node("IsInf", [x])])
    # any over the row: ReduceMax, which takes no bool before opset 20, of 0/1 as uint8
    non_finite = builder.node("Cast", [non_finite], to=TensorProto.UINT8)
    non_finite = builder.node("ReduceMax", [non_finite, builder.const([1], "axes", np.int64)], keepdims=1)
    non_finite = builder.node("Cast", [non_finite], to=TensorProto.BOOL)
    return builder.node("Where", [non_finite, builder.const([-np.inf], "non_finite_score"), score])


class _ScoreOps:
    """The op set of ``sklearn_ae._detector_score`` as ONNX nodes: each op adds a node and returns its output.

    Operands are graph names; ``const`` adds a fitted array or number as an
    initializer (a number as shape (1,)). Rows keep their axis through
    ``row_mean``, so that scores have shape (n_rows, 1).
    """

    def __init__(self, builder):
        self.builder = builder

    def const(self, value, what):
        return self.builder.const(np.atleast_1d(value), what)

    def sub(self, a, b):
        return self.builder.node("Sub", [a, b])

    def div(self, a, b):
        return self.builder.node("Div", [a, b])

    def abs(self, a):
        return self.builder.node("Abs", [a])

    def neg(self, a):
        return self.builder.node("Neg", [a])

    def maximum(self, a, b):
        return self.builder.node("Max", [a, b])

    def matmul(self, a, b):
        return self.builder.node("MatMul", [a, b])

    def row_mean(self, a):
        return self.builder.row_mean(a)

    def kth_distance(self, rows, reference, k):
        """Euclidean distance of each row to its ``k``-th nearest row of the constant ``reference``, shape (n, 1).

        ``|x|^2 - 2 x.r + |r|^2`` (clipped at 0) for every reference row,
        the ``k`` smallest by TopK, the largest of them, its square root.
        """
        b = self.builder
        k = min(k, len(reference))
        squares = b.node("ReduceSumSquare", [rows, b.const([1], "axes", np.int64)], keepdims=1)
        cross = b.node("MatMul", [rows, b.const(reference.T, "reference_t")])
        squared = b.node(
            "Add",
            [
                b.node("Sub", [squares, b.node("Mul", [cross, b.const([2.0], "two")])]),
                b.const((reference**2).sum(axis=1)[None, :], "reference_squares"),
            ],
        )
        squared = b.node("Max", [squared, b.const([0.0], "zero_distance")])
        smallest, _ = b.nodes("TopK", [squared, b.const([k], "k", np.int64)], 2, axis=1, largest=0, sorted=1)
        kth = b.node(
            "Slice",
            [
                smallest,
                b.const([k - 1], "kth", np.int64),
                b.const([k], "kth_end", np.int64),
                b.const([1], "axis_one", np.int64),
            ],
        )
        return b.node("Sqrt", [kth])

    def average(self, scores):
        total = scores[0] if len(scores) == 1 else self.builder.node("Sum", scores)
        return self.div(total, self.const(len(scores), "n_estimators"))


__all__ = ["register"]

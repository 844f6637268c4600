"""``glassgrad.onnx.export``: write a model as an ONNX file (PyTorch's ``torch.onnx.export``).

The model runs once on the example inputs in eval mode while the exporter records what it
does: calls of layers that have an export rule (``onnx_rules.MODULE_RULES``) become their ONNX
nodes, and every op run outside such a layer (glue in a custom ``forward``: ``x + y``,
``view``, ``relu``...) becomes its ONNX node from the op's recorded arguments
(``onnx_rules.OP_RULES``). Tensors that come from neither an input nor a recorded op (the
parameters, buffers, constants) become initializers. Needs the ``onnx`` extra.
"""

import numpy as np

from ..autograd.function import record_ops
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..files import atomic_write
from . import onnx_rules

__all__ = ["export"]


def _load_onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError('glassgrad.onnx.export needs the onnx package: pip install "glassgrad[onnx]" '
                          "(or pip install onnx onnxruntime)") from e
    return onnx


class GraphBuilder:
    """The ONNX graph being written: nodes, initializers, and the ONNX name of each tensor."""

    def __init__(self, onnx, opset_version, param_names, dynamic_batch):
        self.onnx, self.opset_version = onnx, opset_version
        self.nodes, self.initializers = [], []
        self.names = {}          # id(tensor) -> ONNX value name
        self.keep = []           # the tensors named (so their ids stay unique while exporting)
        self.param_names = param_names
        self.dynamic_batch = dynamic_batch   # the inputs' batch dimension is symbolic
        self.count = 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def bind(self, tensor, name):
        self.names[id(tensor)] = name
        self.keep.append(tensor)

    def const(self, array, hint="const"):
        """An initializer holding ``array``; its name."""
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(np.asarray(array)), name))
        return name

    def name(self, value, like=None):
        """The ONNX name of ``value``: a traced tensor, else a constant (a parameter or a number,
        in ``like``'s dtype)."""
        if isinstance(value, Tensor):
            found = self.names.get(id(value))
            if found is not None:
                return found
            name = self.const(np.asarray(value.array), self.param_names.get(id(value), "const"))
            self.bind(value, name)
            return name
        dtype = like.dtype if isinstance(like, Tensor) else np.float32
        return self.const(np.asarray(value, dtype=dtype))

    def node(self, op_type, inputs, outputs=1, **attrs):
        """Add a node; its output name (a list of names when ``outputs > 1``)."""
        names = [self.fresh(op_type) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names


def _tensors(value):
    if value is None:
        return []
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    raise TypeError(f"onnx.export: the model returned {type(value).__name__}; export needs a Tensor or a "
                    "tuple/list of Tensors")


def _dims(tensor, name, dynamic_axes):
    axes = dynamic_axes.get(name, {})
    if isinstance(axes, (list, tuple)):
        axes = {a: f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    shape = list(tensor.shape)
    for axis, label in axes.items():
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"onnx.export: dynamic_axes gives axis {axis} for {name!r}, which has shape "
                             f"{tuple(shape)}")
        shape[axis] = label
    return shape


def export(model, args, f, export_params=True, verbose=False, training=None, input_names=None,
           output_names=None, operator_export_type=None, opset_version=17, do_constant_folding=True,
           dynamic_axes=None, keep_initializers_as_inputs=None, custom_opsets=None, **kwargs):
    """Export ``model`` as ONNX to ``f`` (a path or a binary file object), tracing it on ``args``
    (a Tensor or a tuple of Tensors).

    ``input_names``/``output_names`` name the graph's inputs and outputs; ``dynamic_axes`` maps a
    name to the axes that are not fixed (``{"input": {0: "batch"}}``), typically the batch.
    ``opset_version`` is 17 or more (LayerNormalization). A file path is written to a temporary
    file and renamed. Returns None.
    """
    onnx = _load_onnx()
    if opset_version is None:
        opset_version = 17
    if opset_version < 17:
        raise ValueError(f"onnx.export: opset_version {opset_version} is too old; glassgrad writes opset 17 or "
                         "newer (LayerNormalization)")
    if not export_params:
        raise ValueError("onnx.export: export_params=False is not supported; the weights are always written")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise TypeError(f"onnx.export: args[{i}] is {type(a).__name__}; pass example inputs as Tensors")
    input_names = list(input_names or [])
    input_names += [f"input_{i}" if i else "input" for i in range(len(input_names), len(args))]
    dynamic_axes = dict(dynamic_axes or {})
    param_names = {id(t): n for n, t in list(model.named_parameters()) + list(model.named_buffers())}
    dynamic_batch = any(0 in (axes if isinstance(axes, (list, tuple)) else axes.keys())
                        for name, axes in dynamic_axes.items() if name in input_names)
    builder = GraphBuilder(onnx, opset_version, param_names, dynamic_batch)
    inputs = [a.detach() for a in args]
    for t, name in zip(inputs, input_names):
        builder.bind(t, name)
    was_training = model.training
    model.eval()
    try:
        outputs = _trace(model, inputs, builder)
    finally:
        model.train(was_training)
    outputs = _tensors(outputs)
    output_names = list(output_names or [])
    output_names += [f"output_{i}" if i else "output" for i in range(len(output_names), len(outputs))]
    graph_outputs = []
    for t, name in zip(outputs, output_names):
        builder.nodes.append(onnx.helper.make_node("Identity", [builder.name(t)], [name]))
        graph_outputs.append(_value_info(onnx, name, t, dynamic_axes))
    graph = onnx.helper.make_graph(builder.nodes, type(model).__name__,
                                   [_value_info(onnx, n, t, dynamic_axes) for t, n in zip(inputs, input_names)],
                                   graph_outputs, builder.initializers)
    proto = onnx.helper.make_model(graph, producer_name="glassgrad",
                                   opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    onnx.checker.check_model(proto)
    _write(proto.SerializeToString(), f)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))


def _value_info(onnx, name, tensor, dynamic_axes):
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(tensor.dtype))
    return onnx.helper.make_tensor_value_info(name, elem, _dims(tensor, name, dynamic_axes))


def _trace(model, inputs, builder):
    """Run the model, turning each ruled layer call and each op outside those layers into nodes."""
    depth = [0]
    handles = []

    def enter(module, args, kwargs):
        depth[0] += 1

    def leave(module, args, kwargs, output):
        depth[0] -= 1
        if depth[0] == 0:
            rule = onnx_rules.module_rule(module)
            names = rule(builder, module, list(args), output, **kwargs)
            for t, name in zip(_tensors(output), names if isinstance(names, list) else [names]):
                if id(t) not in builder.names:
                    builder.bind(t, name)

    def op(cls, args, kwargs, outs):
        if depth[0]:
            return
        rule = onnx_rules.OP_RULES.get(cls.__name__)
        if rule is None:
            raise NotImplementedError(
                f"onnx.export: the op {cls.__name__} (run in a forward outside the layers with export rules) has "
                f"no ONNX export rule; ops that export: {sorted(onnx_rules.OP_RULES)}; layers that export: "
                f"{sorted(c.__name__ for c in onnx_rules.MODULE_RULES)}")
        names = rule(builder, *args, **kwargs)
        for t, name in zip(outs, names if isinstance(names, list) else [names]):
            builder.bind(t, name)

    for module in model.modules():
        if onnx_rules.module_rule(module) is not None:
            handles.append(module.register_forward_pre_hook(enter, with_kwargs=True))
            handles.append(module.register_forward_hook(leave, with_kwargs=True))
    try:
        with no_grad(), record_ops(op):
            return model(*inputs)
    finally:
        for h in handles:
            h.remove()


def _write(data, f):
    if hasattr(f, "write"):
        f.write(data)
        return
    atomic_write(f, data)

"""How each glassgrad layer and op is written in ONNX (opset 17), for ``glassgrad.onnx.export``.

A module rule is ``rule(builder, module, inputs, output, **kwargs) -> name(s)`` (the layer's
positional and keyword arguments; one name per tensor of the output, Nones left out) and an op rule is
``rule(builder, *op_args, **op_kwargs) -> name(s)``: both add nodes with ``builder.node`` and
return the ONNX names of the outputs; ``builder.name(tensor)`` gives an input's name (or makes
an initializer of a parameter or constant).
"""
import math

import numpy as np

from .. import nn

MODULE_RULES = {}
OP_RULES = {}


def module_rule(module):
    """The export rule of ``module``'s class (or of its nearest base with one); None if none."""
    for cls in type(module).__mro__:
        rule = MODULE_RULES.get(cls)
        if rule is not None:
            return rule
    return None


def _rule(table, *keys):
    def register(fn):
        for k in keys:
            table[k] = fn
        return fn
    return register


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _unsupported(module, what):
    raise NotImplementedError(f"onnx.export: {type(module).__name__} with {what} has no ONNX export; "
                              "change that setting or export a model without it")


# ---- layers ---------------------------------------------------------------------------------------
@_rule(MODULE_RULES, nn.Linear)
def _linear(b, m, inputs, output, **kwargs):
    y = b.node("MatMul", [b.name(inputs[0]), b.const(np.asarray(m.weight.array).T, "weight_t")])
    return b.node("Add", [y, b.name(m.bias)]) if m.bias is not None else y


@_rule(MODULE_RULES, nn.Conv1d, nn.Conv2d)
def _conv(b, m, inputs, output, **kwargs):
    nd = len(m.kernel_size)
    if m.padding_mode != "zeros":
        _unsupported(m, f"padding_mode={m.padding_mode!r}")
    if m.padding == "valid":
        begin = end = (0,) * nd
    elif m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        begin, end = tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    else:
        begin = end = tuple(m.padding)
    args = [b.name(inputs[0]), b.name(m.weight)] + ([b.name(m.bias)] if m.bias is not None else [])
    return b.node("Conv", args, kernel_shape=list(m.kernel_size), strides=list(m.stride),
                  pads=list(begin) + list(end), dilations=list(m.dilation), group=m.groups)


@_rule(MODULE_RULES, nn.MaxPool1d, nn.MaxPool2d)
def _max_pool(b, m, inputs, output, **kwargs):
    nd = 1 if isinstance(m, nn.MaxPool1d) else 2
    if m.return_indices:
        _unsupported(m, "return_indices=True")
    pads = list(_tuple(m.padding, nd))
    return b.node("MaxPool", [b.name(inputs[0])], kernel_shape=list(_tuple(m.kernel_size, nd)),
                  strides=list(_tuple(m.stride, nd)), pads=pads + pads, dilations=list(_tuple(m.dilation, nd)),
                  ceil_mode=int(m.ceil_mode))


@_rule(MODULE_RULES, nn.AvgPool1d, nn.AvgPool2d)
def _avg_pool(b, m, inputs, output, **kwargs):
    nd = 1 if isinstance(m, nn.AvgPool1d) else 2
    if getattr(m, "divisor_override", None):
        _unsupported(m, "divisor_override")
    pads = list(_tuple(m.padding, nd))
    return b.node("AveragePool", [b.name(inputs[0])], kernel_shape=list(_tuple(m.kernel_size, nd)),
                  strides=list(_tuple(m.stride, nd)), pads=pads + pads, ceil_mode=int(m.ceil_mode),
                  count_include_pad=int(m.count_include_pad))


@_rule(MODULE_RULES, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool(b, m, inputs, output, **kwargs):
    if set(_tuple(m.output_size, 1)) != {1}:
        _unsupported(m, f"output_size={m.output_size} (only 1, global average pooling)")
    return b.node("GlobalAveragePool", [b.name(inputs[0])])


@_rule(MODULE_RULES, nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(b, m, inputs, output, **kwargs):
    if m.running_mean is None:
        _unsupported(m, "track_running_stats=False (it normalizes with the batch's statistics in eval)")
    c = m.num_features
    dtype = np.asarray(m.running_mean.array).dtype
    scale = b.name(m.weight) if m.affine else b.const(np.ones(c, dtype), "bn_scale")
    shift = b.name(m.bias) if m.affine else b.const(np.zeros(c, dtype), "bn_bias")
    return b.node("BatchNormalization", [b.name(inputs[0]), scale, shift, b.name(m.running_mean),
                                         b.name(m.running_var)], epsilon=float(m.eps))


@_rule(MODULE_RULES, nn.LayerNorm)
def _layer_norm(b, m, inputs, output, **kwargs):
    dtype = np.asarray(inputs[0].array).dtype
    scale = b.name(m.weight) if m.weight is not None else b.const(np.ones(m.normalized_shape, dtype), "ln_scale")
    args = [b.name(inputs[0]), scale] + ([b.name(m.bias)] if getattr(m, "bias", None) is not None else [])
    return b.node("LayerNormalization", args, axis=-len(m.normalized_shape), epsilon=float(m.eps))


@_rule(MODULE_RULES, nn.Embedding)
def _embedding(b, m, inputs, output, **kwargs):
    if getattr(m, "max_norm", None) is not None:
        _unsupported(m, "max_norm (it rescales the weights during forward)")
    return b.node("Gather", [b.name(m.weight), b.name(inputs[0])], axis=0)


@_rule(MODULE_RULES, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Identity)
def _identity(b, m, inputs, output, **kwargs):
    return b.name(inputs[0])


def _simple(op_type, **attrs):
    return lambda b, m, inputs, output, **kwargs: b.node(op_type, [b.name(inputs[0])], **attrs)


MODULE_RULES[nn.ReLU] = _simple("Relu")
MODULE_RULES[nn.Sigmoid] = _simple("Sigmoid")
MODULE_RULES[nn.Tanh] = _simple("Tanh")


@_rule(MODULE_RULES, nn.LeakyReLU)
def _leaky_relu(b, m, inputs, output, **kwargs):
    return b.node("LeakyRelu", [b.name(inputs[0])], alpha=float(m.negative_slope))


@_rule(MODULE_RULES, nn.ELU)
def _elu(b, m, inputs, output, **kwargs):
    return b.node("Elu", [b.name(inputs[0])], alpha=float(m.alpha))


@_rule(MODULE_RULES, nn.GELU)
def _gelu_module(b, m, inputs, output, **kwargs):
    return gelu(b, inputs[0], m.approximate)


@_rule(MODULE_RULES, nn.SiLU)
def _silu_module(b, m, inputs, output, **kwargs):
    return silu(b, inputs[0])


@_rule(MODULE_RULES, nn.Softplus)
def _softplus(b, m, inputs, output, **kwargs):
    x = inputs[0]
    if m.beta == 1:
        return b.node("Softplus", [b.name(x)])
    scaled = b.node("Mul", [b.name(x), b.name(m.beta, x)])
    return b.node("Div", [b.node("Softplus", [scaled]), b.name(m.beta, x)])


@_rule(MODULE_RULES, nn.Softmax, nn.LogSoftmax, nn.Softmin)
def _softmax_module(b, m, inputs, output, **kwargs):
    x = inputs[0]
    dim = m.dim if m.dim is not None else (0 if x.ndim in (0, 1, 3) else 1)   # PyTorch's legacy choice
    if isinstance(m, nn.Softmin):
        return b.node("Softmax", [b.node("Neg", [b.name(x)])], axis=dim)
    return b.node("LogSoftmax" if isinstance(m, nn.LogSoftmax) else "Softmax", [b.name(x)], axis=dim)


def gelu(b, x, approximate="none"):
    """GELU from elementary ops (ONNX's Gelu needs opset 20)."""
    half, one = b.name(0.5, x), b.name(1.0, x)
    if approximate == "tanh":
        cube = b.node("Mul", [b.node("Mul", [b.name(x), b.name(x)]), b.name(x)])
        inner = b.node("Add", [b.name(x), b.node("Mul", [cube, b.name(0.044715, x)])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.name(math.sqrt(2 / math.pi), x)])])
    else:
        t = b.node("Erf", [b.node("Div", [b.name(x), b.name(math.sqrt(2.0), x)])])
    return b.node("Mul", [b.node("Mul", [b.name(x), half]), b.node("Add", [t, one])])


def silu(b, x):
    """x * sigmoid(x)."""
    return b.node("Mul", [b.name(x), b.node("Sigmoid", [b.name(x)])])


# ---- ops (glue between layers, in a custom forward) -----------------------------------------------
def _binary(op_type):
    def rule(b, x, y):
        like = x if hasattr(x, "dtype") else y
        return b.node(op_type, [b.name(x, like), b.name(y, like)])
    return rule


for _name, _op in [("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Div", "Div"), ("MatMul", "MatMul"),
                   ("Maximum", "Max"), ("Minimum", "Min")]:
    OP_RULES[_name] = _binary(_op)
for _name, _op in [("Relu", "Relu"), ("Tanh", "Tanh"), ("Sigmoid", "Sigmoid"), ("Exp", "Exp"), ("Log", "Log"),
                   ("Sqrt", "Sqrt"), ("Neg", "Neg"), ("Abs", "Abs"), ("Erf", "Erf"), ("Sin", "Sin"), ("Cos", "Cos"),
                   ("Reciprocal", "Reciprocal"), ("Softplus", "Softplus")]:
    OP_RULES[_name] = (lambda op: lambda b, x, **params: b.node(op, [b.name(x)]))(_op)


@_rule(OP_RULES, "Gelu")
def _gelu_op(b, x, approximate="none"):
    return gelu(b, x, approximate)


@_rule(OP_RULES, "Silu")
def _silu_op(b, x):
    return silu(b, x)


@_rule(OP_RULES, "LeakyRelu")
def _leaky_relu_op(b, x, negative_slope=0.01):
    return b.node("LeakyRelu", [b.name(x)], alpha=float(negative_slope))


@_rule(OP_RULES, "Reshape")
def _reshape(b, x, shape, op="reshape"):
    target = [int(s) for s in shape]
    if -1 in target:
        size = int(np.prod(x.shape))
        known = int(np.prod([s for s in target if s != -1])) or 1
        target[target.index(-1)] = size // known
    if b.dynamic_batch and x.ndim and target and target[0] == x.shape[0]:
        target[0] = 0       # keep the input's batch size, whatever it is at run time
    return b.node("Reshape", [b.name(x), b.const(np.array(target, np.int64), "shape")])


@_rule(OP_RULES, "Permute")
def _permute(b, x, dims):
    return b.node("Transpose", [b.name(x)], perm=[d % max(x.ndim, 1) for d in dims])


@_rule(OP_RULES, "Cat")
def _cat(b, *xs, dim=0):
    return b.node("Concat", [b.name(x) for x in xs], axis=dim)


OP_RULES["Softmax"] = lambda b, x, dim: b.node("Softmax", [b.name(x)], axis=dim)
OP_RULES["LogSoftmax"] = lambda b, x, dim: b.node("LogSoftmax", [b.name(x)], axis=dim)


def _reduce(op_type):
    def rule(b, x, dim=None, keepdim=False, dtype=None):
        dims = list(range(x.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
        if op_type == "ReduceSum" or b.opset_version >= 18:   # axes became an input (ReduceMean: opset 18)
            return b.node(op_type, [b.name(x), b.const(np.array(dims, np.int64), "axes")], keepdims=int(keepdim))
        return b.node(op_type, [b.name(x)], axes=dims, keepdims=int(keepdim))
    return rule


OP_RULES["Sum"] = _reduce("ReduceSum")
OP_RULES["Mean"] = _reduce("ReduceMean")


@_rule(OP_RULES, "Linear")
def _linear_op(b, x, weight, bias=None):
    y = b.node("MatMul", [b.name(x), b.node("Transpose", [b.name(weight)], perm=[1, 0])])
    return b.node("Add", [y, b.name(bias)]) if bias is not None else y


def _register_sequence_rules():
    from . import onnx_sequence_rules
    onnx_sequence_rules.register()


_register_sequence_rules()

"""Attach the ops to ``Tensor`` as methods and operators (``x.exp()``, ``x + y``, ``x += y``).

Each op module lists its methods in a ``METHODS`` dict; this module binds them all, adds the
reflected operators and derives every in-place form (``add_``, ``+=``...) from its out-of-place op.
"""
import numpy as np

from ..autograd.grad_mode import state
from ..autograd.tensor import Tensor
from . import creation, elementwise, indexing, linalg, random_ops, reduction, shape
from . import (binary_math, combining, comparison, cumulative, decompositions, diagonal, products, sampling,
               sorting, statistics)
from ._util import promote_types

_MODULES = (elementwise, reduction, shape, linalg, indexing, random_ops, binary_math, combining, comparison,
            cumulative, decompositions, diagonal, products, sampling, sorting, statistics)


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    return method


def inplace_method(fn, name):
    """The in-place form ``name`` of ``fn`` (a Tensor method such as ``relu_``): PyTorch's semantics,
    including its errors; the one way every in-place op in glassgrad is built."""
    def method(self, *args, **kwargs):
        if state.enabled and self._rg and self.grad_fn is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place "
                               "operation; wrap it in glassgrad.no_grad() (as optimizers do) or use the "
                               "out-of-place form")
        out = fn(self, *args, **kwargs)
        if out.grad_fn is not None:  # recorded: self now stands for the result in the graph
            if out.array.dtype != self.array.dtype:
                out = out.to(self.array.dtype)
            out.grad_fn._rebind(self, out)
            self.array, self.grad_fn, self._output_nr, self._rg = out.array, out.grad_fn, out._output_nr, True
            self._version += 1
            return self
        else:
            if promote_types(self.array, out.array) != self.array.dtype and out.array.dtype.kind > self.array.dtype.kind:
                raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the desired output "
                                   f"type {self.dtype}; convert the tensor first (x = x.float())")
            if out.array.shape != self.array.shape:
                raise RuntimeError(f"{name}: output with shape {tuple(self.shape)} doesn't match the broadcast "
                                   f"shape {tuple(out.shape)}")
            if not self.array.flags.writeable:
                raise RuntimeError(f"{name}: unsupported operation: more than one element of the written-to tensor "
                                   "refers to a single memory location (it comes from expand/broadcast_to); "
                                   "clone() it first")
            self.array[...] = out.array
            if state.capture is not None:  # an array write outside ops: glassgrad.compile replays it
                state.capture.array_write(self, out)
        self._version += 1
        return self
    method.__name__ = name
    method.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return method


def _to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """Convert to a dtype and/or device: ``x.to(float64)``, ``x.to('cuda')``, ``x.to(other)``."""
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str,)) or type(a).__name__ == "device":
            device = a
        else:
            dtype = a
    out = self
    if dtype is not None and np.dtype(dtype) != self.dtype:
        out = elementwise.Cast.apply(out, np.dtype(dtype))
    if device is not None:
        from .. import backend
        if backend.device(device) != self.device:
            out = _ToDevice.apply(out, backend.device(device))
    if copy and out is self:
        out = out.clone()
    return out


from ..autograd.function import Function  # noqa: E402


class _ToDevice(Function):
    """y = x on another device;  dx = dy moved back"""

    @staticmethod
    def forward(ctx, x, device):
        from .. import backend
        ctx.device = x.device
        return backend.move(x.array, device)

    @staticmethod
    def backward(ctx, dy):
        return dy.to(ctx.device)


def _view_inplace(fn, name):
    """``squeeze_``/``unsqueeze_``: change this tensor's shape in place."""
    def method(self, *args):
        out = fn(self, *args)
        self.array, self._version = out.array, self._version + 1
        if out.grad_fn is not None and self.grad_fn is not None:  # a leaf stays a leaf
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        return self
    method.__name__ = name
    return method


_CONVERSIONS = {
    "to": _to,
    "float": lambda self: _to(self, np.float32),
    "double": lambda self: _to(self, np.float64),
    "half": lambda self: _to(self, np.float16),
    "long": lambda self: _to(self, np.int64),
    "int": lambda self: _to(self, np.int32),
    "bool": lambda self: _to(self, np.bool_),
    "type_as": lambda self, other: _to(self, other.dtype),
    "squeeze_": _view_inplace(shape.squeeze, "squeeze_"),
    "unsqueeze_": _view_inplace(shape.unsqueeze, "unsqueeze_"),
    "new_tensor": lambda self, data, dtype=None: creation.tensor(data, dtype=dtype or self.dtype),
    "new_zeros": lambda self, *size, dtype=None: creation.zeros(*size, dtype=dtype or self.dtype),
    "new_ones": lambda self, *size, dtype=None: creation.ones(*size, dtype=dtype or self.dtype),
    "new_full": lambda self, size, value, dtype=None: creation.full(size, value, dtype=dtype or self.dtype),
    "new_empty": lambda self, *size, dtype=None: creation.empty(*size, dtype=dtype or self.dtype),
}

_OPERATORS = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div", "__pow__": "pow",
    "__matmul__": "matmul", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le",
    "__gt__": "gt", "__ge__": "ge", "__neg__": "neg", "__abs__": "abs",
    "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor", "__invert__": "bitwise_not",
    "__mod__": "remainder", "__floordiv__": "floor_divide",
}
_REFLECTED = {"__radd__": "add", "__rsub__": "sub", "__rmul__": "mul", "__rtruediv__": "div",
              "__rpow__": "pow", "__rmatmul__": "matmul", "__rmod__": "remainder",
              "__rfloordiv__": "floor_divide", "__rand__": "bitwise_and", "__ror__": "bitwise_or",
              "__rxor__": "bitwise_xor"}
_INPLACE_OPERATORS = {"__iadd__": "add", "__isub__": "sub", "__imul__": "mul", "__itruediv__": "div",
                      "__ipow__": "pow"}
# in-place methods PyTorch users reach for; each is derived from the out-of-place op of the same name
_INPLACE_METHODS = ("add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "tanh",
                    "sigmoid", "relu", "clamp", "clip", "reciprocal", "sin", "cos", "masked_fill",
                    "scatter_add", "index_add", "lerp", "copy", "fill", "zero", "uniform", "normal")


def _gather_methods():
    methods = {}
    for module in _MODULES:
        methods.update(module.METHODS)
    return methods


def bind():
    """Attach every op to Tensor. Called once by ``glassgrad/__init__.py``."""
    methods = _gather_methods()
    methods.update(_CONVERSIONS)
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    for dunder, name in _OPERATORS.items():
        setattr(Tensor, dunder, methods[name])
    for dunder, name in _REFLECTED.items():
        setattr(Tensor, dunder, _reflected(methods[name]))
    for dunder, name in _INPLACE_OPERATORS.items():
        setattr(Tensor, dunder, inplace_method(methods[name], dunder))
    for name in _INPLACE_METHODS:
        if name in methods and name + "_" not in methods:
            setattr(Tensor, name + "_", inplace_method(methods[name], name + "_"))
    Tensor.T = property(lambda self: self.permute(tuple(range(self.ndim))[::-1]),
                        doc="The tensor with all dimensions reversed.")
    Tensor.mT = property(lambda self: self.transpose(-2, -1), doc="The last two dimensions swapped.")

"""Binary element-wise math beyond arithmetic: ``fmod``, ``atan2``, ``hypot``, ``logaddexp``,
``logaddexp2``. Each gradient is written with glassgrad ops (differentiable again) and passes
through ``grad_for``, the one helper that undoes broadcasting."""
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._util import binary_arrays, broadcast_shapes, grad_for
from .elementwise import _no_bool, sigmoid, trunc

__all__ = ["fmod", "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2"]


def _operands(op, x, y, floats):
    """The promoted arrays; ``floats``: 'promote' turns integers into the default float (atan2),
    'only' refuses them (hypot, logaddexp), anything else keeps them (fmod)."""
    if floats != "keep":
        for name, v in (("input", x), ("other", y)):
            if not isinstance(v, Tensor):
                raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(v).__name__}")
    a, b = binary_arrays(x, y)
    broadcast_shapes(op, np.shape(a), np.shape(b))
    dtype = np.result_type(a, b)
    if dtype.kind in "biu":
        if floats == "only":
            raise RuntimeError(f"{op}: not implemented for dtype {dtype}; convert the inputs to a floating dtype "
                               "first (x.float())")
        if floats == "promote":
            from .. import backend
            f = backend.get_default_dtype()
            a, b = np.asarray(a).astype(f), np.asarray(b).astype(f)
    return a, b


class Fmod(Function):
    """z = x - trunc(x / y)·y (C's fmod: the sign of x);  dx = dz,  dy = -dz · trunc(x / y)"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = _operands("fmod", x, y, "keep")
        _no_bool("fmod", np.result_type(a, b))
        if np.result_type(a, b).kind in "iu" and np.any(np.asarray(b) == 0):
            raise RuntimeError("fmod: integer division by zero (ZeroDivisionError); mask the zero divisors first")
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.fmod(a, b))

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        dy = grad_for(-dz * trunc(x / y), y) if isinstance(y, Tensor) and y.requires_grad else None
        return grad_for(dz, x), dy


class Atan2(Function):
    """z = atan2(x, y) (the angle of the point (y, x));  dx = dz · y / (x² + y²),  dy = -dz · x / (x² + y²)"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = _operands("atan2", x, y, "promote")
        ctx.save_for_backward(x, y)
        return np.asarray(np.arctan2(a, b))

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        r2 = x * x + y * y
        return grad_for(dz * y / r2, x), grad_for(-dz * x / r2, y)


class Hypot(Function):
    """z = √(x² + y²);  dx = dz · x / z,  dy = dz · y / z"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = _operands("hypot", x, y, "only")
        z = np.asarray(np.hypot(a, b))
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, dz):
        x, y, z = ctx.saved_tensors
        return grad_for(dz * x / z, x), grad_for(dz * y / z, y)


class LogAddExp(Function):
    """z = log(eˣ + eʸ) (base 2 with ``base2``);  dx = dz · σ(x - y) (· 1 for base 2: 2ˣ/(2ˣ + 2ʸ)),
    dy = dz · σ(y - x)"""

    @staticmethod
    def forward(ctx, x, y, base2=False):
        op = "logaddexp2" if base2 else "logaddexp"
        a, b = _operands(op, x, y, "only")
        ctx.base2 = base2
        ctx.save_for_backward(x, y)
        with np.errstate(invalid="ignore"):
            return np.asarray(np.logaddexp2(a, b) if base2 else np.logaddexp(a, b))

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        d = (x - y) * math.log(2) if ctx.base2 else x - y
        share = sigmoid(d)  # NaN where both inputs are the same infinity, as in PyTorch
        return grad_for(dz * share, x), grad_for(dz * sigmoid(-d), y)


def fmod(input, other):
    """The C remainder of input / other: the sign of ``input`` (``remainder`` takes ``other``'s)."""
    return Fmod.apply(input, other)


def atan2(input, other):
    """The element-wise arctangent of input / other in the right quadrant (integers give floats)."""
    return Atan2.apply(input, other)


def hypot(input, other):
    """√(input² + other²) element-wise, without overflow (floating tensors)."""
    return Hypot.apply(input, other)


def logaddexp(input, other):
    """log(exp(input) + exp(other)) element-wise, without overflow (floating tensors)."""
    return LogAddExp.apply(input, other)


def logaddexp2(input, other):
    """log₂(2^input + 2^other) element-wise, without overflow (floating tensors)."""
    return LogAddExp.apply(input, other, True)


arctan2 = atan2

METHODS = {"fmod": fmod, "atan2": atan2, "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp,
           "logaddexp2": logaddexp2}

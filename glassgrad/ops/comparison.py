"""Whole-tensor comparisons and type queries: ``isclose``, ``allclose``, ``equal``, ``is_tensor``,
``is_floating_point``, ``numel``, ``result_type``. None of them is differentiable."""
import numpy as np

from ..autograd.tensor import Tensor, wrap_array
from ._util import array_of, binary_arrays, broadcast_shapes, promote_types

__all__ = ["isclose", "allclose", "equal", "is_tensor", "is_floating_point", "numel", "result_type"]


def _tensor_arg(op, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True where |input - other| <= atol + rtol·|other| (or both are the same infinity, or both NaN
    with ``equal_nan``), broadcasting."""
    _tensor_arg("isclose", "input", input)
    _tensor_arg("isclose", "other", other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"isclose(): {input.dtype} did not match {other.dtype}; convert one first "
                           "(y.to(x.dtype))")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    a, b = input.array, other.array
    broadcast_shapes("isclose", a.shape, b.shape)
    if a.dtype.kind in "biu":
        a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return wrap_array(np.asarray(close))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a Python bool) when ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def equal(input, other):
    """True (a Python bool) when both tensors have the same shape and elements (NaN is never equal)."""
    _tensor_arg("equal", "input", input)
    _tensor_arg("equal", "other", other)
    if tuple(input.shape) != tuple(other.shape):
        return False
    a, b = binary_arrays(input, other)
    return bool(np.array_equal(a, b))


def is_tensor(obj):
    """True when ``obj`` is a glassgrad Tensor (or a subclass, such as a Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True when ``input`` has a floating dtype."""
    _tensor_arg("is_floating_point", "input", input)
    return input.array.dtype.kind == "f"


def numel(input):
    """The number of elements of ``input``."""
    _tensor_arg("numel", "input", input)
    return int(input.array.size)


def result_type(tensor1, tensor2):
    """The dtype PyTorch's type promotion gives an op between the two (tensors or Python numbers)."""
    if not isinstance(tensor1, Tensor) and not isinstance(tensor2, Tensor):
        for v in (tensor1, tensor2):
            if not isinstance(v, (bool, int, float, complex)):
                raise TypeError(f"result_type(): arguments must be Tensors or Python numbers, not {type(v).__name__}")
    a, b = array_of(tensor1), array_of(tensor2)
    dtype = promote_types(a, b)
    if not hasattr(a, "dtype") and not hasattr(b, "dtype") and dtype.kind == "f":
        from .. import backend
        dtype = backend.get_default_dtype()
    return np.dtype(dtype)


METHODS = {"isclose": isclose, "allclose": allclose, "equal": equal}

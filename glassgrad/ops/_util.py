"""Helpers shared by the ops: argument unwrapping, PyTorch's type promotion, undoing broadcasting."""
import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, normalize_dim, wrap_array


def array_of(x):
    """The array inside a Tensor; Python numbers and arrays pass through."""
    return x.array if isinstance(x, Tensor) else x


def _category(dtype):
    return {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}[dtype.kind]


def promote_types(a, b):
    """PyTorch's result dtype of a binary op between arrays or Python numbers ``a`` and ``b``.

    Unlike NumPy: a Python float with an integer tensor gives the default float dtype, an integer
    tensor with a float tensor gives the float tensor's dtype, and a 0-d tensor only decides the
    dtype when it is of a higher category (bool < integer < float) than the other operand.
    """
    a_scalar = not hasattr(a, "dtype")
    b_scalar = not hasattr(b, "dtype")
    if a_scalar and b_scalar:
        return np.result_type(a, b)
    if a_scalar or b_scalar:
        t, s = (b, a) if a_scalar else (a, b)
        s_cat = 0 if isinstance(s, (bool, np.bool_)) else 2 if isinstance(s, float) else 3 if isinstance(s, complex) else 1
        if s_cat <= _category(t.dtype):
            return t.dtype
        return {1: backend.int64, 2: backend.get_default_dtype(), 3: np.dtype(np.complex64)}[s_cat]
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    ca, cb = _category(da), _category(db)
    if ca != cb:  # the higher category wins, whatever the shapes
        return da if ca > cb else db
    if a.ndim == 0 and b.ndim > 0:
        return db
    if b.ndim == 0 and a.ndim > 0:
        return da
    return np.promote_types(da, db)


def binary_arrays(x, y):
    """The arrays of a binary op's operands, converted to their PyTorch result dtype."""
    a, b = array_of(x), array_of(y)
    if type(x) is Tensor and type(y) is Tensor and a.dtype == b.dtype:
        return a, b
    dtype = promote_types(a, b)
    if hasattr(a, "dtype"):
        if a.dtype != dtype:
            a = a.astype(dtype)
    else:
        a = np.asarray(a, dtype=dtype)[()] if not isinstance(a, (int, float, bool, complex)) else _scalar(a, dtype)
    if hasattr(b, "dtype"):
        if b.dtype != dtype:
            b = b.astype(dtype)
    else:
        b = _scalar(b, dtype)
    return a, b


def _scalar(value, dtype):
    if dtype.kind in "iu" and type(value) is int:  # wraps like C, as PyTorch's uint8 + (-1)
        return np.array(value).astype(dtype)[()]
    return dtype.type(value)


def broadcast_shapes(op, *shapes):
    """The broadcast shape, or a ValueError-like RuntimeError naming the op and the shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"{op}: the shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be "
                           "broadcast together (sizes must match or be 1 in each dimension, aligned from "
                           "the right); reshape or unsqueeze one of them") from None


def _broadcast_axes(grad_shape, shape):
    """The axes along which ``shape`` was broadcast to ``grad_shape`` (leading ones included)."""
    lead = len(grad_shape) - len(shape)
    return tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad_shape[i + lead] != 1)


def sum_to(grad, shape, dtype=None):
    """Undo broadcasting in a backward pass: sum ``grad`` (a Tensor) down to ``shape``, cast to
    ``dtype``. The one place every op's gradient goes through to match its input's shape."""
    if grad.shape != tuple(shape):
        axes = _broadcast_axes(grad.shape, shape)
        if axes:
            grad = grad.sum(dim=axes, keepdim=True)
        if grad.shape != tuple(shape):
            grad = grad.reshape(shape)
    if dtype is not None and grad.dtype != dtype:
        grad = grad.to(dtype)
    return grad


def sum_to_array(g, shape, dtype=None):
    """``sum_to`` on raw arrays, for the ops' ``raw_backward``."""
    if g.shape != tuple(shape):
        axes = _broadcast_axes(g.shape, shape)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        if g.shape != tuple(shape):
            g = g.reshape(shape)
    if dtype is not None and g.dtype != dtype:
        g = g.astype(dtype)
    return g


def raw_grad_to(g, meta):
    """``grad_to`` on raw arrays: ``g`` reduced to the (shape, dtype) in ``meta``, or None."""
    return None if meta is None else sum_to_array(g, meta[0], meta[1])


def grad_for(g, x):
    """``g`` reduced to the shape and dtype of input ``x``; None when ``x`` needs no gradient."""
    if not isinstance(x, Tensor) or not x.requires_grad:
        return None
    return sum_to(g, x.shape, x.dtype)


def grad_meta(x):
    """What backward needs to shape an input's gradient: (shape, dtype), or None when ``x`` needs
    no gradient. Ops that need no input values save this instead of the input."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x.array.shape, x.array.dtype
    return None


def grad_to(g, meta):
    """``g`` reduced to the (shape, dtype) in ``meta``; None when ``meta`` is None."""
    return None if meta is None else sum_to(g, meta[0], meta[1])


def normalize_dims(dim, ndim, op):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes (None: all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (normalize_dim(int(dim), ndim, op),)
    dims = tuple(sorted(normalize_dim(int(d), ndim, op) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return dims


def as_tensor(x, like=None):
    """``x`` as a Tensor (Python numbers take ``like``'s dtype when given)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and not hasattr(x, "dtype"):
        return wrap_array(np.asarray(x, dtype=promote_types(like.array, x)))
    return Tensor(x)



# ---- forward-mode AD (``Function.jvp``) ---------------------------------------------------------
def _differentiable(x):
    return isinstance(x, Tensor) and x.array.dtype.kind in "fc"


def linear_jvp(ctx, *tangents):
    """The ``jvp`` of an op that is linear in its floating tensor inputs (sum, reshape, cat,
    indexing...): the op itself run on the tangents (zeros for an input without one); every other
    argument passes through unchanged."""
    args = [(t if t is not None else wrap_array(np.zeros_like(a.array))) if _differentiable(a) else a
            for a, t in zip(ctx.fw_inputs, tangents)]
    return type(ctx).apply(*args, **ctx.fw_kwargs)


def add_tangents(*terms):
    """The sum of the tangent terms that are not None (None when all are)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out

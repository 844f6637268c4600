"""nn.functional: activations with PyTorch's signatures (``inplace=``, ``dim=``, ``dtype=``).

The element-wise maths and derivatives live in ``glassgrad.ops.elementwise``; softmax and
log-softmax in ``glassgrad.ops.reduction``. This module adds PyTorch's functional arguments.
"""
import warnings

from ...autograd.grad_mode import state as _grad_state
from ...ops import elementwise as _ew
from ...ops.tensor_methods import _inplace

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "sigmoid", "tanh",
           "softplus", "softmax", "log_softmax", "softmin"]


def _from_copy(fn):
    """``fn`` applied to a copy of its input when the graph is recorded, so that the op saves the
    copy and the in-place write into the input does not invalidate what backward needs."""
    def run(t, **kwargs):
        if _grad_state.enabled and t.requires_grad:
            t = t.clone()
        return fn(t, **kwargs)
    return run


def _maybe_inplace(fn, name, input, inplace, **kwargs):
    if inplace:
        return _inplace(_from_copy(fn), name)(input, **kwargs)
    return fn(input, **kwargs)


def relu(input, inplace=False):
    """max(x, 0) element-wise.

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.relu, "relu_", input, inplace)


def relu_(input):
    """In-place ``relu``."""
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope·x.

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.leaky_relu, "leaky_relu_", input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place ``leaky_relu``."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha·(eˣ - 1).

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.elu, "elu_", input, inplace, alpha=alpha)


def elu_(input, alpha=1.0):
    """In-place ``elu``."""
    return elu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    """x·Φ(x) (``approximate='tanh'``: the tanh approximation).

    Shape: any; output has the input's shape."""
    return _ew.gelu(input, approximate=approximate)


def silu(input, inplace=False):
    """x·σ(x).

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.silu, "silu_", input, inplace)


def sigmoid(input):
    """1 / (1 + e⁻ˣ).

    Shape: any; output has the input's shape."""
    return _ew.sigmoid(input)


def tanh(input):
    """tanh x.

    Shape: any; output has the input's shape."""
    return _ew.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """ln(1 + e^(βx))/β, and x where βx > threshold.

    Shape: any; output has the input's shape."""
    return _ew.softplus(input, beta=beta, threshold=threshold)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(input, name, dim, dtype):
    if dim is None:
        dim = _softmax_dim(name, input.ndim, 4)
    if dtype is not None:
        input = input.to(dtype)
    return input, dim


def softmax(input, dim=None, dtype=None):
    """exp(x) / Σ exp(x) along ``dim`` (stable: the max is subtracted first). ``dtype`` casts the
    input first.

    Shape: any; output has the input's shape."""
    from ...ops.reduction import softmax as _softmax
    input, dim = _prepare(input, "softmax", dim, dtype)
    return _softmax(input, dim)


def log_softmax(input, dim=None, dtype=None):
    """x - log Σ exp(x) along ``dim`` (log-sum-exp, no overflow).

    Shape: any; output has the input's shape."""
    from ...ops.reduction import log_softmax as _log_softmax
    input, dim = _prepare(input, "log_softmax", dim, dtype)
    return _log_softmax(input, dim)


def softmin(input, dim=None, dtype=None):
    """softmax(-x) along ``dim``.

    Shape: any; output has the input's shape."""
    from ...ops.reduction import softmax as _softmax
    input, dim = _prepare(input, "softmin", dim, dtype)
    return _softmax(-input, dim)

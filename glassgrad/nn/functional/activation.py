"""nn.functional: activations with PyTorch's signatures (``inplace=``, ``dim=``, ``dtype=``).

The element-wise maths and derivatives live in ``glassgrad.ops.elementwise``; softmax and
log-softmax in ``glassgrad.ops.reduction``. This module adds PyTorch's functional arguments.
"""
import warnings

from ...autograd.grad_mode import state as _grad_state
from ...autograd.tensor import normalize_dim
from ...ops import elementwise as _ew
from ...ops.tensor_methods import inplace_method

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu", "sigmoid", "tanh",
           "softplus", "softmax", "log_softmax", "softmin",
           "relu6", "hardtanh", "hardtanh_", "selu", "selu_", "celu", "celu_", "softsign", "mish", "hardswish",
           "hardsigmoid", "prelu", "threshold", "threshold_", "tanhshrink", "glu", "logsigmoid", "hardshrink",
           "softshrink", "gumbel_softmax"]


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
        return inplace_method(_from_copy(fn), name)(input, **kwargs)
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


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val].

    Shape: any; output has the input's shape."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(_ew.hardtanh, "hardtanh_", input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (``hardtanh(x, 0, 6)``).

    Shape: any; output has the input's shape."""
    return hardtanh(input, 0.0, 6.0, inplace)


def selu(input, inplace=False):
    """scale·(x if x > 0 else alpha·(eˣ - 1)), alpha ≈ 1.6733 and scale ≈ 1.0507 (self-normalizing).

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.selu, "selu_", input, inplace)


def selu_(input):
    """In-place ``selu``."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha·(e^(x/alpha) - 1).

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.celu, "celu_", input, inplace, alpha=alpha)


def celu_(input, alpha=1.0):
    """In-place ``celu``."""
    return celu(input, alpha, inplace=True)


def softsign(input):
    """x / (1 + |x|).

    Shape: any; output has the input's shape."""
    return _ew.softsign(input)


def mish(input, inplace=False):
    """x·tanh(softplus(x)).

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.mish, "mish_", input, inplace)


def hardswish(input, inplace=False):
    """x·min(max(x + 3, 0), 6) / 6.

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.hardswish, "hardswish_", input, inplace)


def hardsigmoid(input, inplace=False):
    """min(max(x + 3, 0), 6) / 6.

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.hardsigmoid, "hardsigmoid_", input, inplace)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``.

    Shape: any; output has the input's shape."""
    return _maybe_inplace(_ew.threshold, "threshold_", input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    """In-place ``threshold``."""
    return globals()["threshold"](input, threshold, value, inplace=True)


def tanhshrink(input):
    """x - tanh x.

    Shape: any; output has the input's shape."""
    return _ew.tanhshrink(input)


def logsigmoid(input):
    """log σ(x) = -softplus(-x), without overflow.

    Shape: any; output has the input's shape."""
    return _ew.logsigmoid(input)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0.

    Shape: any; output has the input's shape."""
    return _ew.hardshrink(input, lambd)


def softshrink(input, lambd=0.5):
    """x - lambd·sign(x) where |x| > lambd, else 0.

    Shape: any; output has the input's shape."""
    return _ew.softshrink(input, lambd)


def prelu(input, weight):
    """x if x > 0 else a·x, with ``weight`` a learnt slope: one for all channels or one per channel
    (dim 1; inputs of fewer than 2 dims have one channel).

    Shape: input (N, C, *), (N,) or (); weight (1,) or (C,) -> the input's shape."""
    n = weight.numel()
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: weight must be a 1-d tensor (num_parameters,), got shape {tuple(weight.shape)}")
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: weight has {n} "
                               f"elements and the input (shape {tuple(input.shape)}) has {channels} channel(s) "
                               f"(dim 1; one for fewer than 2 dims); use PReLU(num_parameters={channels}) or 1")
        weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return _ew.where(input > 0, input, weight * input)


def glu(input, dim=-1):
    """The gated linear unit: a·σ(b), with ``input`` split in halves a, b along ``dim``.

    Shape: (*, 2N, *) -> (*, N, *)."""
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because the halving size must be even")
    d = normalize_dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is size {input.shape[d]} "
                           f"(input shape {tuple(input.shape)})")
    a, b = input.chunk(2, d)
    return a * _ew.sigmoid(b)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau) along
    ``dim`` with g = -log(E), E ~ Exponential(1). ``hard`` returns the one-hot of its argmax in the
    forward pass with the soft sample's gradient (straight-through). ``eps`` is unused (PyTorch's
    deprecated argument).

    Shape: any; output has the logits' shape."""
    from ...ops.creation import empty_like, zeros_like
    from ...ops.reduction import softmax as _softmax
    if tau <= 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    gumbels = -empty_like(logits.detach()).exponential_().log()
    y_soft = _softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.detach().argmax(dim, keepdim=True)
    y_hard = zeros_like(logits.detach()).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft

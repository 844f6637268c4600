"""``nn.init``: fill a tensor in place from a distribution (PyTorch's ``torch.nn.init``).

Every initializer works under ``no_grad`` on the tensor's array, returns the tensor, and takes a
``generator=`` keyword (glassgrad's default generator when None). The random streams are
glassgrad's, so the same seed gives the same *distribution* as PyTorch, not the same numbers.
"""
import math

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor
from ..random import rng_of

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "orthogonal_", "sparse_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain (std multiplier) for a nonlinearity: 1 for linear/conv/sigmoid,
    5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for leaky_relu (slope ``param``, default 0.01),
    3/4 for selu."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of linear, conv1d, "
                     "conv2d, conv3d, conv_transpose1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: (in, out) features of a Linear weight (out, in), times the
    receptive field size for convolutions (out, in/groups, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
                         f"(got shape {tuple(tensor.shape)})")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check(tensor, fn):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{fn}: expected a glassgrad Tensor, got {type(tensor).__name__}")
    if tensor.array.dtype.kind not in "fc" and fn not in ("constant_", "zeros_", "ones_", "eye_", "dirac_"):
        raise TypeError(f"nn.init.{fn}: needs a floating point tensor, got dtype {tensor.dtype}")


def _write(tensor, values):
    """Store ``values`` (a NumPy array) into the tensor's array in place, on its device/dtype."""
    array = tensor.array
    values = np.asarray(values, dtype=array.dtype)
    array[...] = backend.move(values, backend.device_of(array))
    tensor._version += 1
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values from U(a, b)."""
    _check(tensor, "uniform_")
    return _write(tensor, rng_of(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values from N(mean, std²)."""
    _check(tensor, "normal_")
    return _write(tensor, rng_of(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with values from N(mean, std²) restricted to [a, b] (exact rejection sampling: from the
    normal itself when [a, b] holds enough of its mass, else from a uniform or exponential proposal)."""
    _check(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    z = _std_trunc_normal(rng_of(generator), (a - mean) / std, (b - mean) / std, tensor.numel())
    return _write(tensor, np.clip(mean + std * z, a, b).reshape(tensor.shape))


def _phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _std_trunc_normal(rng, lo, hi, n):
    """n samples of N(0, 1) conditioned on [lo, hi]."""
    if lo >= 0 or hi <= 0:
        flip = hi <= 0
        if flip:
            lo, hi = -hi, -lo
    else:
        flip = False
    mass = _phi(hi) - _phi(lo)
    out = np.empty(0)
    while out.size < n:
        m = max(2 * (n - out.size), 64)
        if mass >= 0.05:
            z = rng.standard_normal(m)
            z = z[(z >= lo) & (z <= hi)]
        elif lo < 0 or math.exp(-(min(hi, 1e150) ** 2 - lo ** 2) / 2) >= 0.1:
            # narrow interval: uniform proposal, accepted with the density ratio
            peak = 0.0 if lo < 0 else lo
            z = rng.uniform(lo, hi, m)
            z = z[rng.uniform(0, 1, m) <= np.exp((peak * peak - z * z) / 2)]
        else:
            # far tail [lo, hi] with lo > 0: shifted exponential proposal (Robert, 1995)
            rate = (lo + math.sqrt(lo * lo + 4)) / 2
            z = lo + rng.exponential(1 / rate, m)
            z = z[(rng.uniform(0, 1, m) <= np.exp(-((z - rate) ** 2) / 2)) & (z <= hi)]
        out = np.concatenate([out, z])
    out = out[:n]
    return -out if flip else out


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    _check(tensor, "constant_")
    tensor.array[...] = val
    tensor._version += 1
    return tensor


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal of a rectangle too)."""
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a {3, 4, 5}-D convolution weight with the Dirac delta, so the convolution is the
    identity on as many channels as possible (per group)."""
    _check(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"nn.init.dirac_: only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    out_ch = tensor.shape[0]
    if out_ch % groups:
        raise ValueError(f"nn.init.dirac_: dim 0 ({out_ch}) must be divisible by groups ({groups})")
    per = out_ch // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per, tensor.shape[1])):
            values[(g * per + d, d) + centre] = 1
    return _write(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain·√(6 / (fan_in + fan_out))."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator=generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator=generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-b, b) with b = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a) and
    fan = fan_in or fan_out by ``mode``."""
    _check(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator=generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std²) with std = gain / √fan."""
    _check(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator=generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, times ``gain``;
    dims after the first are flattened (rows·rowsᵀ = I or colsᵀ·cols = I, whichever is square)."""
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: only tensors with 2 or more dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = rng_of(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the distribution uniform (Haar)
    if rows < cols:
        q = q.T
    return _write(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor with N(0, std²) entries and a fraction ``sparsity`` of each column set to 0."""
    _check(tensor, "sparse_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.sparse_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    rng = rng_of(generator)
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    values = rng.normal(0.0, std, (rows, cols))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _write(tensor, values)

"""nn modules: activation functions as layers (ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh,
Softmax, LogSoftmax, Softplus, ReLU6, Hardtanh, SELU, CELU, Mish, PReLU, GLU, ...)."""
import numpy as np

from ...autograd.grad_mode import no_grad
from ...backend import get_default_dtype
from ..functional import activation as F
from ..parameter import Parameter
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin",
           "Softplus", "Hardtanh", "ReLU6", "SELU", "CELU", "Softsign", "Mish", "Hardswish", "Hardsigmoid", "PReLU",
           "Threshold", "Tanhshrink", "GLU", "LogSigmoid", "Hardshrink", "Softshrink"]


class ReLU(Module):
    """max(x, 0) element-wise (``inplace`` overwrites the input).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x if x > 0 else alpha·(eˣ - 1).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x·Φ(x), Φ the standard normal CDF (``approximate='tanh'``: its tanh approximation).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x) (swish).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + e⁻ˣ).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh x.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return F.tanh(input)


class Softplus(Module):
    """ln(1 + e^(βx))/β, reverting to x where βx > threshold.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class _SoftmaxBase(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if "dim" not in self.__dict__:
            self.dim = None

    def forward(self, input):
        return type(self)._fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """exp(x) / Σ exp(x) along ``dim`` (entries in (0, 1) summing to 1).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxBase):
    """log(softmax(x)) along ``dim``, computed stably.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.log_softmax)


class Softmin(_SoftmaxBase):
    """softmax(-x) along ``dim``.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.softmin)


def _inplace_str(module, lead=", "):
    return (lead + "inplace=True") if module.inplace else ""


class Hardtanh(Module):
    """x clipped to [min_val, max_val] (``inplace`` overwrites the input).

    Args:
        min_val: the lower bound (default -1). max_val: the upper bound (default 1).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_str(self)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_str(self, "")


class _InplaceActivation(Module):
    _fn = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_str(self, "")


class SELU(_InplaceActivation):
    """scale·(x if x > 0 else alpha·(eˣ - 1)) with alpha ≈ 1.6733, scale ≈ 1.0507 (self-normalizing;
    pair with ``AlphaDropout`` and LeCun-normal init).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.selu)


class Mish(_InplaceActivation):
    """x·tanh(softplus(x)).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.mish)


class Hardswish(_InplaceActivation):
    """x·min(max(x + 3, 0), 6) / 6.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.hardswish)


class Hardsigmoid(_InplaceActivation):
    """min(max(x + 3, 0), 6) / 6.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    _fn = staticmethod(F.hardsigmoid)


class CELU(Module):
    """x if x > 0 else alpha·(e^(x/alpha) - 1).

    Args:
        alpha: the scale of the negative part (default 1; not 0).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_str(self)


class Threshold(Module):
    """x where x > threshold, else ``value``.

    Args:
        threshold: the value to compare with. value: what replaces the elements at or below it.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace_str(self)


class Softsign(Module):
    """x / (1 + |x|).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh x.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return F.tanhshrink(input)


class LogSigmoid(Module):
    """log σ(x), without overflow.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Hardshrink(Module):
    """x where |x| > lambd, else 0.

    Args:
        lambd: the threshold (default 0.5).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd·sign(x) where |x| > lambd, else 0.

    Args:
        lambd: the threshold (default 0.5, not negative).

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class GLU(Module):
    """The gated linear unit a·σ(b), the input split in halves a, b along ``dim``.

    Args:
        dim: the dimension to split (default -1; its size must be even).

    Shape:
        - Input: (*, 2N, *); Output: (*, N, *).
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class PReLU(Module):
    """x if x > 0 else a·x with a learnt slope ``weight``: one shared by all channels
    (``num_parameters=1``) or one per channel (dim 1 of the input).

    Args:
        num_parameters: 1 or the number of channels. init: the initial slope (default 0.25).

    Shape:
        - Input: (*) (channels in dim 1 when num_parameters > 1); Output: (*), the input's shape.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(np.empty(num_parameters, dtype=np.dtype(dtype) if dtype is not None else get_default_dtype()))
        self.reset_parameters()

    def reset_parameters(self):
        """weight = init."""
        with no_grad():
            self.weight.array[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"

"""nn modules: activation functions as layers (ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh,
Softmax, LogSoftmax, Softplus)."""
from ..functional import activation as F
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin",
           "Softplus"]


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

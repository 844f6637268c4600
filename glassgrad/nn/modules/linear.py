"""nn modules: ``Linear`` (y = x Wᵀ + b), ``Bilinear`` (y = x1ᵀ A x2 + b) and ``Identity``."""
import math

import numpy as np

from ... import backend
from .. import init
from ..functional.linear import bilinear, linear
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]


def _empty(shape, device, dtype):
    """An uninitialized Parameter of ``shape`` (default dtype unless ``dtype``) on ``device``."""
    array = np.empty(shape, dtype=np.dtype(dtype) if dtype is not None else backend.get_default_dtype())
    if device is not None:
        array = backend.move(array, device)
    return Parameter(array)


class Identity(Module):
    """Returns its input unchanged (a placeholder; any constructor arguments are ignored).

    Shape:
        - Input: (*); Output: (*), the same tensor.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn an additive bias (default True).
        device, dtype: where and of what type the parameters are made (default dtype when None).

    Attributes:
        weight: (out_features, in_features), initialized U(-1/√in, 1/√in) (kaiming_uniform_ with
            a=√5, as PyTorch); bias: (out_features,), U(-1/√in, 1/√in).

    Shape:
        - Input: (*, in_features); Output: (*, out_features).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: in_features and out_features must be >= 0, got {in_features}, {out_features}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty((out_features, in_features), device, dtype)
        if bias:
            self.bias = _empty((out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias from PyTorch's default distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if input.shape[-1:] != (self.in_features,):
            raise RuntimeError(f"Linear: expected input with last dim in_features={self.in_features}, got shape "
                               f"{tuple(input.shape)}; reshape or flatten the input (nn.Flatten) first")
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1ᵀ A x2 + b, one bilinear form per output feature.

    Args:
        in1_features, in2_features: sizes of each sample of the two inputs.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        device, dtype: where and of what type the parameters are made.

    Attributes:
        weight: (out_features, in1_features, in2_features); bias: (out_features,); both drawn from
            U(-1/√in1_features, 1/√in1_features), as PyTorch.

    Shape:
        - Input1: (*, in1_features); Input2: (*, in2_features), same leading dims; Output: (*, out_features).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = _empty((out_features, in1_features, in2_features), device, dtype)
        if bias:
            self.bias = _empty((out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias from U(-1/√in1_features, 1/√in1_features)."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")

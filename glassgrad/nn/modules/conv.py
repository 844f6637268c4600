"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``, ``ConvTranspose2d``,
``ConvTranspose3d`` (NCHW / NCDHW).

Default initialization is PyTorch's: weight ~ kaiming_uniform(a=√5), i.e. U(-1/√fan_in, 1/√fan_in),
and bias ~ U(-1/√fan_in, 1/√fan_in), with fan_in = weight.size(1) · prod(kernel_size).
"""
import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...backend import get_default_dtype
from ..functional.convolution import conv2d, conv3d, conv_transpose2d, conv_transpose3d, ntuple
from ...ops.creation import rand
from ...ops.shape import pad as _pad
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PAD_MODES = {"zeros": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _uniform_(t, bound):
    """Fill parameter ``t`` in place with U(-bound, bound) from glassgrad's global generator."""
    with no_grad():
        t.array[...] = ((rand(*t.shape, dtype=t.dtype).array * 2 - 1) * bound).astype(t.dtype)
    return t


def _index_matrix(size, lo, hi, mode, dtype):
    """(size+lo+hi, size) 0/1 matrix whose product with x pads x along one axis with ``mode``."""
    idx = np.pad(np.arange(size), (lo, hi), mode=mode)
    m = np.zeros((idx.size, size), dtype=dtype)
    m[np.arange(idx.size), idx] = 1
    return m


def _pad_nonzero(x, pads, mode, name):
    """Pad the last two dims of ``x`` by pads (top, bottom, left, right) with reflect/replicate/
    circular padding, as products with 0/1 matrices (exact, and differentiable by matmul)."""
    t, b, l, r = pads
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(t, b) >= h and (t or b) or max(l, r) >= w and (l or r)):
        raise RuntimeError(f"{name}: reflect padding {pads} must be smaller than the input size {(h, w)}")
    if mode == "wrap" and (max(t, b) > h or max(l, r) > w):
        raise RuntimeError(f"{name}: circular padding {pads} can't be larger than the input size {(h, w)}")
    out = x
    if t or b:
        out = Tensor(_index_matrix(h, t, b, mode, x.dtype)) @ out
    if l or r:
        out = out @ Tensor(_index_matrix(w, l, r, mode, x.dtype).T.copy())
    return out


class _ConvNd(Module):
    """Shared parameters, initialization, padding modes and repr of the convolution layers."""

    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", output_padding=0, device=None, dtype=None):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both "
                             f"be divisible by groups ({groups})")
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PAD_MODES)}, got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only 'zeros' padding mode is supported for transposed convolutions "
                             f"(as in PyTorch), got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = ntuple(stride, nd, "stride", name)
        self.dilation = ntuple(dilation, nd, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}; expected 'valid' or 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, nd, "padding", name)
        self.output_padding = ntuple(output_padding, nd, "output_padding", name)
        self.padding_mode = padding_mode
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight, bias ~ U(-1/√fan_in, 1/√fan_in) (PyTorch's kaiming_uniform_ with a=√5)."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        _uniform_(self.weight, bound)
        if self.bias is not None:
            _uniform_(self.bias, bound)

    def _check_input(self, x):
        nd, name = self._nd, type(self).__name__
        dims = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[nd]
        if not isinstance(x, Tensor) or x.ndim not in (nd + 1, nd + 2) or x.shape[-nd - 1] != self.in_channels:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise RuntimeError(f"{name}: expected input with {nd + 2} dims {dims} and {self.in_channels} "
                               f"channels, got shape {shape}")
        return x.ndim == nd + 2

    def _pads(self):
        """(top, bottom, left, right) for the 2-d kernel (height 1 for 1-d layers)."""
        k = (1,) * (2 - self._nd) + self.kernel_size
        d = (1,) * (2 - self._nd) + self.dilation
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            totals = [dd * (kk - 1) for kk, dd in zip(k, d)]
            return (totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2)
        p = (0,) * (2 - self._nd) + self.padding
        return (p[0], p[0], p[1], p[1])

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def forward(self, input):
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(0)
        if self._nd == 1:
            x = x.unsqueeze(2)
        w = self.weight if self._nd == 2 else self.weight.unsqueeze(2)
        if self.padding_mode == "zeros":
            pad = self.padding if isinstance(self.padding, str) else self._pads()[::2]
            y = conv2d(x, w, self.bias, (1,) * (2 - self._nd) + self.stride, pad,
                       (1,) * (2 - self._nd) + self.dilation, self.groups)
        else:
            x = _pad_nonzero(x, self._pads(), _PAD_MODES[self.padding_mode], type(self).__name__)
            y = conv2d(x, w, self.bias, (1,) * (2 - self._nd) + self.stride, 0,
                       (1,) * (2 - self._nd) + self.dilation, self.groups)
        if self._nd == 1:
            y = y.squeeze(2)
        return y if batched else y.squeeze(0)


class Conv2d(_Conv):
    """2-d convolution layer: y = conv2d(x, weight) + bias.

    Args:
        in_channels, out_channels, kernel_size: int or (kH, kW).
        stride, padding (int, tuple, 'valid' or 'same'), dilation, groups, bias: as in ``F.conv2d``.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
    Shape:
        input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H + 2·pH - dH·(kH-1) - 1) // sH + 1.
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)


class Conv1d(_Conv):
    """1-d convolution layer: y = conv1d(x, weight) + bias.

    Shape: input (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
        L_out = (L + 2·p - d·(k-1) - 1) // s + 1.
    """

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)


class _ConvTranspose(_ConvNd):
    _transposed = True

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        nd, name = self._nd, type(self).__name__
        output_size = tuple(int(s) for s in output_size)[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"{name}: output_size must have {nd} or {nd + 2} elements, got {output_size}")
        out = []
        for i in range(nd):
            size = x.shape[x.ndim - nd + i]
            smallest = ((size - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = output_size[i] - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{name}: requested an output size of {output_size}, but valid sizes range from "
                                 f"{smallest} to {smallest + max(self.stride[i], self.dilation[i]) - 1} in dim {i} "
                                 f"(for an input of shape {tuple(x.shape)})")
            out.append(extra)
        return tuple(out)

    def forward(self, input, output_size=None):
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(0)
        op = self._output_padding(x, output_size)
        lead = (1,) * (2 - self._nd)
        if self._nd == 1:
            x = x.unsqueeze(2)
        w = self.weight if self._nd == 2 else self.weight.unsqueeze(2)
        y = conv_transpose2d(x, w, self.bias, lead + self.stride, (0,) * (2 - self._nd) + self.padding,
                             (0,) * (2 - self._nd) + op, self.groups, lead + self.dilation)
        if self._nd == 1:
            y = y.squeeze(2)
        return y if batched else y.squeeze(0)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution layer (the gradient of Conv2d in its input; "deconvolution").

    Args: as Conv2d, plus output_padding (extra rows/columns at the bottom/right of the output);
        ``forward(input, output_size=None)`` may pick output_padding from a requested size.
    Shape:
        input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H-1)·sH - 2·pH + dH·(kH-1) + output_padding + 1.
    """

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution layer.

    Shape: input (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
        L_out = (L-1)·s - 2·p + d·(k-1) + output_padding + 1.
    """

    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)


_F_PAD_MODES = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class Conv3d(_ConvNd):
    """3-d convolution layer: y = conv3d(x, weight) + bias.

    Args:
        in_channels, out_channels, kernel_size: int or (kD, kH, kW).
        stride, padding (int, triple, 'valid' or 'same'), dilation, groups, bias: as in ``F.conv3d``.
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
    Shape:
        input (N, C_in, D, H, W) or (C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out),
        D_out = (D + 2·pD - dD·(kD-1) - 1) // sD + 1.
    """

    _nd = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype=dtype)

    def forward(self, input):
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(0)
        if self.padding_mode == "zeros":
            y = conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        else:
            if self.padding == "valid":
                pads = (0,) * 6
            elif self.padding == "same":
                totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
                pads = sum(((t // 2, t - t // 2) for t in reversed(totals)), ())
            else:
                pads = sum(((p, p) for p in reversed(self.padding)), ())
            x = _pad(x, pads, _F_PAD_MODES[self.padding_mode])
            y = conv3d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return y if batched else y.squeeze(0)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution layer (the gradient of Conv3d in its input).

    Args: as Conv3d, plus output_padding; ``forward(input, output_size=None)`` may pick
        output_padding from a requested size.
    Shape:
        input (N, C_in, D, H, W) or (C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out),
        D_out = (D-1)·sD - 2·pD + dD·(kD-1) + output_padding + 1.
    """

    _nd = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype=dtype)

    def forward(self, input, output_size=None):
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(0)
        op = self._output_padding(x, output_size)
        y = conv_transpose3d(x, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation)
        return y if batched else y.squeeze(0)

"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d`` (no parameters)."""
from ..functional.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,
                         max_pool2d)
from ..functional.convolution import ntuple
from ..functional.pool_nd import (adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
                                  avg_pool3d, max_pool3d)
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "MaxPool3d",
           "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d"]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling (``stride`` defaults to ``kernel_size``; padding counts as -inf).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out),
        H_out = (H + 2·p - d·(k-1) - 1) / s + 1 rounded down (up with ceil_mode).
    """

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling. Shape: (N, C, L) or (C, L) -> (N, C, L_out)."""

    def forward(self, input):
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class AvgPool2d(Module):
    """2-d average pooling (zero padding, counted in the divisor when ``count_include_pad``).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out), H_out = (H + 2·p - k) / s + 1
        rounded down (up with ceil_mode).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """1-d average pooling. Shape: (N, C, L) or (C, L) -> (N, C, L_out)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = ntuple(stride if stride is not None and stride != () else kernel_size, 1, "stride", "AvgPool1d")
        padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (an entry of None keeps that input size).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, *output_size).
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """Average pooling to a fixed output length. Shape: (N, C, L) or (C, L) -> (N, C, output_size)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling (``stride`` defaults to ``kernel_size``; padding counts as -inf).

    Args:
        kernel_size, stride, padding, dilation: ints or triples (D, H, W).
        return_indices: also return each maximum's flat index into D·H·W.
        ceil_mode: round the output size up.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out),
        D_out = (D + 2·p - d·(k-1) - 1) / s + 1 rounded down (up with ceil_mode).
    """

    def forward(self, input):
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class AvgPool3d(AvgPool2d):
    """3-d average pooling (zero padding, counted in the divisor when ``count_include_pad``).

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out), D_out = (D + 2·p - k) / s + 1
        rounded down (up with ceil_mode).
    """

    def forward(self, input):
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """Average pooling to a fixed output size (an entry of None keeps that input size).

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, *output_size).
    """

    def forward(self, input):
        return adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    _fn = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output length (bins [floor(i·L/out), ceil((i+1)·L/out))).

    Args:
        output_size: the output length. return_indices: also return each maximum's index.

    Shape: (N, C, L) or (C, L) -> (N, C, output_size).
    """

    _fn = staticmethod(adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size (an entry of None keeps that input size).

    Args:
        output_size: int or (oH, oW). return_indices: also return each maximum's flat index into H·W.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, oH, oW).
    """

    _fn = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size (an entry of None keeps that input size).

    Args:
        output_size: int or (oD, oH, oW). return_indices: also return each maximum's flat index into D·H·W.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, oD, oH, oW).
    """

    _fn = staticmethod(adaptive_max_pool3d)

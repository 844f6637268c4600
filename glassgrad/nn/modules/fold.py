"""nn modules: ``Fold`` (col2im) and ``Unfold`` (im2col)."""
from ..functional.fold import fold, unfold
from .module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    """Combines sliding local blocks (columns) into an image, summing overlaps (col2im).

    Args:
        output_size: (H, W) of the image. kernel_size, dilation, padding, stride: of the blocks.

    Shape:
        - Input: (N, C·kH·kW, L) or (C·kH·kW, L); Output: (N, C, H, W) or (C, H, W).
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Extracts sliding local blocks of an image as columns (im2col).

    Args:
        kernel_size, dilation, padding, stride: of the blocks.

    Shape:
        - Input: (N, C, H, W) or (C, H, W); Output: (N, C·kH·kW, L) or (C·kH·kW, L).
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")

"""nn modules: ``PixelShuffle`` and ``PixelUnshuffle``."""
from ..functional.vision import pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (sub-pixel convolution's upsampling).

    Args:
        upscale_factor: r.

    Shape:
        - Input: (*, C·r², H, W); Output: (*, C, H·r, W·r).
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of ``PixelShuffle``: (*, C, H·r, W·r) into (*, C·r², H, W).

    Args:
        downscale_factor: r.

    Shape:
        - Input: (*, C, H·r, W·r); Output: (*, C·r², H, W).
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"

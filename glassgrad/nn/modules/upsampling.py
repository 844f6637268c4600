"""nn modules: ``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``."""
from ..functional.interpolate import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resizes (N, C, L), (N, C, H, W) or (N, C, D, H, W) inputs with ``F.interpolate``.

    Args:
        size: the output spatial size, or scale_factor: the multiplier (one of the two).
        mode: 'nearest' (default), 'linear', 'bilinear', 'bicubic', 'trilinear', 'nearest-exact', 'area'.
        align_corners: for the interpolating modes (default False).
        recompute_scale_factor: compute the index rules from the output size.

    Shape:
        - Input: (N, C, *in); Output: (N, C, *out), out = size or floor(in · scale_factor).
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` for (N, C, H, W) inputs.

    Shape:
        - Input: (N, C, H, W); Output: (N, C, H_out, W_out).
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode='bilinear', align_corners=True)`` for (N, C, H, W) inputs.

    Shape:
        - Input: (N, C, H, W); Output: (N, C, H_out, W_out).
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)

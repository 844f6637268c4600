"""nn.functional convolutions: ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d``, ``F.conv_transpose2d``.

The kernels (strided im2col + GEMM, col2im by kernel-offset slice-adds) live in ``glassgrad.ops.conv``.
"""
from ...ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

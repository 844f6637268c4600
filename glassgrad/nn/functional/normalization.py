"""nn.functional normalization: ``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``.

The fused kernels with closed-form backward live in ``glassgrad.ops.norm``.
"""
from ...ops.norm import batch_norm, group_norm, layer_norm

__all__ = ["batch_norm", "layer_norm", "group_norm"]

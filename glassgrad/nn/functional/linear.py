"""nn.functional: linear maps (``F.linear``, the fused op from ``glassgrad.ops.nn_linear``)."""
from ...ops.nn_linear import linear

__all__ = ["linear"]

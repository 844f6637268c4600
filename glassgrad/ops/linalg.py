"""Linear algebra: matrix products and their derivatives."""
import numpy as np

from ..autograd.function import Function
from ._util import binary_arrays, sum_to

__all__ = ["matmul"]



class MatMul(Function):
    """z = x @ y (NumPy/PyTorch rules for 1-D and batched operands);
    dx = dz @ yᵀ,  dy = xᵀ @ dz  (batch dimensions summed back where they were broadcast)"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                               f"{tuple(a.shape)} and {tuple(b.shape)}; use * for scalars")
        ctx.save_for_backward(x, y)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                               f"({a.shape[-1]} columns vs {b.shape[-2] if b.ndim > 1 else b.shape[0]} rows); "
                               "the last dim of the first must equal the second-to-last of the second") from None

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        dx = dy = None
        # promote 1-D operands to matrices the way forward did, then undo it
        x2 = x.unsqueeze(0) if x.ndim == 1 else x
        y2 = y.unsqueeze(-1) if y.ndim == 1 else y
        dz2 = dz
        if x.ndim == 1:
            dz2 = dz2.unsqueeze(-2)
        if y.ndim == 1:
            dz2 = dz2.unsqueeze(-1)
        if ctx.needs_input_grad[0]:
            dx = sum_to(dz2 @ y2.transpose(-1, -2), x2.shape, x.dtype).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            dy = sum_to(x2.transpose(-1, -2) @ dz2, y2.shape, y.dtype).reshape(y.shape)
        return dx, dy


def matmul(x, y):
    """Matrix product with broadcasting of batch dimensions. Shapes: (n,)@(n,) -> (),
    (m,n)@(n,) -> (m,), (n,)@(n,p) -> (p,), (...,m,n)@(...,n,p) -> (...,m,p)."""
    return MatMul.apply(x, y)


METHODS = {"matmul": matmul}

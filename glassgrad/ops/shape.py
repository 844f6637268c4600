"""Shape ops: they move elements around; the gradient moves them back."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import _dim
from ._util import broadcast_shapes, sum_to

__all__ = ["reshape", "expand", "broadcast_to", "permute", "transpose", "unsqueeze", "squeeze"]



def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


class Reshape(Function):
    """y = x viewed with a new shape;  dx = dy reshaped back"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.array.shape
        try:
            return x.array.reshape(shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size {x.array.size} "
                               f"(shape {tuple(x.array.shape)}); the product of the sizes must equal the "
                               "number of elements (use -1 for one inferred size)") from None

    @staticmethod
    def backward(ctx, dy):
        return dy.reshape(ctx.shape)


def reshape(x, *shape):
    """``x`` with shape ``shape`` (one size may be -1); a view when possible."""
    return Reshape.apply(x, _shape_arg(shape))


class Expand(Function):
    """y = x broadcast to a larger shape;  dx = dy summed over the broadcast axes"""

    @staticmethod
    def forward(ctx, x, shape):
        a = x.array
        lead = len(shape) - a.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the target shape {list(shape)} has fewer dimensions than the input "
                               f"{tuple(a.shape)}")
        shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        ctx.shape, ctx.dtype = a.shape, a.dtype
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            broadcast_shapes("expand", a.shape, shape)
            raise RuntimeError(f"expand: the input of shape {tuple(a.shape)} cannot be expanded to "
                               f"{list(shape)}; only size-1 dimensions can grow") from None

    @staticmethod
    def backward(ctx, dy):
        return sum_to(dy, ctx.shape)


def expand(x, *shape):
    """``x`` broadcast to ``shape`` without copying (-1 keeps a size)."""
    return Expand.apply(x, _shape_arg(shape))


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` without copying."""
    return Expand.apply(x, tuple(shape))


class Permute(Function):
    """y = x with its axes reordered;  dx = dy with the inverse order"""

    @staticmethod
    def forward(ctx, x, dims):
        a = x.array
        dims = tuple(_dim(d, a.ndim, "permute") for d in dims)
        if sorted(dims) != list(range(a.ndim)):
            raise RuntimeError(f"permute: dims {list(dims)} must be a permutation of the {a.ndim} dims of "
                               f"the input of shape {tuple(a.shape)}")
        ctx.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, dy):
        return dy.permute(ctx.inverse)


def permute(x, *dims):
    """``x`` with its dimensions reordered to ``dims`` (a view)."""
    return Permute.apply(x, _shape_arg(dims))


def transpose(x, dim0, dim1):
    """``x`` with dimensions ``dim0`` and ``dim1`` swapped (a view)."""
    n = x.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    d0, d1 = _dim(dim0, n, "transpose"), _dim(dim1, n, "transpose")
    order = list(range(n))
    order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(x, tuple(order))


def unsqueeze(x, dim):
    """``x`` with a size-1 dimension inserted at ``dim``."""
    d = _dim(dim, x.ndim + 1, "unsqueeze")
    return Reshape.apply(x, x.shape[:d] + (1,) + x.shape[d:])


def squeeze(x, dim=None):
    """``x`` without size-1 dimensions (only ``dim`` if given; an int or a tuple)."""
    shape = x.shape
    if dim is None:
        dims = {i for i, n in enumerate(shape) if n == 1}
    else:
        dims = {_dim(d, x.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
        dims = {d for d in dims if x.ndim and shape[d] == 1}
    return Reshape.apply(x, tuple(n for i, n in enumerate(shape) if i not in dims))



METHODS = {"reshape": reshape, "view": reshape, "expand": expand, "broadcast_to": broadcast_to,
           "permute": permute, "transpose": transpose, "unsqueeze": unsqueeze, "squeeze": squeeze}

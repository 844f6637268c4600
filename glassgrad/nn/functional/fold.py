"""nn.functional: ``unfold`` (im2col: sliding local blocks as columns) and ``fold`` (col2im: columns
summed back into an image).

The two are each other's adjoint, so each op's backward is the other op and gradients of any
order work:

* ``Unfold``  cols = im2col(x)                  dx = Fold(dcols)
* ``Fold``    x    = col2im(cols) (overlaps add)  dcols = Unfold(dx)
"""
import numpy as np

from ...autograd.function import Function
from ...backend import namespace
from .convolution import ntuple

__all__ = ["unfold", "fold"]


class _Blocks:
    """Kernel, dilation, padding, stride (pairs), the image size (H, W) and the block grid (oh, ow)."""

    __slots__ = ("kernel", "dilation", "padding", "stride", "size", "grid")

    def __init__(self, op, size, kernel, dilation, padding, stride):
        self.kernel, self.dilation, self.padding, self.stride, self.size = kernel, dilation, padding, stride, size
        if min(kernel) < 1 or min(dilation) < 1 or min(stride) < 1 or min(padding) < 0:
            raise RuntimeError(f"{op}: kernel_size, dilation and stride must be positive and padding non-negative, "
                               f"got kernel_size={kernel}, dilation={dilation}, padding={padding}, stride={stride}")
        grid = []
        for n, k, d, p, s in zip(size, kernel, dilation, padding, stride):
            span = n + 2 * p - d * (k - 1) - 1
            if span < 0:
                raise RuntimeError(f"{op}: the (padded) image of size {tuple(size)} (padding {padding}) is smaller "
                                   f"than the dilated kernel {tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))}; "
                                   "use a smaller kernel or more padding")
            grid.append(span // s + 1)
        self.grid = tuple(grid)

    def offsets(self):
        """(i, j, rows, cols): where kernel offset (i, j) reads in the padded image."""
        (kh, kw), (dh, dw), (sh, sw), (oh, ow) = self.kernel, self.dilation, self.stride, self.grid
        for i in range(kh):
            for j in range(kw):
                yield i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def _im2col(a, b):
    xp = namespace(a)
    (ph, pw), (h, w) = b.padding, b.size
    n, c = a.shape[:2]
    if ph or pw:
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=a.dtype)
        padded[:, :, ph:ph + h, pw:pw + w] = a
        a = padded
    (kh, kw), (oh, ow) = b.kernel, b.grid
    cols = xp.empty((n, c, kh, kw, oh, ow), dtype=a.dtype)
    for i, j, rows, cs in b.offsets():
        cols[:, :, i, j] = a[:, :, rows, cs]
    return cols.reshape(n, c * kh * kw, oh * ow)


def _col2im(cols, b):
    xp = namespace(cols)
    (ph, pw), (h, w), (kh, kw), (oh, ow) = b.padding, b.size, b.kernel, b.grid
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i, j, rows, cs in b.offsets():
        out[:, :, rows, cs] += blocks[:, :, i, j]
    return xp.ascontiguousarray(out[:, :, ph:ph + h, pw:pw + w])


class Unfold(Function):
    """cols[n, (c, i, j), (a, b)] = xpad[n, c, a·s + i·d, b·s + j·d];  dx = Fold(dcols)"""

    @staticmethod
    def forward(ctx, x, blocks):
        ctx.blocks = blocks
        return _im2col(x.array, blocks)

    @staticmethod
    def backward(ctx, dcols):
        return Fold.apply(dcols, ctx.blocks), None


class Fold(Function):
    """x[n, c, p, q] = Σ of the columns' entries that read (p, q);  dcols = Unfold(dx)"""

    @staticmethod
    def forward(ctx, cols, blocks):
        ctx.blocks = blocks
        return _col2im(cols.array, blocks)

    @staticmethod
    def backward(ctx, dx):
        return Unfold.apply(dx, ctx.blocks), None


def _pairs(op, kernel_size, dilation, padding, stride):
    return (ntuple(kernel_size, 2, "kernel_size", op), ntuple(dilation, 2, "dilation", op),
            ntuple(padding, 2, "padding", op), ntuple(stride, 2, "stride", op))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks (im2col): each column holds one kH×kW block of every channel.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C·kH·kW, L) or (C·kH·kW, L), L = oh·ow the number of
        blocks, oh = (H + 2·pH - dH·(kH-1) - 1) // sH + 1."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"unfold: Input Error: Only 3D or 4D input Tensors are supported (got "
                                  f"{input.ndim}D, shape {tuple(input.shape)})")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    k, d, p, s = _pairs("unfold", kernel_size, dilation, padding, stride)
    y = Unfold.apply(x, _Blocks("unfold", tuple(x.shape[2:]), k, d, p, s))
    return y if batched else y.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into an image (col2im), summing where blocks overlap; the
    adjoint of ``unfold``.

    Shape: (N, C·kH·kW, L) or (C·kH·kW, L) -> (N, C, H, W) or (C, H, W), (H, W) = output_size."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"fold: Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                                  f"supported (got {input.ndim}D, shape {tuple(input.shape)})")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    k, d, p, s = _pairs("fold", kernel_size, dilation, padding, stride)
    size = ntuple(output_size, 2, "output_size", "fold")
    blocks = _Blocks("fold", size, k, d, p, s)
    if x.shape[1] % (k[0] * k[1]):
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={k}")
    if x.shape[2] != blocks.grid[0] * blocks.grid[1]:
        raise RuntimeError(f"fold: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks.grid[0]} * {blocks.grid[1]} = {blocks.grid[0] * blocks.grid[1]}, "
                           f"but got input.size(2)={x.shape[2]}")
    y = Fold.apply(x, blocks)
    return y if batched else y.squeeze(0)

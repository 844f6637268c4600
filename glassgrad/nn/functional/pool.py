"""Pooling (NCHW): max, average and adaptive average, vectorized over strided windows.

Each window op runs one array operation per kernel offset (kh·kw slice operations over the whole
batch), never a loop over pixels. Max pooling remembers which offset won in each window (the first
maximum, like PyTorch; NaN wins) and its backward scatters the gradient there; that scatter and the
matching gather are each other's backward, so gradients of any order work. Average pooling and its
transpose are likewise each other's backward.
"""
import numpy as np

from ...autograd.function import Function
from ...autograd.tensor import Tensor
from ...backend import namespace
from ...parallel import for_batch
from .convolution import ntuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


class _Window:
    """Kernel (kh, kw), stride, padding, dilation, the output size and the extra bottom/right
    padding that ceil_mode windows need."""

    __slots__ = ("kernel", "stride", "padding", "dilation", "out", "extra", "in_hw")

    def __init__(self, op, in_hw, kernel, stride, padding, dilation, ceil_mode):
        self.kernel, self.stride, self.padding, self.dilation, self.in_hw = kernel, stride, padding, dilation, in_hw
        out, extra = [], []
        for size, k, s, p, d in zip(in_hw, kernel, stride, padding, dilation):
            eff = d * (k - 1) + 1
            if k < 1 or s < 1 or d < 1 or p < 0:
                raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive and padding "
                                   f"non-negative, got kernel_size={kernel}, stride={stride}, padding={padding}, "
                                   f"dilation={dilation}")
            if p > k // 2:
                raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got "
                                   f"pad={p}, kernel_size={k}")
            span = size + 2 * p - eff
            if span < 0:
                raise RuntimeError(f"{op}: kernel size {kernel} (dilation {dilation}) is larger than the padded "
                                   f"input size {tuple(n + 2 * q for n, q in zip(in_hw, padding))}; use a "
                                   "smaller kernel or more padding")
            o = (-(-span // s) if ceil_mode else span // s) + 1
            if ceil_mode and (o - 1) * s >= size + p:  # the last window must start inside the input or left padding
                o -= 1
            out.append(o)
            extra.append(max(0, (o - 1) * s + eff - size - 2 * p))
        self.out, self.extra = tuple(out), tuple(extra)

    def padded(self, a, fill):
        """``a`` padded (with ``fill``) on all sides, plus the ceil_mode extra at the bottom/right."""
        (ph, pw), (eh, ew) = self.padding, self.extra
        if not (ph or pw or eh or ew):
            return a
        xp = namespace(a)
        h, w = a.shape[2:]
        out = xp.full(a.shape[:2] + (h + 2 * ph + eh, w + 2 * pw + ew), fill, dtype=a.dtype)
        out[:, :, ph:ph + h, pw:pw + w] = a
        return out

    def cropped(self, a):
        (ph, pw), (h, w) = self.padding, self.in_hw
        if a.shape[2:] == (h, w):
            return a
        return a[:, :, ph:ph + h, pw:pw + w].copy()

    def offsets(self):
        """(k, slice_h, slice_w) for each kernel offset: where that offset reads in the padded input."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.out
        for i in range(kh):
            for j in range(kw):
                yield (i * kw + j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                       slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))

    def padded_shape(self, shape):
        (ph, pw), (eh, ew) = self.padding, self.extra
        return shape[:2] + (shape[2] + 2 * ph + eh, shape[3] + 2 * pw + ew)


def _check_input(op, x, nd):
    if x.ndim not in (nd + 1, nd + 2):
        dims = "(N, C, L) or (C, L)" if nd == 1 else "(N, C, H, W) or (C, H, W)"
        raise RuntimeError(f"{op}: expected a {nd + 1}-d or {nd + 2}-d input {dims}, got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}; use x.float()")


# ---- max pooling -------------------------------------------------------------------------------
def _arg_dtype(win):
    """The smallest integer type holding every kernel offset: the argmax array stays small."""
    return np.int8 if win.kernel[0] * win.kernel[1] <= 127 else np.int64


def _max_exact(a, win):
    """(max, first argmax offset) by a sequential scan of the offsets; a NaN wins (the last one)."""
    xp = namespace(a)
    best, arg = None, None
    for k, sh, sw in win.offsets():
        v = a[:, :, sh, sw]
        if best is None:
            best, arg = v.copy(), xp.zeros(v.shape, dtype=_arg_dtype(win))
            continue
        take = (v > best) | (v != v)
        xp.copyto(best, v, where=take)
        xp.copyto(arg, k, where=take)
    return best, arg


def _max_fast(a, win, best, arg):
    """Write (max, first argmax offset) into ``best`` and ``arg`` as a max-reduction, then the first
    offset equal to it; False when the result has a NaN (the exact scan then decides which NaN wins)."""
    xp = namespace(a)
    views = [a[:, :, sh, sw] for _, sh, sw in win.offsets()]
    xp.copyto(best, views[0])
    for v in views[1:]:
        xp.maximum(best, v, out=best)
    if xp.isnan(best).any():
        return False
    # the first offset equal to the max = the number of leading offsets that differ from it
    differs = xp.not_equal(views[0], best)
    xp.copyto(arg, differs)
    same = xp.empty_like(differs)
    for v in views[1:-1]:
        differs &= xp.not_equal(v, best, out=same)
        arg += differs
    return True


class MaxPool2d(Function):
    """y = max over each window;  dx = dy scattered to the (first) argmax of its window"""

    @staticmethod
    def forward(ctx, x, win):
        a = win.padded(x.array, -np.inf)
        xp = namespace(a)
        best = xp.empty(a.shape[:2] + win.out, dtype=a.dtype)
        arg = xp.empty(best.shape, dtype=_arg_dtype(win))
        nan = []

        def run(lo, hi):  # a chunk of the batch
            if not _max_fast(a[lo:hi], win, best[lo:hi], arg[lo:hi]):
                nan.append(lo)
        for_batch(a, run, nbytes=2 * a.nbytes)
        if nan:
            best, arg = _max_exact(a, win)
        ctx.win = win
        ctx.save_for_backward(arg)
        ctx.mark_non_differentiable(arg)
        return best, arg

    @staticmethod
    def backward(ctx, dy, _):
        arg, = ctx.saved_tensors
        return _MaxScatter.apply(dy, arg, ctx.win)


def _tiles(win):
    """Whether the windows tile the input without overlap or padding (stride >= dilated kernel),
    so each input position receives from at most one window."""
    (kh, kw), (sh, sw), (dh, dw) = win.kernel, win.stride, win.dilation
    return win.padding == (0, 0) and win.extra == (0, 0) and sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1


class _MaxScatter(Function):
    """dx = dy placed at each window's argmax (summed where windows overlap);  d(dy) = g gathered"""

    @staticmethod
    def forward(ctx, dy, arg, win):
        g, k_arg = dy.array, arg.array
        xp = namespace(g)
        shape = win.padded_shape(g.shape[:2] + win.in_hw)
        (oh, ow), (sh_, sw_) = win.out, win.stride
        covered = _tiles(win) and (oh * sh_, ow * sw_) == shape[2:] and win.kernel == win.stride
        out = xp.empty(shape, dtype=g.dtype) if covered else xp.zeros(shape, dtype=g.dtype)
        tiles = _tiles(win)

        def run(lo, hi):  # a chunk of the batch
            for k, sh, sw in win.offsets():
                if tiles:                      # each position written once: assign, no read-add
                    xp.multiply(g[lo:hi], k_arg[lo:hi] == k, out=out[lo:hi, :, sh, sw])
                else:
                    out[lo:hi, :, sh, sw] += g[lo:hi] * (k_arg[lo:hi] == k)
        for_batch(g, run, nbytes=2 * out.nbytes)
        ctx.win = win
        ctx.save_for_backward(arg)
        return win.cropped(out)

    @staticmethod
    def backward(ctx, g):
        arg, = ctx.saved_tensors
        return _MaxGather.apply(g, arg, ctx.win), None


class _MaxGather(Function):
    """y = g read at each window's argmax;  dg = dy scattered back"""

    @staticmethod
    def forward(ctx, g, arg, win):
        a, k_arg = win.padded(g.array, 0), arg.array
        out = namespace(a).zeros(k_arg.shape, dtype=a.dtype)
        for k, sh, sw in win.offsets():
            namespace(a).copyto(out, a[:, :, sh, sw], where=k_arg == k)
        ctx.win = win
        ctx.save_for_backward(arg)
        return out

    @staticmethod
    def backward(ctx, dy):
        arg, = ctx.saved_tensors
        return _MaxScatter.apply(dy, arg, ctx.win), None


def _flat_indices(arg, win):
    """PyTorch's indices: the argmax's flat position in the (unpadded) H·W plane of the input."""
    (_, kw), (sh, sw), (dh, dw), (ph, pw), (oh, ow) = win.kernel, win.stride, win.dilation, win.padding, win.out
    xp = namespace(arg)
    arg = arg.astype(np.int64)
    rows = xp.arange(oh).reshape(-1, 1) * sh - ph + (arg // kw) * dh
    cols = xp.arange(ow) * sw - pw + (arg % kw) * dw
    return rows * win.in_hw[1] + cols


def _pool_setup(op, x, kernel_size, stride, nd):
    """The input as a batched 2-D map (N, C, H, W), whether it was batched, the size normalizer
    ``pair(value, name, lead)`` (1-D pools get a leading height of ``lead``), kernel and stride."""
    _check_input(op, x, nd)
    batched = x.ndim == nd + 2
    x4 = x if batched else x.unsqueeze(0)
    if nd == 1:
        x4 = x4.unsqueeze(2)
    pair = (lambda v, name, lead: (lead,) + ntuple(v, 1, name, op)) if nd == 1 else \
        (lambda v, name, lead: ntuple(v, 2, name, op))
    k = pair(kernel_size, "kernel_size", 1)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else pair(stride, "stride", 1)
    return x4, batched, pair, k, s


def _max_pool(op, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd):
    x4, batched, pair, k, s = _pool_setup(op, x, kernel_size, stride, nd)
    win = _Window(op, x4.shape[2:], k, s, pair(padding, "padding", 0), pair(dilation, "dilation", 1), ceil_mode)
    y, arg = MaxPool2d.apply(x4, win)
    if nd == 1:
        y = y.squeeze(2)
    if not batched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    idx = _flat_indices(arg.array, win).reshape(y.shape)
    return y, Tensor(idx)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling; padding counts as -inf. ``stride`` defaults to ``kernel_size``.
    With ``return_indices``, also the flat index (into H·W) of each maximum.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out) with
        H_out = (H + 2·pH - dH·(kH-1) - 1) / sH + 1, rounded down (up with ceil_mode).
    """
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max pooling. Shape: (N, C, L) or (C, L) -> (N, C, L_out)."""
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


# ---- average pooling ---------------------------------------------------------------------------
def _divisor(win, count_include_pad, divisor_override, dtype):
    """The (oh, ow) divisor of each window, PyTorch's rule: windows are clipped to the padded input
    (count_include_pad) or to the input itself."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=dtype)
    counts = []
    for size, k, s, p, o in zip(win.in_hw, win.kernel, win.stride, win.padding, win.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        full = end - start
        inside = np.minimum(end, size) - np.maximum(start, 0)
        counts.append(full if count_include_pad else inside)
    return (counts[0].reshape(-1, 1) * counts[1]).astype(dtype)


class AvgPool2d(Function):
    """y = Σ window / divisor;  dx = AvgPool2dT(dy): dy / divisor spread back over each window"""

    @staticmethod
    def forward(ctx, x, win, div):
        a = win.padded(x.array, 0)
        out = None
        for _, sh, sw in win.offsets():
            if out is None:
                out = a[:, :, sh, sw].copy()
            else:
                out += a[:, :, sh, sw]
        ctx.win, ctx.div = win, div
        return out / namespace(out).asarray(div)

    @staticmethod
    def backward(ctx, dy):
        return AvgPool2dT.apply(dy, ctx.win, ctx.div)


class AvgPool2dT(Function):
    """dx = dy / divisor added to every input position of each window;  d(dy) = AvgPool2d(g)"""

    @staticmethod
    def forward(ctx, dy, win, div):
        g = dy.array / namespace(dy.array).asarray(div)
        out = namespace(g).zeros(win.padded_shape(g.shape[:2] + win.in_hw), dtype=g.dtype)
        for _, sh, sw in win.offsets():
            out[:, :, sh, sw] += g
        ctx.win, ctx.div = win, div
        return win.cropped(out)

    @staticmethod
    def backward(ctx, g):
        return AvgPool2d.apply(g, ctx.win, ctx.div)


def _avg_pool(op, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd):
    x4, batched, pair, k, s = _pool_setup(op, x, kernel_size, stride, nd)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    win = _Window(op, x4.shape[2:], k, s, pair(padding, "padding", 0), (1, 1), ceil_mode)
    y = AvgPool2d.apply(x4, win, _divisor(win, count_include_pad, divisor_override, x.dtype))
    if nd == 1:
        y = y.squeeze(2)
    return y if batched else y.squeeze(0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling (zero padding; ``count_include_pad`` counts it in the divisor).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out), sizes as in ``max_pool2d``.
    """
    return _avg_pool("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling. Shape: (N, C, L) or (C, L) -> (N, C, L_out)."""
    return _avg_pool("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


# ---- adaptive average pooling -----------------------------------------------------------------
def _bins(size, out, dtype):
    """The (out, size) matrix averaging bin i = [floor(i·size/out), ceil((i+1)·size/out))."""
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        lo, hi = (i * size) // out, -(-((i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (None keeps that input size): y = Bh · x · Bwᵀ with
    averaging matrices, so the backward is the transposed products.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, oH, oW).
    """
    _check_input("adaptive_avg_pool2d", input, 2)
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    oh, ow = tuple(output_size)
    h, w = input.shape[-2:]
    oh, ow = h if oh is None else int(oh), w if ow is None else int(ow)
    if oh < 1 or ow < 1 or h < 1 or w < 1:
        raise RuntimeError(f"adaptive_avg_pool2d: output size {(oh, ow)} and input spatial size {(h, w)} must "
                           f"be positive (input shape {tuple(input.shape)})")
    xp = namespace(input.array)
    if (oh, ow) == (h, w):
        return input * 1
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    bh = Tensor(xp.asarray(_bins(h, oh, input.dtype)))
    bwt = Tensor(xp.asarray(_bins(w, ow, input.dtype).T.copy()))
    return bh @ input @ bwt


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length. Shape: (N, C, L) or (C, L) -> (N, C, output_size)."""
    _check_input("adaptive_avg_pool1d", input, 1)
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


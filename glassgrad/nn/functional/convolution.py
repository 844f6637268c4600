"""Convolutions (NCHW): strided im2col + GEMM (batched per sample when the columns are short, one
GEMM over the batch otherwise), and col2im by kernel-offset slice-adds.

A 2-d convolution is the bilinear form B(x, w, dy) = <conv(x, w), dy>. Its three partial
derivatives are three ops, each the backward of the others, so gradients of any order work:

* ``Conv2d``        y  = conv(x, w) (+ b)        dx = ConvData(dy, w),  dw = ConvWeight(x, dy)
* ``ConvData``      dx = convᵀ(dy, w)             (this is also ``conv_transpose2d``)
* ``ConvWeight``    dw = x ⋆ dy                   (correlation of the input with the output grad)

Arrays keep their dtype (float32 stays float32). Padding may be asymmetric (``padding='same'``
with an even kernel pads the extra row/column at the bottom/right, like PyTorch).

The same three ops do 3-d convolutions (NCDHW): the array functions below dispatch 5-d arrays to
``_nd_*``, a plain per-sample im2col (one strided view, one batched GEMM) and col2im by
kernel-offset slice-adds, so ``conv3d``, ``conv_transpose3d`` and their gradients of any order
share the ops and the chain rules of the 2-d case.
"""
import math

import numpy as np

from ...autograd.function import Function
from ...backend import namespace
from ...parallel import for_batch

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


# ---- argument helpers --------------------------------------------------------------------------
def ntuple(value, n, name, op):
    """``value`` (int or sequence of n ints) as a tuple of n ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value}")
    return value


def _check_float(op, *tensors):
    dtypes = {t.dtype for t in tensors if t is not None}
    if len(dtypes) > 1:
        names = ", ".join(str(t.dtype) for t in tensors if t is not None)
        raise RuntimeError(f"{op}: input, weight and bias must have the same dtype, got {names}; "
                           "convert them first (e.g. x.float() or model.double())")
    if dtypes and dtypes.pop().kind != "f":
        raise RuntimeError(f"{op}: expected floating point tensors, got {tensors[0].dtype}; use x.float()")


class _Geometry:
    """stride (sh, sw), pads (top, bottom, left, right), dilation (dh, dw), groups."""

    __slots__ = ("stride", "pads", "dilation", "groups")

    def __init__(self, stride, pads, dilation, groups):
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups


# Two layouts of the im2col columns. With few columns per output (K = C/G·kh·kw, e.g. a first layer
# on a grey image) the GEMMs are memory-bound and "per sample" wins: (N, G, K, oh·ow) from the NCHW
# input, one batched GEMM whose result is already NCHW. Otherwise "channels last": (G, N·oh·ow, K)
# with K ordered (kh, kw, C/G) from an NHWC copy of the input, one large GEMM per group; its
# im2col copies runs of C/G contiguous channels, and col2im adds whole rows (ow·C/G floats).
#
# Either way the batch is worked through in blocks of samples whose columns take about BLOCK_BYTES:
# each block's columns are built, multiplied and dropped while they are still in the cache (the
# whole batch's columns, 14 MB for W_CNN's second layer, would be read back from memory), and the
# blocks are spread over glassgrad's threads. The backward builds the columns again from the
# padded input that the forward kept (``conv_source``).
PER_SAMPLE_MAX_K = 32
BLOCK_BYTES = 1 << 20


def _per_sample_layout(k):
    return k <= PER_SAMPLE_MAX_K


def _pad(a, pads):
    t, b, l, r = pads
    if not (t or b or l or r):
        return a
    xp = namespace(a)
    out = xp.zeros(a.shape[:2] + (a.shape[2] + t + b, a.shape[3] + l + r), dtype=a.dtype)
    out[:, :, t:t + a.shape[2], l:l + a.shape[3]] = a
    return out


def conv_source(x, g, w_shape):
    """The input padded, in the layout its columns are read from: NCHW for the per-sample layout,
    (N, H+pads, W+pads, C) for channels last (NCDHW, padded, for 3-d)."""
    if x.ndim == 5:
        return _nd_pad(x, g.pads)
    if _per_sample_layout(w_shape[1] * w_shape[2] * w_shape[3]):
        return _pad(x, g.pads)
    xp = namespace(x)
    (t, b, l, r), (n, c, h, w) = g.pads, x.shape
    xn = xp.zeros((n, h + t + b, w + l + r, c), dtype=x.dtype)
    for_batch(x, lambda lo, hi: xp.copyto(xn[lo:hi, t:t + h, l:l + w], x[lo:hi].transpose(0, 2, 3, 1)),
              nbytes=2 * x.nbytes)
    return xn


def _block_columns(src, w_shape, out_hw, g):
    """im2col of a block of samples of ``conv_source``'s array: one copy of its strided windows,
    (b, G, K, oh·ow) per sample or (G, b·oh·ow, K) channels last."""
    xp = namespace(src)
    o, cg, kh, kw = w_shape
    (oh, ow), (sh, sw), (dh, dw) = out_hw, g.stride, g.dilation
    strided = xp.lib.stride_tricks.as_strided
    if _per_sample_layout(cg * kh * kw):
        s_n, s_c, s_h, s_w = src.strides
        v = strided(src, (src.shape[0], g.groups, cg, kh, kw, oh, ow),
                    (s_n, s_c * cg, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw), writeable=False)
        return v.reshape(src.shape[0], g.groups, cg * kh * kw, oh * ow)
    s_n, s_h, s_w, s_c = src.strides
    v = strided(src, (g.groups, src.shape[0], oh, ow, kh, kw, cg),
                (s_c * cg, s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)
    return v.reshape(g.groups, -1, kh * kw * cg)


def _for_blocks(a, w_shape, out_hw, fn):
    """``fn(lo, hi)`` over blocks of the batch of ``a`` whose columns take about BLOCK_BYTES, the
    blocks spread over the threads."""
    o, cg, kh, kw = w_shape
    rows = out_hw[0] * out_hw[1]
    per = max(1, BLOCK_BYTES // (rows * cg * kh * kw * a.itemsize))

    def run(lo, hi):
        for s in range(lo, hi, per):
            fn(s, min(s + per, hi))
    for_batch(a, run, flops=2 * a.shape[0] * rows * o * cg * kh * kw, grain=per)


def _channels_last(a, groups):
    """(b, O, oh, ow) -> (G, b·oh·ow, O/G): one transposing copy."""
    n, o, oh, ow = a.shape
    out = namespace(a).empty((groups, n, oh, ow, o // groups), dtype=a.dtype)
    namespace(a).copyto(out, a.reshape(n, groups, o // groups, oh, ow).transpose(1, 0, 3, 4, 2))
    return out.reshape(groups, n * oh * ow, o // groups)


def conv_forward_array(x, w, g, out_hw, src=None, bias=None):
    """y = conv(x, w) (+ bias): (N, C, H, W), (O, C/G, kh, kw), (O,) -> (N, O, oh, ow). ``src``:
    ``conv_source`` of x if already made."""
    if x.ndim == 5:
        return _nd_forward(x, w, g, out_hw, src, bias)
    xp = namespace(x)
    n, (o, cg, kh, kw) = x.shape[0], w.shape
    (oh, ow), og = out_hw, o // g.groups
    if src is None:
        src = conv_source(x, g, w.shape)
    y = xp.empty((n, o, oh, ow), dtype=x.dtype)
    if _per_sample_layout(cg * kh * kw):
        wg = w.reshape(g.groups, og, -1)

        def block(lo, hi):                                                      # (b, G, Og, L) is NCHW
            xp.matmul(wg, _block_columns(src[lo:hi], w.shape, out_hw, g), out=y[lo:hi].reshape(hi - lo, g.groups, og, -1))
            if bias is not None:
                y[lo:hi] += bias.reshape(1, o, 1, 1)
    else:
        wcl = _weight_channels_last(w, g.groups)

        def block(lo, hi):
            cols = _block_columns(src[lo:hi], w.shape, out_hw, g)
            for gi in range(g.groups):
                yg = xp.matmul(cols[gi], wcl[gi])
                if bias is not None:
                    yg += bias[gi * og:(gi + 1) * og]
                xp.copyto(y[lo:hi, gi * og:(gi + 1) * og], yg.reshape(hi - lo, oh, ow, og).transpose(0, 3, 1, 2))
    _for_blocks(x, w.shape, out_hw, block)
    return y


def _weight_channels_last(w, groups):
    """(O, C/G, kh, kw) -> (G, K, O/G) with K ordered (kh, kw, C/G), matching the columns."""
    o, cg, kh, kw = w.shape
    return w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * cg, o // groups)


def conv_grads_array(dy, g, w_shape, in_hw, w=None, src=None, bias=False):
    """(dx, dw, db) of y = conv(x, w) + b from dy: dx = convᵀ(dy, w) when ``w`` is given, dw = dy ⋆ x
    when ``src`` (``conv_source`` of x) is given, db = Σ dy when ``bias``, else None. One pass over
    blocks of the batch: dy is put in the columns' layout once for all three. col2im adds each kernel offset's columns into a padded
    buffer (the GEMM is batched over kernel offsets so that each offset's columns are contiguous)."""
    if dy.ndim == 5:
        return _nd_grads(dy, g, w_shape, in_hw, w, src, bias)
    xp = namespace(dy)
    n, o, oh, ow = dy.shape
    _, cg, kh, kw = w_shape
    c, og, (h, wd) = g.groups * cg, o // g.groups, in_hw
    (sh, sw), (dh, dw), (t, b, l, r) = g.stride, g.dilation, g.pads
    offsets = [(i * kw + j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
               for i in range(kh) for j in range(kw)]
    per_sample = _per_sample_layout(cg * kh * kw)
    dx = None if w is None else xp.empty((n, c, h, wd), dtype=dy.dtype)
    if w is not None and per_sample:
        wg = w.reshape(g.groups, og, -1).swapaxes(1, 2)                         # (G, K, Og)
    elif w is not None:
        wk = xp.ascontiguousarray(w.reshape(g.groups, og, cg, kh * kw).transpose(3, 0, 1, 2))  # (kh·kw, G, Og, Cg)
    partial, partial_db = {}, {}

    def block(lo, hi):
        m = hi - lo
        if per_sample:
            dys = dy[lo:hi].reshape(m, g.groups, og, -1)                        # (b, G, Og, L)
            if bias:
                partial_db[lo] = dys.sum(axis=(0, 3)).reshape(-1)
            if src is not None:
                cols = _block_columns(src[lo:hi], w_shape, (oh, ow), g)         # (b, G, K, L)
                partial[lo] = xp.matmul(dys, cols.swapaxes(-1, -2)).sum(axis=0)
            if w is not None:
                dcols = xp.matmul(wg, dys).reshape(m, c, kh * kw, oh, ow)
                dxp = xp.zeros((m, c, h + t + b, wd + l + r), dtype=dy.dtype)
                for k, si, sj in offsets:
                    dxp[:, :, si, sj] += dcols[:, :, k]
                xp.copyto(dx[lo:hi], dxp[:, :, t:t + h, l:l + wd])
            return
        dyn = _channels_last(dy[lo:hi], g.groups)                               # (G, b·L, Og)
        if bias:
            partial_db[lo] = dyn.sum(axis=1).reshape(-1)
        if src is not None:
            cols = _block_columns(src[lo:hi], w_shape, (oh, ow), g)             # (G, b·L, K)
            partial[lo] = xp.matmul(cols.swapaxes(-1, -2), dyn)                 # (G, K, Og)
        if w is not None:
            dcols = xp.empty((kh * kw, g.groups, m * oh * ow, cg), dtype=dy.dtype)
            for gi in range(g.groups):
                xp.matmul(dyn[gi], wk[:, gi], out=dcols[:, gi])
            dcols = dcols.reshape(kh * kw, g.groups, m, oh, ow, cg).transpose(0, 2, 3, 4, 1, 5)
            dxp = xp.zeros((m, h + t + b, wd + l + r, g.groups, cg), dtype=dy.dtype)  # padded NHWC
            for k, si, sj in offsets:
                dxp[:, si, sj] += dcols[k]
            xp.copyto(dx[lo:hi].reshape(m, g.groups, cg, h, wd), dxp[:, t:t + h, l:l + wd].transpose(0, 3, 4, 1, 2))
    _for_blocks(dy, w_shape, (oh, ow), block)
    db = sum(partial_db[lo] for lo in sorted(partial_db)) if bias else None
    if src is None:
        return dx, None, db
    dw = sum(partial[lo] for lo in sorted(partial))
    if per_sample:
        return dx, dw.reshape(w_shape), db
    return dx, dw.reshape(g.groups, kh, kw, cg, og).transpose(0, 4, 3, 1, 2).reshape(w_shape), db


def conv_data_array(dy, w, g, in_hw):
    """dx = convᵀ(dy, w): (N, O, oh, ow), (O, C/G, kh, kw) -> (N, C, H, W)."""
    return conv_grads_array(dy, g, w.shape, in_hw, w=w)[0]


def conv_weight_array(x, dy, g, w_shape):
    """dw = Σ_n dy_n · columns(x_n)ᵀ: (O, C/G, kh, kw)."""
    return conv_grads_array(dy, g, w_shape, x.shape[2:], src=conv_source(x, g, w_shape))[1]


# ---- 3-d arrays: per-sample im2col ---------------------------------------------------------------
def _nd_pad(a, pads):
    """``a`` zero-padded by (lo, hi) pairs for each spatial dim."""
    if not any(pads):
        return a
    xp = namespace(a)
    spatial = a.shape[2:]
    out = xp.zeros(a.shape[:2] + tuple(n + pads[2 * i] + pads[2 * i + 1] for i, n in enumerate(spatial)), dtype=a.dtype)
    out[(slice(None), slice(None)) + tuple(slice(pads[2 * i], pads[2 * i] + n) for i, n in enumerate(spatial))] = a
    return out


def _nd_columns(src, w_shape, out, g):
    """(N, G, K, L) im2col view of the padded input, K = C/G · prod(kernel), L = prod(out)."""
    xp = namespace(src)
    cg, kernel = w_shape[1], tuple(w_shape[2:])
    st = src.strides
    nd = len(kernel)
    shape = (src.shape[0], g.groups, cg) + kernel + tuple(out)
    strides = ((st[0], st[1] * cg, st[1]) + tuple(st[2 + i] * g.dilation[i] for i in range(nd))
               + tuple(st[2 + i] * g.stride[i] for i in range(nd)))
    v = xp.lib.stride_tricks.as_strided(src, shape, strides, writeable=False)
    return v.reshape(src.shape[0], g.groups, cg * math.prod(kernel), math.prod(out))


def _nd_forward(x, w, g, out, src=None, bias=None):
    """y = conv(x, w) (+ bias) for NCDHW arrays: one batched GEMM over the columns."""
    xp = namespace(x)
    if src is None:
        src = _nd_pad(x, g.pads)
    o = w.shape[0]
    wg = w.reshape(g.groups, o // g.groups, -1)
    y = xp.matmul(wg, _nd_columns(src, w.shape, out, g)).reshape((x.shape[0], o) + tuple(out))
    if bias is not None:
        y += bias.reshape((1, o) + (1,) * len(out))
    return y


def _nd_grads(dy, g, w_shape, in_size, w=None, src=None, bias=False):
    """(dx, dw, db) of the 3-d convolution (see ``conv_grads_array``)."""
    xp = namespace(dy)
    n, o = dy.shape[:2]
    out = dy.shape[2:]
    cg, kernel, og = w_shape[1], tuple(w_shape[2:]), o // g.groups
    dys = dy.reshape(n, g.groups, og, -1)                                      # (N, G, Og, L)
    db = dys.sum(axis=(0, 3)).reshape(-1) if bias else None
    dw = None
    if src is not None:
        cols = _nd_columns(src, w_shape, out, g)
        dw = xp.matmul(dys, cols.swapaxes(-1, -2)).sum(axis=0).reshape(w_shape)
    dx = None
    if w is not None:
        wg = w.reshape(g.groups, og, -1).swapaxes(1, 2)                        # (G, K, Og)
        dcols = xp.matmul(wg, dys).reshape((n, g.groups * cg) + kernel + tuple(out))
        padded = tuple(size + g.pads[2 * i] + g.pads[2 * i + 1] for i, size in enumerate(in_size))
        dxp = xp.zeros((n, g.groups * cg) + padded, dtype=dy.dtype)
        for offset in np.ndindex(*kernel):
            key = tuple(slice(k * d, k * d + s * (m - 1) + 1, s)
                        for k, d, s, m in zip(offset, g.dilation, g.stride, out))
            dxp[(slice(None), slice(None)) + key] += dcols[(slice(None), slice(None)) + offset]
        dx = xp.ascontiguousarray(dxp[(slice(None), slice(None)) + tuple(
            slice(g.pads[2 * i], g.pads[2 * i] + size) for i, size in enumerate(in_size))])
    return dx, dw, db


# ---- the three ops -----------------------------------------------------------------------------
def _bias_grad(dy):
    return dy.sum(dim=(0,) + tuple(range(2, dy.ndim)))


class Conv2d(Function):
    """y[n,o,i,j] = Σ_{c,a,b} xpad[n, c, i·s+a·d, j·s+b·d] · w[o,c,a,b] + b[o];
    dx = ConvData(dy, w),  dw = ConvWeight(x, dy),  db = Σ_{n,i,j} dy"""

    @staticmethod
    def forward(ctx, x, w, bias, geometry, out_hw):
        src = conv_source(x.array, geometry, w.shape)
        y = conv_forward_array(x.array, w.array, geometry, out_hw, src, None if bias is None else bias.array)
        ctx.geometry = geometry
        ctx.in_hw = x.array.shape[2:]
        # the padded input, that dw builds its columns from, is kept (backward frees it)
        ctx.save_for_backward(x, w, src if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w, _ = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = ConvData.apply(dy, w, ctx.geometry, ctx.in_hw) if need[0] else None
        dw = ConvWeight.apply(x, dy, ctx.geometry, w.shape) if need[1] else None
        db = _bias_grad(dy) if len(need) > 2 and need[2] else None
        return dx, dw, db

    @staticmethod
    def raw_backward(ctx, dy):
        x, w, src = ctx.saved_arrays
        need = ctx.needs_input_grad
        return conv_grads_array(dy, ctx.geometry, w.shape, ctx.in_hw, w if need[0] else None,
                                src if need[1] else None, len(need) > 2 and need[2])


class ConvData(Function):
    """dx = convᵀ(dy, w) (the gradient of conv in its input; also conv_transpose2d);
    d(dy) = conv(g, w),  dw = ConvWeight(g, dy)"""

    @staticmethod
    def forward(ctx, dy, w, geometry, in_hw, bias=None):
        dx = conv_data_array(dy.array, w.array, geometry, in_hw)
        if bias is not None:
            dx += bias.array.reshape((1, -1) + (1,) * (dx.ndim - 2))
        ctx.geometry = geometry
        ctx.save_for_backward(dy, w)
        return dx

    @staticmethod
    def backward(ctx, g):
        dy, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        ddy = Conv2d.apply(g, w, None, ctx.geometry, dy.shape[2:]) if need[0] else None
        dw = ConvWeight.apply(g, dy, ctx.geometry, w.shape) if need[1] else None
        db = _bias_grad(g) if len(need) > 4 and need[4] else None
        return ddy, dw, None, None, db


class ConvWeight(Function):
    """dw = Σ_{n,i,j} dy[n,o,i,j] · xpad[n, c, i·s+a·d, j·s+b·d] (the gradient of conv in its weight);
    dx = ConvData(dy, g),  d(dy) = conv(x, g)"""

    @staticmethod
    def forward(ctx, x, dy, geometry, w_shape):
        ctx.geometry = geometry
        ctx.save_for_backward(x, dy)
        return conv_weight_array(x.array, dy.array, geometry, tuple(w_shape))

    @staticmethod
    def backward(ctx, g):
        x, dy = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = ConvData.apply(dy, g, ctx.geometry, x.shape[2:]) if need[0] else None
        ddy = Conv2d.apply(x, g, None, ctx.geometry, dy.shape[2:]) if need[1] else None
        return dx, ddy, None, None


# ---- public functions --------------------------------------------------------------------------
def _shape_error(op, x, w, nd, what):
    dims = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    raise RuntimeError(f"{op}: expected input with {nd + 2} dims {dims} and {what} channels, got shape "
                       f"{tuple(x.shape)} (weight of shape {tuple(w.shape)})")


def _conv_pads(op, padding, kernel, dilation, stride, nd):
    """(top, bottom, left, right) from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{op}: invalid padding string {padding!r}; expected 'valid' or 'same'")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride={stride if nd == 2 else stride[1:]}); use an explicit padding")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    p = ntuple(padding, nd, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError(f"{op}: negative padding {p} is not supported")
    p = (0,) + p if nd == 1 else p
    return (p[0], p[0], p[1], p[1])


def _conv_out(op, x_hw, k, g):
    out = []
    for size, kk, s, d, lo, hi in zip(x_hw, k, g.stride, g.dilation, g.pads[0::2], g.pads[1::2]):
        eff = d * (kk - 1) + 1
        if size + lo + hi < eff:
            raise RuntimeError(f"{op}: kernel size {tuple(k)} (dilated: {eff}) can't be greater than the "
                               f"padded input size {size + lo + hi} (input {tuple(x_hw)}, padding {g.pads}); "
                               "use a smaller kernel or more padding")
        out.append((size + lo + hi - eff) // s + 1)
    return tuple(out)


def _conv2d(op, x, weight, bias, stride, padding, dilation, groups, nd):
    """conv on 4-d tensors; ``op`` and ``nd`` name the public op for errors."""
    _check_float(op, x, weight, bias)
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: weight must have {nd + 2} dims (out_channels, in_channels/groups, "
                           f"{'kL' if nd == 1 else 'kH, kW'}), got shape {tuple(weight.shape)}")
    if x.ndim != 4 or x.shape[1] != weight.shape[1] * groups:
        _shape_error(op, x.reshape(x.shape[:2] + x.shape[3:]) if nd == 1 and x.ndim == 4 else x, weight, nd,
                     weight.shape[1] * groups)
    if weight.shape[0] % groups:
        raise RuntimeError(f"{op}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"{op}: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    st = (1,) + ntuple(stride, 1, "stride", op) if nd == 1 else ntuple(stride, 2, "stride", op)
    dl = (1,) + ntuple(dilation, 1, "dilation", op) if nd == 1 else ntuple(dilation, 2, "dilation", op)
    if min(st) < 1 or min(dl) < 1 or groups < 1:
        raise RuntimeError(f"{op}: stride, dilation and groups must be positive, got stride={st}, "
                           f"dilation={dl}, groups={groups}")
    g = _Geometry(st, _conv_pads(op, padding, weight.shape[2:], dl, st, nd), dl, groups)
    return Conv2d.apply(x, weight, bias, g, _conv_out(op, x.shape[2:], weight.shape[2:], g))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, like PyTorch) over an NCHW input.

    Args:
        padding: int, (pH, pW), 'valid' or 'same' (stride 1; an even kernel pads bottom/right more).
    Shape: input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) ->
        (N, C_out, H_out, W_out) with H_out = (H + 2·pH - dH·(kH-1) - 1) // sH + 1.
    """
    return _conv2d("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution over an (N, C, L) input (a 2-d convolution of height 1).

    Shape: input (N, C_in, L), weight (C_out, C_in/groups, k), bias (C_out,) -> (N, C_out, L_out).
    """
    if input.ndim != 3 or weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected input with 3 dims (N, C, L) and weight with 3 dims "
                           f"(out_channels, in_channels/groups, k), got shapes {tuple(input.shape)} and "
                           f"{tuple(weight.shape)}")
    y = _conv2d("conv1d", input.unsqueeze(2), weight.unsqueeze(2), bias, stride, padding, dilation, groups, 1)
    return y.squeeze(2)


def _conv_transpose2d(op, x, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    _check_float(op, x, weight, bias)
    n2 = 2
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: weight must have {nd + 2} dims (in_channels, out_channels/groups, "
                           f"kernel...), got shape {tuple(weight.shape)}")
    if x.ndim != 4 or x.shape[1] != weight.shape[0]:
        dims = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
        shape = tuple(x.shape[:2] + x.shape[3:]) if nd == 1 and x.ndim == 4 else tuple(x.shape)
        raise RuntimeError(f"{op}: expected input with {nd + 2} dims {dims} and {weight.shape[0]} channels, "
                           f"got shape {shape} (weight of shape {tuple(weight.shape)})")
    if weight.shape[0] % groups:
        raise RuntimeError(f"{op}: in_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    out_ch = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise RuntimeError(f"{op}: bias must have shape ({out_ch},), got {tuple(bias.shape)}")

    def pair(v, name, lead):
        return (lead,) + ntuple(v, 1, name, op) if nd == 1 else ntuple(v, n2, name, op)

    st, pd, op_, dl = pair(stride, "stride", 1), pair(padding, "padding", 0), \
        pair(output_padding, "output_padding", 0), pair(dilation, "dilation", 1)
    if min(st) < 1 or min(dl) < 1 or min(pd) < 0:
        raise RuntimeError(f"{op}: stride and dilation must be positive and padding non-negative")
    for o, s, d in zip(op_, st, dl):
        if not 0 <= o < max(s, d):
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, got "
                               f"output_padding={op_ if nd == 2 else op_[1:]}, stride={st if nd == 2 else st[1:]}, "
                               f"dilation={dl if nd == 2 else dl[1:]}")
    out_hw = []
    for size, k, s, d, p, o in zip(x.shape[2:], weight.shape[2:], st, dl, pd, op_):
        out = (size - 1) * s - 2 * p + d * (k - 1) + o + 1
        if out <= 0:
            raise RuntimeError(f"{op}: the output size would be {out} (input {tuple(x.shape)}, kernel "
                               f"{tuple(weight.shape[2:])}, padding {pd}); use less padding")
        out_hw.append(out)
    g = _Geometry(st, (pd[0], pd[0], pd[1], pd[1]), dl, groups)
    return ConvData.apply(x, weight, g, tuple(out_hw), bias)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution (the gradient of conv2d in its input), NCHW.

    Shape: input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), bias (C_out,) ->
        (N, C_out, H_out, W_out) with H_out = (H-1)·sH - 2·pH + dH·(kH-1) + output_padding + 1.
    """
    return _conv_transpose2d("conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                             groups, dilation, 2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution. Shape: (N, C_in, L) with weight (C_in, C_out/groups, k) ->
    (N, C_out, L_out)."""
    if input.ndim != 3 or weight.ndim != 3:
        raise RuntimeError(f"conv_transpose1d: expected input with 3 dims (N, C, L) and weight with 3 dims, "
                           f"got shapes {tuple(input.shape)} and {tuple(weight.shape)}")
    y = _conv_transpose2d("conv_transpose1d", input.unsqueeze(2), weight.unsqueeze(2), bias, stride, padding,
                          output_padding, groups, dilation, 1)
    return y.squeeze(2)



def _triple(value, name, op):
    return ntuple(value, 3, name, op)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution (cross-correlation, like PyTorch) over an NCDHW input; the same three ops
    as ``conv2d``, so gradients of any order work.

    Args:
        padding: int, (pD, pH, pW), 'valid' or 'same' (stride 1; an even kernel pads the far side more).
    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W), weight (C_out, C_in/groups, kD, kH, kW), bias
        (C_out,) -> (N, C_out, D_out, H_out, W_out) with D_out = (D + 2·pD - dD·(kD-1) - 1) // sD + 1.
    """
    op = "conv3d"
    x = input
    if weight.ndim != 5:
        raise RuntimeError(f"{op}: weight must have 5 dims (out_channels, in_channels/groups, kD, kH, kW), got "
                           f"shape {tuple(weight.shape)}")
    batched = x.ndim == 5
    if x.ndim == 4:
        x = x.unsqueeze(0)
    if x.ndim != 5 or x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"{op}: expected input with 5 dims (N, C, D, H, W) (or 4 unbatched) and "
                           f"{weight.shape[1] * groups} channels, got shape {tuple(input.shape)} (weight of shape "
                           f"{tuple(weight.shape)}, groups={groups})")
    _check_float(op, x, weight, bias)
    if groups < 1 or weight.shape[0] % groups:
        raise RuntimeError(f"{op}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"{op}: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    st, dl = _triple(stride, "stride", op), _triple(dilation, "dilation", op)
    if min(st) < 1 or min(dl) < 1:
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={st}, dilation={dl}")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{op}: invalid padding string {padding!r}; expected 'valid' or 'same'")
        if padding == "same" and any(s != 1 for s in st):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions (stride={st}); use an "
                             "explicit padding")
        pads = []
        for k, d in zip(weight.shape[2:], dl):
            total = d * (k - 1) if padding == "same" else 0
            pads += [total // 2, total - total // 2]
        pads = tuple(pads)
    else:
        p = _triple(padding, "padding", op)
        if min(p) < 0:
            raise RuntimeError(f"{op}: negative padding {p} is not supported")
        pads = (p[0], p[0], p[1], p[1], p[2], p[2])
    g = _Geometry(st, pads, dl, groups)
    y = Conv2d.apply(x, weight, bias, g, _conv_out(op, x.shape[2:], weight.shape[2:], g))
    return y if batched else y.squeeze(0)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution (the gradient of conv3d in its input), NCDHW.

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W), weight (C_in, C_out/groups, kD, kH, kW), bias
        (C_out,) -> (N, C_out, D_out, H_out, W_out), D_out = (D-1)·sD - 2·pD + dD·(kD-1) + output_padding + 1.
    """
    op = "conv_transpose3d"
    x = input
    batched = x.ndim == 5
    if x.ndim == 4:
        x = x.unsqueeze(0)
    if weight.ndim != 5 or x.ndim != 5 or x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"{op}: expected input with 5 dims (N, C, D, H, W) (or 4 unbatched) and weight with 5 "
                           f"dims (in_channels, out_channels/groups, kD, kH, kW), the input's channels equal to "
                           f"in_channels; got shapes {tuple(input.shape)} and {tuple(weight.shape)}")
    _check_float(op, x, weight, bias)
    if groups < 1 or weight.shape[0] % groups:
        raise RuntimeError(f"{op}: in_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if bias is not None and tuple(bias.shape) != (weight.shape[1] * groups,):
        raise RuntimeError(f"{op}: bias must have shape ({weight.shape[1] * groups},), got {tuple(bias.shape)}")
    st, pd = _triple(stride, "stride", op), _triple(padding, "padding", op)
    op_, dl = _triple(output_padding, "output_padding", op), _triple(dilation, "dilation", op)
    if min(st) < 1 or min(dl) < 1 or min(pd) < 0:
        raise RuntimeError(f"{op}: stride and dilation must be positive and padding non-negative")
    for o, s, d in zip(op_, st, dl):
        if not 0 <= o < max(s, d):
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or dilation, got "
                               f"output_padding={op_}, stride={st}, dilation={dl}")
    out = []
    for size, k, s, d, p, o in zip(x.shape[2:], weight.shape[2:], st, dl, pd, op_):
        n = (size - 1) * s - 2 * p + d * (k - 1) + o + 1
        if n <= 0:
            raise RuntimeError(f"{op}: the output size would be {n} (input {tuple(x.shape)}, kernel "
                               f"{tuple(weight.shape[2:])}, padding {pd}); use less padding")
        out.append(n)
    g = _Geometry(st, (pd[0], pd[0], pd[1], pd[1], pd[2], pd[2]), dl, groups)
    y = ConvData.apply(x, weight, g, tuple(out), bias)
    return y if batched else y.squeeze(0)

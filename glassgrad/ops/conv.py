"""Convolutions (NCHW): strided im2col + GEMM (batched per sample when the columns are short, one
GEMM over the batch otherwise), and col2im by kernel-offset slice-adds.

A 2-d convolution is the bilinear form B(x, w, dy) = <conv(x, w), dy>. Its three partial
derivatives are three ops, each the backward of the others, so gradients of any order work:

* ``Conv2d``        y  = conv(x, w) (+ b)        dx = ConvData(dy, w),  dw = ConvWeight(x, dy)
* ``ConvData``      dx = convᵀ(dy, w)             (this is also ``conv_transpose2d``)
* ``ConvWeight``    dw = x ⋆ dy                   (correlation of the input with the output grad)

Arrays keep their dtype (float32 stays float32). Padding may be asymmetric (``padding='same'``
with an even kernel pads the extra row/column at the bottom/right, like PyTorch).
"""
import numpy as np

from .. import parallel
from ..autograd.function import Function
from ..backend import namespace
from ..parallel import for_batch

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


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
    dtypes = {t.array.dtype for t in tensors if t is not None}
    if len(dtypes) > 1:
        names = ", ".join(str(t.array.dtype) for t in tensors if t is not None)
        raise RuntimeError(f"{op}: input, weight and bias must have the same dtype, got {names}; "
                           "convert them first (e.g. x.float() or model.double())")
    if dtypes and dtypes.pop().kind != "f":
        raise RuntimeError(f"{op}: expected floating point tensors, got {tensors[0].array.dtype}; use x.float()")


class _Geometry:
    """stride (sh, sw), pads (top, bottom, left, right), dilation (dh, dw), groups."""

    __slots__ = ("stride", "pads", "dilation", "groups")

    def __init__(self, stride, pads, dilation, groups):
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups


def _windows(xp_, kh, kw, oh, ow, g):
    """Strided view (N, G, Cg, kh, kw, oh, ow) of the padded input: no copy."""
    n, c, _, _ = xp_.shape
    sn, sc, sh_, sw_ = xp_.strides
    (sh, sw), (dh, dw) = g.stride, g.dilation
    xp = namespace(xp_)
    return xp.lib.stride_tricks.as_strided(
        xp_, (n, g.groups, c // g.groups, kh, kw, oh, ow),
        (sn, sc * (c // g.groups), sc, sh_ * dh, sw_ * dw, sh_ * sh, sw_ * sw), writeable=False)


def _pad(a, pads):
    t, b, l, r = pads
    if not (t or b or l or r):
        return a
    xp = namespace(a)
    out = xp.zeros(a.shape[:2] + (a.shape[2] + t + b, a.shape[3] + l + r), dtype=a.dtype)
    out[:, :, t:t + a.shape[2], l:l + a.shape[3]] = a
    return out


# Two layouts of the im2col columns. With few columns per output (K = C/G·kh·kw, e.g. a first layer
# on a grey image) the GEMMs are memory-bound and "per sample" wins: (N, G, K, oh·ow), one batched
# GEMM whose result is already NCHW (no transposing copy of y, dy or dx). Otherwise "channels last":
# (G, N·oh·ow, K) with K ordered (kh, kw, C/G), one large GEMM over the whole batch. Its im2col copies
# runs of C/G contiguous channels (NCHW windows give runs of only ow), and col2im adds whole rows
# (ow·C/G contiguous floats) per kernel offset; x, y, dy and dx change layout in one cheap copy each.
PER_SAMPLE_MAX_K = 32


def _per_sample_layout(k):
    return k <= PER_SAMPLE_MAX_K


def _columns(x, kernel, out_hw, g):
    """im2col, one copy of the strided windows, in the layout ``_per_sample_layout`` picks:
    (N, G, K, oh·ow) with K ordered (C/G, kh, kw), or (G, N·oh·ow, K) with K ordered (kh, kw, C/G)."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = kernel, out_hw
    cg = c // g.groups
    xp = namespace(x)
    if _per_sample_layout(cg * kh * kw):
        v = _windows(_pad(x, g.pads), kh, kw, oh, ow, g)                         # (N, G, Cg, kh, kw, oh, ow)
        cols = xp.empty((n, g.groups, cg * kh * kw, oh * ow), dtype=x.dtype)
        dst = cols.reshape(v.shape)
    else:
        (sh, sw), (dh, dw), (t, b, l, r) = g.stride, g.dilation, g.pads
        h, w = x.shape[2:]
        xn = xp.zeros((n, h + t + b, w + l + r, c), dtype=x.dtype)              # padded NHWC
        for_batch(x, lambda lo, hi: xp.copyto(xn[lo:hi, t:t + h, l:l + w], x[lo:hi].transpose(0, 2, 3, 1)),
                  nbytes=2 * x.nbytes)
        s_n, s_h, s_w, s_c = xn.strides
        v = xp.lib.stride_tricks.as_strided(xn, (n, g.groups, oh, ow, kh, kw, cg),
                                            (s_n, s_c * cg, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)
        cols = xp.empty((g.groups, n * oh * ow, kh * kw * cg), dtype=x.dtype)
        dst = cols.reshape(g.groups, n, oh, ow, kh, kw, cg).swapaxes(0, 1)
    for_batch(x, lambda lo, hi: xp.copyto(dst[lo:hi], v[lo:hi]), nbytes=2 * cols.nbytes)
    return cols


def _per_sample(a, groups):
    """(N, O, oh, ow) -> (N, G, O/G, oh·ow): a view, no copy."""
    n, o = a.shape[:2]
    return a.reshape(n, groups, o // groups, -1)


def _channels_last(a, groups):
    """(N, O, oh, ow) -> (G, N·oh·ow, O/G): one transposing copy."""
    n, o, oh, ow = a.shape
    out = namespace(a).empty((groups, n, oh, ow, o // groups), dtype=a.dtype)
    src = a.reshape(n, groups, o // groups, oh, ow).transpose(0, 1, 3, 4, 2)
    for_batch(a, lambda lo, hi: namespace(a).copyto(out[:, lo:hi], src[lo:hi].swapaxes(0, 1)), nbytes=2 * a.nbytes)
    return out.reshape(groups, n * oh * ow, o // groups)


def _from_channels_last(a, n, hw):
    """(G, N·h·w, C/G) -> (N, C, h, w): one transposing copy."""
    groups, _, cg = a.shape
    out = namespace(a).empty((n, groups, cg) + tuple(hw), dtype=a.dtype)
    src = a.reshape((groups, n) + tuple(hw) + (cg,)).transpose(1, 0, 4, 2, 3)
    for_batch(out, lambda lo, hi: namespace(a).copyto(out[lo:hi], src[lo:hi]), nbytes=2 * a.nbytes)
    return out.reshape((n, groups * cg) + tuple(hw))


def _weight_channels_last(w, groups):
    """(O, C/G, kh, kw) -> (G, K, O/G) with K ordered (kh, kw, C/G), matching the columns."""
    o, cg, kh, kw = w.shape
    return w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * cg, o // groups)


def _gemm(xp, a, b, out=None):
    """a @ b with a 2-D: split over the rows of a on the CPU."""
    return parallel.matmul(a, b, out) if xp is np else xp.matmul(a, b, out=out)


def conv_forward_array(x, w, g, out_hw, cols=None):
    """y = conv(x, w): (N, C, H, W), (O, C/G, kh, kw) -> (N, O, oh, ow). ``cols``: the columns of
    ``x`` if already built."""
    xp = namespace(x)
    n, (o, cg, kh, kw) = x.shape[0], w.shape
    if cols is None:
        cols = _columns(x, (kh, kw), out_hw, g)
    if _per_sample_layout(cg * kh * kw):                                        # (N, G, Og, L) is NCHW
        y = xp.empty((n, g.groups, o // g.groups, cols.shape[-1]), dtype=x.dtype)
        wg = w.reshape(g.groups, o // g.groups, -1)
        for_batch(x, lambda lo, hi: xp.matmul(wg, cols[lo:hi], out=y[lo:hi]), flops=2 * y.size * cols.shape[2])
        return y.reshape((n, o) + tuple(out_hw))
    wcl = _weight_channels_last(w, g.groups)
    y = xp.empty(cols.shape[:2] + (o // g.groups,), dtype=x.dtype)
    for gi in range(g.groups):
        _gemm(xp, cols[gi], wcl[gi], y[gi])
    return _from_channels_last(y, n, out_hw)


def conv_weight_array(x, dy, g, w_shape, cols=None):
    """dw = Σ_n dy_n · columns(x_n)ᵀ: (O, C/G, kh, kw). ``cols``: the columns of ``x`` if kept
    from the forward."""
    xp = namespace(dy)
    o, cg, kh, kw = w_shape
    if cols is None:
        cols = _columns(x, (kh, kw), dy.shape[2:], g)
    if _per_sample_layout(cg * kh * kw):
        dy_s, partial = _per_sample(dy, g.groups), {}

        def part(lo, hi):
            partial[lo] = xp.matmul(dy_s[lo:hi], cols[lo:hi].swapaxes(-1, -2)).sum(axis=0)
        for_batch(dy, part, flops=2 * dy.size * cols.shape[2])
        return sum(partial[lo] for lo in sorted(partial)).reshape(w_shape)
    dyn = _channels_last(dy, g.groups)
    dw = xp.empty((g.groups, kh * kw * cg, o // g.groups), dtype=dy.dtype)      # (G, K, Og)
    for gi in range(g.groups):
        _gemm(xp, cols[gi].T, dyn[gi], dw[gi])
    return dw.reshape(g.groups, kh, kw, cg, o // g.groups).transpose(0, 4, 3, 1, 2).reshape(w_shape)


def conv_data_array(dy, w, g, in_hw):
    """dx = convᵀ(dy, w): GEMM to columns, then col2im by kh·kw strided slice-adds into a padded
    buffer, each add over whole rows of the output (the GEMM is batched over kernel offsets so
    that each offset's columns are contiguous)."""
    xp = namespace(dy)
    n, o, oh, ow = dy.shape
    _, cg, kh, kw = w.shape
    c = g.groups * cg
    (sh, sw), (dh, dw), (t, b, l, r), (h, wd) = g.stride, g.dilation, g.pads, in_hw
    offsets = [(i * kw + j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
               for i in range(kh) for j in range(kw)]
    if _per_sample_layout(cg * kh * kw):                                        # (N, C, kh·kw, oh, ow)
        wg = w.reshape(g.groups, o // g.groups, cg * kh * kw).swapaxes(1, 2)    # (G, K, Og)
        dy_s = _per_sample(dy, g.groups)
        dxp = xp.zeros((n, c, h + t + b, wd + l + r), dtype=dy.dtype)

        def col2im(lo, hi):
            cols = xp.matmul(wg, dy_s[lo:hi]).reshape(hi - lo, c, kh * kw, oh, ow)
            for k, si, sj in offsets:
                dxp[lo:hi, :, si, sj] += cols[:, :, k]
        for_batch(dy, col2im, flops=2 * dy.size * wg.shape[1])
        dx = dxp[:, :, t:t + h, l:l + wd]
        return dx.copy() if dx.shape != dxp.shape else dxp
    # one (G, N·oh·ow, C/G) block of columns per kernel offset: (kh·kw, G, N·oh·ow, C/G)
    wk = xp.ascontiguousarray(w.reshape(g.groups, o // g.groups, cg, kh * kw).transpose(3, 0, 1, 2))  # (kh·kw, G, Og, Cg)
    dyn = _channels_last(dy, g.groups)
    cols = xp.empty((kh * kw, g.groups, n * oh * ow, cg), dtype=dy.dtype)
    for gi in range(g.groups):
        _gemm(xp, dyn[gi], wk[:, gi], cols[:, gi])
    cols = cols.reshape(kh * kw, g.groups, n, oh, ow, cg).transpose(0, 2, 3, 4, 1, 5)
    dxp = xp.zeros((n, h + t + b, wd + l + r, g.groups, cg), dtype=dy.dtype)    # padded NHWC
    dx = xp.empty((n, g.groups, cg, h, wd), dtype=dy.dtype)

    def col2im(lo, hi):
        for k, si, sj in offsets:
            dxp[lo:hi, si, sj] += cols[k, lo:hi]
        xp.copyto(dx[lo:hi], dxp[lo:hi, t:t + h, l:l + wd].transpose(0, 3, 4, 1, 2))
    for_batch(dy, col2im, nbytes=2 * cols.nbytes)
    return dx.reshape(n, c, h, wd)


# ---- the three ops -----------------------------------------------------------------------------
def _bias_grad(dy):
    return dy.sum(dim=(0, 2, 3))


class Conv2d(Function):
    """y[n,o,i,j] = Σ_{c,a,b} xpad[n, c, i·s+a·d, j·s+b·d] · w[o,c,a,b] + b[o];
    dx = ConvData(dy, w),  dw = ConvWeight(x, dy),  db = Σ_{n,i,j} dy"""

    @staticmethod
    def forward(ctx, x, w, bias, geometry, out_hw):
        cols = _columns(x.array, w.shape[2:], out_hw, geometry)
        y = conv_forward_array(x.array, w.array, geometry, out_hw, cols)
        if bias is not None:
            y += bias.array.reshape(1, -1, 1, 1)
        ctx.geometry = geometry
        ctx.in_hw = x.array.shape[2:]
        # the columns are kept for dw (building them again costs a pass over them); backward frees them
        ctx.save_for_backward(x, w, cols if ctx.needs_input_grad[1] else None)
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
        x, w, cols = ctx.saved_arrays
        need = ctx.needs_input_grad
        dx = conv_data_array(dy, w, ctx.geometry, ctx.in_hw) if need[0] else None
        dw = conv_weight_array(x, dy, ctx.geometry, w.shape, cols) if need[1] else None
        db = dy.sum(axis=(0, 2, 3)) if len(need) > 2 and need[2] else None
        return dx, dw, db


class ConvData(Function):
    """dx = convᵀ(dy, w) (the gradient of conv in its input; also conv_transpose2d);
    d(dy) = conv(g, w),  dw = ConvWeight(g, dy)"""

    @staticmethod
    def forward(ctx, dy, w, geometry, in_hw, bias=None):
        dx = conv_data_array(dy.array, w.array, geometry, in_hw)
        if bias is not None:
            dx += bias.array.reshape(1, -1, 1, 1)
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


METHODS = {}

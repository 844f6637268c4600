"""Indexing ops: ``x[key]``, ``x[key] = v``, gather/scatter, index_select/index_add, masks, one_hot.

Every op here is one of two Functions applied with a *key* (a NumPy index tuple built from
PyTorch's indexing rules):

- ``Index``:    y = x[key]                      dx = zeros with dy added at key
- ``IndexPut``: y = x with y[key] = v (or += v)  dx = dy with zeros at key (or dy),  dv = dy[key]

The backward of ``Index`` is ``IndexScatter`` (zeros + dy accumulated at key; repeated positions add
up) whose backward is ``Index`` again, so gradients of any order work. ``gather`` is ``Index`` with a
key made of the index tensor on ``dim`` and open ``arange`` grids on the other dims; ``scatter`` and
``scatter_add`` are ``IndexPut`` with the same key; ``index_select``/``index_add`` put a 1-D index on
``dim``. Boolean masks become their ``nonzero()`` positions (NumPy's equivalence), so one code path
handles them.
"""
import operator

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import state
from ..autograd.tensor import Tensor, wrap_array
from ._util import array_of, linear_jvp, grad_meta, grad_to, normalize_dim

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill", "index_put",
           "masked_fill", "masked_select", "take_along_dim", "nonzero", "argwhere", "one_hot"]

_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
              "indices (got {}); convert float indices with .long()")


# ---- keys --------------------------------------------------------------------------------------
def _is_array(k):
    return hasattr(k, "shape") and hasattr(k, "dtype")


def _sequence_as_tuple(key):
    """PyTorch's rule: a short list holding sequences, slices, None, ... or tensors means a tuple."""
    if isinstance(key, tuple):
        return True
    if not isinstance(key, list) or len(key) >= 32:
        return False
    return any(k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor, np.ndarray)) for k in key)


def _index_array(item, xp):
    """A tensor/array/list index as an array: bool (a mask) or integer; float -> IndexError."""
    if isinstance(item, Tensor):
        a = item.array
    elif isinstance(item, (list, tuple)):
        a = np.asarray(item)
        if a.dtype.kind == "f" or (a.size == 0 and a.dtype.kind != "b"):
            a = a.astype(np.int64)  # PyTorch reads number lists as long tensors
    else:
        a = item
    if a.dtype == np.uint8:
        a = a.astype(np.bool_)
    if a.dtype.kind not in "biu":
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors (got {a.dtype}); "
                         "convert the index with .long() or compare it to get a bool mask")
    return xp.asarray(a) if xp is not np else a


def _item(item, xp):
    """One element of a user's key, in the form the key builder walks over."""
    if item is None or item is Ellipsis or isinstance(item, slice):
        return item
    if isinstance(item, (bool, np.bool_)):
        return bool(item)
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, (Tensor, np.ndarray, list, tuple)) or _is_array(item):
        a = _index_array(item, xp)
        if a.ndim == 0:
            return bool(a) if a.dtype.kind == "b" else int(a)
        return a
    raise IndexError(_BAD_INDEX.format(type(item).__name__))


def _slice(s):
    start, stop, step = (None if v is None else operator.index(v) for v in (s.start, s.stop, s.step))
    if step is not None and step <= 0:
        raise ValueError("step must be greater than zero (PyTorch tensors have no negative-step slices); "
                         "index with a positive step and use .flip(dim) to reverse")
    return slice(start, stop, step)


def _check_int(i, d, shape):
    n = shape[d]
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n} (tensor of shape "
                         f"{tuple(shape)}); valid indices are {-n}..{n - 1}")


def make_key(key, shape, xp=np):
    """``key`` (anything ``x[key]`` accepts in PyTorch) as a checked NumPy index tuple.

    Returns ``(key, advanced)``: ints, slices, None, one Ellipsis (appended when absent, so that
    basic indexing always gives an array view), bools, and integer arrays (masks replaced by their
    nonzero positions); ``advanced`` tells whether the key holds arrays or bools.
    """
    items = tuple(key) if _sequence_as_tuple(key) else (key,)
    items = [_item(k, xp) for k in items]
    ellipses = sum(k is Ellipsis for k in items)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(k.ndim if _is_array(k) and k.dtype.kind == "b" else 1
               for k in items if k is not None and k is not Ellipsis and not isinstance(k, bool))
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (shape {tuple(shape)}): the "
                         f"index uses {used} dimensions")
    out, d, advanced = [], 0, False
    for pos, k in enumerate(items):
        if k is None:
            out.append(None)
        elif k is Ellipsis:
            out.append(Ellipsis)
            d += len(shape) - used
        elif isinstance(k, bool):
            out.append(k)
            advanced = True
        elif isinstance(k, int):
            _check_int(k, d, shape)
            out.append(k)
            d += 1
        elif isinstance(k, slice):
            out.append(_slice(k))
            d += 1
        elif k.dtype.kind == "b":
            if tuple(k.shape) != tuple(shape[d:d + k.ndim]):
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {pos} does not match the shape "
                                 f"of the indexed tensor {list(shape)} at index {d}; a mask must have the sizes "
                                 "of the dimensions it selects")
            out.extend(xp.nonzero(k))
            d += k.ndim
            advanced = True
        else:
            if k.size:
                lo, hi = int(k.min()), int(k.max())
                bad = hi if hi >= shape[d] else lo if lo < -shape[d] else None
                if bad is not None:
                    _check_int(bad, d, shape)
            out.append(k)
            d += 1
            advanced = True
    if ellipses == 0:
        out.append(Ellipsis)
    return tuple(out), advanced


def _split_key(key):
    """(template, arrays): the key with its arrays taken out, so they go through save_for_backward."""
    return tuple(None if _is_array(k) else (k,) for k in key), tuple(k for k in key if _is_array(k))


def _save_key(ctx, key):
    ctx.template, arrays = _split_key(key)
    ctx.save_for_backward(*arrays)


def _saved_key(ctx):
    arrays = iter(t.array for t in ctx.saved_tensors)
    return tuple(next(arrays) if k is None else k[0] for k in ctx.template)


def _is_advanced(key):
    return any(_is_array(k) or isinstance(k, bool) for k in key)


def _add_at(out, key, values):
    """out[key] += values in place, repeated positions adding up."""
    if not _is_advanced(key):
        out[key] += values
        return
    xp = backend.namespace(out)
    if any(isinstance(k, bool) for k in key):  # ufunc.at can't take bool scalars: go through flat positions
        flat = out.reshape(-1)
        key, out = (xp.arange(out.size).reshape(out.shape)[key],), flat
    if xp is np:
        np.add.at(out, key, values)
    else:  # CuPy
        import cupyx
        cupyx.scatter_add(out, key, values)


def _as_array_result(a, like):
    return a if type(a) is type(like) else backend.namespace(like).asarray(a)


# ---- the two differentiable primitives (and the transpose of the first) -----------------------
class Index(Function):
    """y = x[key];  dx = zeros shaped like x with dy added at key (repeated positions add up)"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, key):
        a = x.array
        ctx.shape = a.shape
        _save_key(ctx, key)
        return _as_array_result(a[key], a)

    @staticmethod
    def backward(ctx, dy):
        return IndexScatter.apply(dy, ctx.shape, _saved_key(ctx))


class Gather(Index):
    """y = x.gather(dim, index), computed as x[key];  dx as for Index. The input is saved too, as
    PyTorch's gather saves it: changing it in place before backward is an error in both."""

    @staticmethod
    def forward(ctx, x, key):
        y = Index.forward(ctx, x, key)
        ctx.save_for_backward(*ctx._saved, x)
        return y


class IndexScatter(Function):
    """y = zeros(shape) with g added at key (repeated positions add up);  dg = dy[key]"""

    @staticmethod
    def forward(ctx, g, shape, key):
        a = g.array
        out = backend.namespace(a).zeros(shape, dtype=a.dtype)
        _add_at(out, key, a)
        _save_key(ctx, key)
        return out

    @staticmethod
    def backward(ctx, dy):
        return Index.apply(dy, _saved_key(ctx))


class IndexPut(Function):
    """y = x with y[key] = v (accumulate: y[key] += v, repeated positions adding up);
    dx = dy with zeros at key (accumulate: dy),  dv = dy[key] summed to v's shape"""

    @staticmethod
    def jvp(ctx, tx, tv, *_):  # linear in (x, v); a Python number v is a constant
        x, v = ctx.fw_inputs[:2]
        tx = tx if tx is not None else wrap_array(backend.namespace(x.array).zeros_like(x.array))
        tv = tv if tv is not None else 0.0
        return IndexPut.apply(tx, tv, *ctx.fw_inputs[2:], **ctx.fw_kwargs)

    @staticmethod
    def forward(ctx, x, value, key, accumulate=False, op="index_put"):
        a = x.array
        v = array_of(value)
        v = backend.namespace(a).asarray(v).astype(a.dtype, copy=False)
        out = a.copy()
        try:
            if accumulate:
                _add_at(out, key, v)
            else:
                out[key] = v
        except ValueError:
            target = a[key].shape
            raise RuntimeError(f"{op}: shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast "
                               f"to indexing result of shape {list(target)}; reshape or expand the value") from None
        ctx.accumulate, ctx.vmeta = accumulate, grad_meta(value)
        _save_key(ctx, key)
        return out

    @staticmethod
    def backward(ctx, dy):
        key = _saved_key(ctx)
        dx = dv = None
        if ctx.needs_input_grad[0]:
            dx = dy if ctx.accumulate else IndexPut.apply(dy, 0, key)
        if ctx.vmeta is not None:
            g = Index.apply(dy, key)
            lead = len(ctx.vmeta[0]) - g.ndim
            if lead > 0:  # the value had extra leading 1-sized dims
                g = g.reshape((1,) * lead + tuple(g.shape))
            dv = grad_to(g, ctx.vmeta)
        return dx, dv


# ---- x[key] and x[key] = v ---------------------------------------------------------------------
def getitem(x, key):
    """``x[key]``: PyTorch's indexing (ints, slices with positive steps, None, ``...``, integer
    tensors/lists, bool masks and their combinations); basic indexing gives a view of the data."""
    if type(key) is int and x.array.ndim:
        _check_int(key, 0, x.array.shape)
        return Index.apply(x, (key, Ellipsis))
    return Index.apply(x, make_key(key, x.array.shape, backend.namespace(x.array))[0])


def setitem(x, key, value):
    """``x[key] = value``: in place on the data when nothing needs a gradient; otherwise recorded as
    an index-put whose result ``x`` then stands for (a leaf that requires grad can't be written)."""
    key, advanced = make_key(key, x.array.shape, backend.namespace(x.array))
    if not isinstance(value, Tensor) and not isinstance(value, (int, float, bool, np.generic)):
        value = Tensor(value, dtype=x.array.dtype)
    if isinstance(value, Tensor) and advanced and value.array.dtype != x.array.dtype and value.ndim:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {x.dtype} for the "
                           f"destination and {value.dtype} for the source; convert the value with .to({x.dtype})")
    record = state.enabled and (x._rg or (isinstance(value, Tensor) and value._rg))
    if record:
        if x._rg and x.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation "
                               "(x[...] = v); do it under glassgrad.no_grad(), or on x.clone()")
        out = IndexPut.apply(x, value, key, False, "setitem")
        x.array, x.grad_fn, x._output_nr, x._rg = out.array, out.grad_fn, out._output_nr, True
    else:
        a = x.array
        if not a.flags.writeable:
            raise RuntimeError("setitem: unsupported operation: more than one element of the written-to tensor "
                               "refers to a single memory location (it comes from expand/broadcast_to); "
                               "clone() it first")
        v = array_of(value)
        try:
            a[key] = v.astype(a.dtype, copy=False) if hasattr(v, "astype") else v
        except ValueError:
            raise RuntimeError(f"setitem: shape mismatch: value tensor of shape {list(np.shape(v))} cannot be "
                               f"broadcast to indexing result of shape {list(a[key].shape)}") from None
    x._version += 1


# ---- gather / scatter --------------------------------------------------------------------------
def _check_index_dtype(op, index):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
    if index.array.dtype.kind not in "iu" or index.array.dtype == np.uint8:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}; convert it with .long()")


def _check_range(op, idx, d, n):
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}; "
                               f"indices must be in [0, {n - 1}]")


def _dim_key(index, dim, xp):
    """The key picking x[i₀, ..., index[i₀, ..., iₙ], ..., iₙ] (index on ``dim``) for every position
    of ``index``: the index itself on ``dim``, open aranges that broadcast on the other dims."""
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _dim_args(op, x, dim, index, src=None):
    """Checks shared by gather/scatter (dims, dtypes, sizes, bounds) for an input with dims.
    Returns (dim, key)."""
    _check_index_dtype(op, index)
    d = normalize_dim(dim, x.ndim, op)
    idx = index.array
    if idx.ndim != x.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(index shape {tuple(index.shape)}, input shape {tuple(x.shape)})")
    xs, ids = tuple(x.shape), tuple(index.shape)
    for k in range(x.ndim):
        if k != d and ids[k] > xs[k]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {k} expected index {list(ids)} to be no "
                               f"larger than self {list(xs)} apart from dimension {d}")
    if src is not None and src.ndim:
        ss = tuple(src.shape)
        if len(ss) != len(ids) or any(i > s for i, s in zip(ids, ss)):
            raise RuntimeError(f"{op}(): Expected index {list(ids)} to be no larger than self {list(xs)} apart from "
                               f"dimension {d} and to be no larger size than src {list(ss)}")
    _check_range(op, idx, d, xs[d])
    return d, _dim_key(idx, d, backend.namespace(x.array))


def _scalar_case(op, x, dim, index):
    """gather/scatter on a 0-d input work on it as a 1-element vector."""
    normalize_dim(dim, 0, op)
    _check_index_dtype(op, index)
    if index.ndim > 1:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(index shape {tuple(index.shape)}, input shape ())")
    return x.reshape(1), index.reshape(-1)


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j][k] = input[index[i][j][k]][j][k] (for dim=0; ``index`` sits on ``dim``); ``index``
    has input's number of dims and no larger sizes apart from ``dim``.

    Shape: output has ``index``'s shape."""
    if input.ndim == 0:
        x1, i1 = _scalar_case("gather", input, dim, index)
        return gather(x1, 0, i1).reshape(index.shape)
    d, key = _dim_args("gather", input, dim, index)
    return Gather.apply(input, key)


def _src_crop(src, index):
    """``src`` cut down to ``index``'s shape (scatter reads only that corner of src)."""
    if tuple(src.shape) == tuple(index.shape) or src.ndim == 0:
        return src
    return getitem(src, tuple(slice(0, n) for n in index.shape))


def _scatter(op, input, dim, index, src, accumulate):
    if isinstance(src, Tensor) and src.array.dtype != input.array.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype (self {input.dtype}, src "
                           f"{src.dtype}); convert src with .to({input.dtype})")
    if input.ndim == 0:
        x1, i1 = _scalar_case(op, input, dim, index)
        s1 = src.reshape(-1) if isinstance(src, Tensor) else src
        return _scatter(op, x1, 0, i1, s1, accumulate).reshape(())
    d, key = _dim_args(op, input, dim, index, src if isinstance(src, Tensor) else None)
    if isinstance(src, Tensor):
        src = _src_crop(src, index)
    return IndexPut.apply(input, src, key, accumulate, op)


def scatter(input, dim, index, src=None, value=None):
    """A copy of ``input`` with ``out[index[i][j][k]][j][k] = src[i][j][k]`` (for dim=0); ``src`` may
    be a tensor or a number (also as ``value=``). Repeated indices: one of the values wins."""
    if src is None:
        if value is None:
            raise TypeError("scatter(): give src (a tensor or a number) or value")
        src = value
    return _scatter("scatter", input, dim, index, src, False)


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``out[index[i][j][k]][j][k] += src[i][j][k]`` (for dim=0); repeated
    indices add up."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _scatter("scatter_add", input, dim, index, src, True)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (of the flattened input when None; negative
    indices count from the end); unlike gather, ``input`` and ``indices`` broadcast against each other
    on the other dims."""
    _check_index_dtype("take_along_dim", indices)
    if dim is None:
        input, indices, d = input.reshape(-1), indices.reshape(-1), 0
    else:
        if input.ndim != indices.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                               f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
        d = normalize_dim(dim, input.ndim, "take_along_dim")
    xs, ids = list(input.shape), list(indices.shape)
    for k in range(input.ndim):
        if k != d and xs[k] != ids[k] and 1 not in (xs[k], ids[k]):
            raise RuntimeError(f"take_along_dim(): The size of tensor a ({xs[k]}) must match the size of tensor b "
                               f"({ids[k]}) at non-singleton dimension {k} (input {tuple(input.shape)}, indices "
                               f"{tuple(indices.shape)})")
    x_shape = tuple(n if k == d else max(n, m) for k, (n, m) in enumerate(zip(xs, ids)))
    i_shape = tuple(m if k == d else max(n, m) for k, (n, m) in enumerate(zip(xs, ids)))
    if x_shape != tuple(xs):
        input = input.expand(x_shape)
    idx = indices.array
    xp = backend.namespace(idx)
    n = x_shape[d] if x_shape else 1
    if idx.size and int(idx.min()) < 0:
        if int(idx.min()) < -n:
            _check_range("take_along_dim", idx, d, n)
        idx = xp.where(idx < 0, idx + n, idx)
    if i_shape != tuple(ids):
        idx = xp.broadcast_to(idx, i_shape)
    return gather(input, d, wrap_array(idx))


# ---- index_select / index_add / index_fill / index_put -----------------------------------------
def _dim_index(op, x, dim, index):
    """Checks for a vector (or 0-d) ``index`` on ``dim``; returns (dim, key ``(:, ..., :, index)``,
    the flat index array). A 0-d input takes exactly one index, 0."""
    _check_index_dtype(op, index)
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {tuple(index.shape)}")
    d = normalize_dim(dim, x.ndim, op)
    idx = index.array.reshape(-1)
    if x.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"{op}(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        _check_range(op, idx, 0, 1)
        return d, (Ellipsis,), idx
    _check_range(op, idx, d, x.shape[d])
    return d, (slice(None),) * d + (idx, Ellipsis), idx


def index_select(input, dim, index):
    """The slices of ``input`` at positions ``index`` (a vector) along ``dim``.

    Shape: input's shape with ``dim`` replaced by ``len(index)``."""
    d, key, idx = _dim_index("index_select", input, dim, index)
    return Index.apply(input, key)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` added along ``dim`` at positions ``index``
    (``source.size(dim) == len(index)``; repeated indices add up)."""
    d, key, idx = _dim_index("index_add", input, dim, index)
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source.ndim and input.ndim and source.ndim == input.ndim and source.shape[d] != idx.size:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({source.shape[d]}), for dim: {d}")
    want = list(input.shape)
    if input.ndim:
        want[d] = idx.size
    if list(source.shape) != want:
        raise RuntimeError(f"index_add_(): source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension. Got self.shape = {list(input.shape)} source.shape = {list(source.shape)} "
                           f"(expected {want})")
    if source.array.dtype != input.array.dtype:
        raise RuntimeError(f"index_add_(): self ({input.dtype}) and source ({source.dtype}) must have the same "
                           f"scalar type; convert source with .to({input.dtype})")
    if alpha != 1:
        source = source * alpha
    return IndexPut.apply(input, source, key, True, "index_add")


def index_fill(input, dim, index, value):
    """A copy of ``input`` with the slices at positions ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor)."""
    d, key, idx = _dim_index("index_fill", input, dim, index)
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    return IndexPut.apply(input, value, key, False, "index_fill")


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``out[indices] = values`` (``indices`` a tuple of index tensors, as in
    ``out[i0, i1]``); ``accumulate=True`` adds instead, repeated positions adding up."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): indices must be a tuple of tensors, got {type(indices).__name__}")
    key, _ = make_key(tuple(indices), input.shape, backend.namespace(input.array))
    if isinstance(values, Tensor) and values.array.dtype != input.array.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {input.dtype} for "
                           f"the destination and {values.dtype} for the source")
    return IndexPut.apply(input, values, key, bool(accumulate), "index_put")


# ---- masks -------------------------------------------------------------------------------------
class MaskedFill(Function):
    """y = value where mask else x (x and mask broadcast);
    dx = dy where not mask (summed to x's shape),  dvalue = Σ dy where mask"""

    @staticmethod
    def forward(ctx, x, mask, value):
        a, m = x.array, mask.array
        xp = backend.namespace(a)
        v = xp.asarray(array_of(value)).astype(a.dtype, copy=False)
        ctx.xmeta, ctx.vmeta = grad_meta(x), grad_meta(value)
        ctx.save_for_backward(mask)
        return xp.where(m, v, a)

    @staticmethod
    def backward(ctx, dy):
        (mask,) = ctx.saved_tensors
        dx = grad_to(MaskedFill.apply(dy, mask, 0), ctx.xmeta) if ctx.xmeta else None
        dv = None
        if ctx.vmeta is not None:
            keep = wrap_array(~mask.array)
            dv = grad_to(MaskedFill.apply(dy, keep, 0).sum(), ctx.vmeta)
        return dx, None, dv


def _check_mask(op, mask):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): mask must be a bool Tensor, got {type(mask).__name__}")
    if mask.array.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {mask.dtype}; compare "
                           "first (x > 0) or convert with .bool()")


def masked_fill(input, mask, value):
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` is True; ``mask``
    and ``input`` broadcast together."""
    _check_mask("masked_fill_", mask)
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    try:
        np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise RuntimeError(f"masked_fill: the shapes of input {tuple(input.shape)} and mask {tuple(mask.shape)} "
                           "cannot be broadcast together") from None
    return MaskedFill.apply(input, mask, value)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (``input`` and ``mask``
    broadcast together; row-major order)."""
    _check_mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: the shapes of input {tuple(input.shape)} and mask {tuple(mask.shape)} "
                           "cannot be broadcast together") from None
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    m = mask.array
    if m.shape != shape:
        m = backend.namespace(m).broadcast_to(m, shape)
    if not shape:
        return Index.apply(input, (bool(m), Ellipsis)).reshape(-1)
    return Index.apply(input, tuple(backend.namespace(m).nonzero(m)) + (Ellipsis,))


# ---- integer results (no gradient) --------------------------------------------------------------
def nonzero(input, *, as_tuple=False):
    """Positions of the non-zero elements: an int64 tensor of shape (count, ndim), or with
    ``as_tuple=True`` one 1-D tensor per dimension (a 0-d input counts as 1-D)."""
    a = input.array
    xp = backend.namespace(a)
    if as_tuple:
        return tuple(wrap_array(i.astype(np.int64)) for i in xp.nonzero(xp.atleast_1d(a)))
    return wrap_array(xp.argwhere(a).astype(np.int64))


def argwhere(input):
    """``nonzero(input)``: the (count, ndim) positions of the non-zero elements."""
    return nonzero(input)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding: shape ``(*tensor.shape, num_classes)`` with a 1 at each class index;
    ``num_classes=-1`` uses ``max + 1``. (PyTorch's ``F.one_hot``.)"""
    if not isinstance(tensor, Tensor) or tensor.array.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor (int64); got "
                           f"{getattr(tensor, 'dtype', type(tensor).__name__)}: convert with .long()")
    a = tensor.array
    xp = backend.namespace(a)
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor; pass num_classes")
        num_classes = int(a.max()) + 1
    if a.size:
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}); the largest is "
                               f"{int(a.max())}.")
    return wrap_array((a[..., None] == xp.arange(num_classes)).astype(np.int64))


# ---- Tensor methods ----------------------------------------------------------------------------
def _inplace_form(fn, name):
    """``fn_``: the in-place form built by ``tensor_methods.inplace_method`` (looked up at call time)."""
    def method(self, *args, **kwargs):
        from .tensor_methods import inplace_method
        return inplace_method(fn, name)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In-place ``{fn.__name__}``; returns self."
    return method


def _index_put_(self, indices, values, accumulate=False):
    """In-place ``index_put``: ``self[indices] = values`` (or ``+=`` with ``accumulate=True``)."""
    if not accumulate:
        setitem(self, tuple(indices), values)
        return self
    return _inplace_form(index_put, "index_put_")(self, indices, values, accumulate)


def _put_method(self, key, value):
    setitem(self, key, value)


_put_method.__name__ = "__setitem__"
_put_method.__doc__ = setitem.__doc__

METHODS = {
    "__getitem__": getitem, "__setitem__": _put_method, "gather": gather, "scatter": scatter,
    "scatter_add": scatter_add, "index_select": index_select, "index_add": index_add, "index_fill": index_fill,
    "index_put": index_put, "masked_fill": masked_fill, "masked_select": masked_select,
    "take_along_dim": take_along_dim, "nonzero": nonzero, "argwhere": argwhere,
    "scatter_": _inplace_form(scatter, "scatter_"), "index_fill_": _inplace_form(index_fill, "index_fill_"),
    "index_put_": _index_put_,
}

"""Shape ops: they move elements around; the gradient moves them back.

Each Function's backward is another shape op (reshape ↔ reshape, cat ↔ split, pad ↔ crop,
flip ↔ flip, roll ↔ roll back), so every gradient here can be differentiated again. Ops that are
compositions of others (stack, repeat, reflect padding, ...) get their gradients from the parts.
"""
import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, wrap_array
from ._util import linear_jvp, normalize_dim, normalize_dims, promote_types, sum_to

__all__ = ["reshape", "view", "flatten", "unflatten", "expand", "expand_as", "broadcast_to", "permute",
           "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis", "unsqueeze", "squeeze", "cat",
           "concat", "concatenate", "stack", "split", "chunk", "unbind", "narrow", "flip", "roll", "repeat",
           "tile", "pad", "tril", "triu", "clone", "contiguous"]


def _shape_arg(shape):
    """Sizes given as varargs (``x.reshape(2, 3)``) or one sequence (``x.reshape((2, 3))``)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _dims_arg(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return tuple(int(d) for d in dims)


def _axis_index(dim, index):
    """An index tuple selecting ``index`` (an int or slice) along ``dim``."""
    return (slice(None),) * dim + (index,)


# ---- reshape family ----------------------------------------------------------------------------
def _infer_shape(op, shape, size, in_shape):
    """``shape`` with its -1 filled in, or PyTorch's error."""
    shape = list(shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    for i, n in enumerate(shape):
        if n < -1:
            raise RuntimeError(f"{op}: invalid shape dimension {n} at index {i} of shape {shape}; sizes must be "
                               "non-negative (or -1 for one inferred size)")
    if len(unknown) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {shape} for input of shape "
                           f"{tuple(in_shape)}")
    known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
    if unknown:
        if known == 0:
            raise RuntimeError(f"{op}: cannot reshape tensor of 0 elements into shape {shape} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if size % known:
            raise RuntimeError(f"{op}: shape {shape} is invalid for input of size {size} (shape "
                               f"{tuple(in_shape)}); {size} is not divisible by {known}")
        shape[unknown[0]] = size // known
    elif known != size:
        raise RuntimeError(f"{op}: shape {shape} is invalid for input of size {size} (shape {tuple(in_shape)}); "
                           "the product of the sizes must equal the number of elements (use -1 for one "
                           "inferred size)")
    return tuple(shape)


class Reshape(Function):
    """y = x viewed with a new shape;  dx = dy reshaped back"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, shape, op="reshape"):
        a = x.array
        ctx.shape = a.shape
        if shape != a.shape:
            shape = _infer_shape(op, shape, a.size, a.shape)
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, dy):
        return Reshape.apply(dy, ctx.shape)

    @staticmethod
    def raw_backward(ctx, dy):
        return dy.reshape(ctx.shape)


def reshape(x, *shape):
    """``x`` with shape ``shape`` (one size may be -1, inferred); a view when possible.

    Shape: the same number of elements as ``x``."""
    return Reshape.apply(x, _shape_arg(shape))


def view(x, *shape):
    """``x`` with shape ``shape`` (one size may be -1). glassgrad shares memory when the layout
    allows it and copies otherwise (PyTorch's ``view`` refuses instead of copying)."""
    return Reshape.apply(x, _shape_arg(shape), op="view")


def _reshape_as(x, other):
    """``x`` reshaped to ``other``'s shape."""
    return Reshape.apply(x, tuple(other.shape))


def flatten(x, start_dim=0, end_dim=-1):
    """``x`` with dimensions ``start_dim..end_dim`` merged into one. A 0-d tensor becomes 1-D.

    Shape: ``(*x.shape[:start], prod(x.shape[start:end+1]), *x.shape[end+1:])``."""
    if x.ndim == 0:
        normalize_dim(start_dim, 0, "flatten")
        normalize_dim(end_dim, 0, "flatten")
        return Reshape.apply(x, (1,))
    s, e = normalize_dim(start_dim, x.ndim, "flatten"), normalize_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError(f"flatten(): start_dim ({start_dim}) cannot come after end_dim ({end_dim}) for "
                           f"input of shape {tuple(x.shape)}")
    shape = x.shape
    merged = int(np.prod(shape[s:e + 1], dtype=np.int64))
    return Reshape.apply(x, shape[:s] + (merged,) + shape[e + 1:])


def unflatten(x, dim, sizes):
    """``x`` with dimension ``dim`` split into ``sizes`` (one may be -1).

    Shape: ``(*x.shape[:dim], *sizes, *x.shape[dim+1:])``."""
    d = normalize_dim(dim, x.ndim, "unflatten")
    sizes = tuple(int(n) for n in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d]
    try:
        sizes = _infer_shape("unflatten", sizes, n, (n,))
    except RuntimeError:
        raise RuntimeError(f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor of shape {tuple(x.shape)}") from None
    return Reshape.apply(x, x.shape[:d] + sizes + x.shape[d + 1:])


def unsqueeze(x, dim):
    """``x`` with a size-1 dimension inserted at ``dim`` (in ``[-x.ndim-1, x.ndim]``)."""
    d = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return Reshape.apply(x, x.shape[:d] + (1,) + x.shape[d:])


def squeeze(x, dim=None):
    """``x`` without size-1 dimensions: all of them, or only those in ``dim`` (an int or a tuple;
    a listed dimension whose size is not 1 is left alone)."""
    shape = x.shape
    if dim is None:
        dims = {i for i, n in enumerate(shape) if n == 1}
    else:
        dims = {normalize_dim(int(d), x.ndim, "squeeze") for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim)}
        dims = {d for d in dims if x.ndim and shape[d] == 1}
    return Reshape.apply(x, tuple(n for i, n in enumerate(shape) if i not in dims))


# ---- broadcasting ------------------------------------------------------------------------------
class Expand(Function):
    """y = x broadcast to a larger shape;  dx = dy summed over the broadcast axes"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, shape):
        a = x.array
        lead = len(shape) - a.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({a.ndim}); got target {list(shape)} "
                               f"for input of shape {tuple(a.shape)}")
        target = []
        for i, n in enumerate(shape):
            if n == -1:
                if i < lead:
                    raise RuntimeError(f"expand: the expanded size -1 isn't allowed in a leading, non-existing "
                                       f"dimension {i} (target {list(shape)}, input shape {tuple(a.shape)})")
                n = a.shape[i - lead]
            old = a.shape[i - lead] if i >= lead else 1
            if n < 0 or (old != 1 and n != old):
                raise RuntimeError(f"expand: the expanded size of the tensor ({n}) must match the existing size "
                                   f"({old}) at non-singleton dimension {i}.  Target sizes: {list(shape)}.  "
                                   f"Tensor sizes: {list(a.shape)}; only size-1 dimensions can grow")
            target.append(n)
        ctx.shape = a.shape
        if int(np.prod(target)) == a.size and a.size:  # nothing grows: a plain (writable) view, as in PyTorch
            return a.reshape(tuple(target))
        return np.broadcast_to(a, tuple(target))

    @staticmethod
    def backward(ctx, dy):
        return sum_to(dy, ctx.shape)


def expand(x, *shape):
    """``x`` broadcast to ``shape`` without copying (-1 keeps a size; new dimensions go in front)."""
    return Expand.apply(x, _shape_arg(shape))


def expand_as(x, other):
    """``x`` expanded to ``other``'s shape."""
    return Expand.apply(x, tuple(other.shape))


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` without copying (same rules as ``expand``)."""
    return Expand.apply(x, tuple(int(n) for n in shape))


# ---- reordering dimensions ---------------------------------------------------------------------
class Permute(Function):
    """y = x with its axes reordered;  dx = dy with the inverse order"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, dims):
        a = x.array
        if len(dims) != a.ndim:
            raise RuntimeError(f"permute(): the number of dims ({len(dims)}) must equal the number of dimensions "
                               f"of the input ({a.ndim}, shape {tuple(a.shape)}); got dims {list(dims)}")
        dims = tuple(normalize_dim(d, a.ndim, "permute") for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"permute(): duplicate dims are not allowed, got {list(dims)}")
        ctx.inverse = tuple(int(i) for i in np.argsort(dims))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, dy):
        return Permute.apply(dy, ctx.inverse)

    @staticmethod
    def raw_backward(ctx, dy):
        return dy.transpose(ctx.inverse)


def permute(x, *dims):
    """``x`` with its dimensions reordered to ``dims`` (a view). Shape: ``x.shape[dims[i]]`` at i."""
    return Permute.apply(x, _dims_arg(dims))


def transpose(x, dim0, dim1):
    """``x`` with dimensions ``dim0`` and ``dim1`` swapped (a view)."""
    n = x.ndim
    d0, d1 = normalize_dim(dim0, n, "transpose"), normalize_dim(dim1, n, "transpose")
    if n == 0:
        return Permute.apply(x, ())
    order = list(range(n))
    order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(x, tuple(order))


swapaxes = swapdims = transpose


def t(x):
    """The transpose of a matrix; 0-d and 1-D tensors come back as they are (as a new tensor)."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but the input is {x.ndim}D (shape "
                           f"{tuple(x.shape)}); use transpose(dim0, dim1) or .mT for batches of matrices")
    return Permute.apply(x, tuple(range(x.ndim))[::-1])


def movedim(x, source, destination):
    """``x`` with dimensions ``source`` moved to positions ``destination`` (ints or sequences);
    the other dimensions keep their order."""
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    n = x.ndim
    src = tuple(normalize_dim(int(d), n, "movedim") for d in src)
    dst = tuple(normalize_dim(int(d), n, "movedim") for d in dst)
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
    if n == 0:
        return Permute.apply(x, ())
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src)
    order = [next(rest) if o is None else o for o in order]
    return Permute.apply(x, tuple(order))


moveaxis = movedim


# ---- joining and splitting ---------------------------------------------------------------------
def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): expected a list or tuple of Tensors, got {type(tensors).__name__}")
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError(f"{op}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): expected Tensors, got {type(x).__name__} at position {i}")
    return tensors


def _result_dtype(arrays):
    """PyTorch's common dtype of non-scalar tensors: within a category (bool < integer < float) the
    wider one; across categories the dtype of the higher category."""
    dtype = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != dtype:
            dtype = promote_types(np.empty((1,), dtype), np.empty((1,), a.dtype))
    return dtype


class Cat(Function):
    """y = [x₀, x₁, ...] joined along dim;  dxᵢ = the matching slice of dy (split back)"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, *xs, dim=0):
        arrays = [x.array for x in xs]
        # PyTorch's legacy rule: 1-D empty tensors are skipped whatever the others' shapes
        used = [i for i, a in enumerate(arrays) if not (a.ndim == 1 and a.shape[0] == 0)] or [0]
        ref = arrays[used[0]]
        for i in used:
            if arrays[i].ndim == 0:
                raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated; "
                                   "unsqueeze it first (x.unsqueeze(0)) or use stack")
        d = normalize_dim(dim, ref.ndim, "cat")
        for i in used:
            a = arrays[i]
            if a.ndim != ref.ndim:
                raise RuntimeError(f"cat: tensors must have the same number of dimensions: got {ref.ndim} and "
                                   f"{a.ndim} (shapes {tuple(ref.shape)} at position {used[0]} and "
                                   f"{tuple(a.shape)} at position {i})")
            for k in range(ref.ndim):
                if k != d and a.shape[k] != ref.shape[k]:
                    raise RuntimeError(
                        f"cat: sizes of tensors must match except in dimension {d}: expected size "
                        f"{ref.shape[k]} but got size {a.shape[k]} in dimension {k} for tensor number {i} in "
                        f"the list (shapes {tuple(ref.shape)} and {tuple(a.shape)}); reshape or slice them first")
        dtype = _result_dtype(arrays)
        ctx.dim, ctx.used = d, used
        ctx.metas = [(a.shape, a.dtype) for a in arrays]
        xp = backend.namespace(ref)
        return xp.concatenate([arrays[i].astype(dtype, copy=False) for i in used], axis=d)

    @staticmethod
    def backward(ctx, dy):
        sizes = [ctx.metas[i][0][ctx.dim] for i in ctx.used]
        pieces = iter(Split.apply(dy, tuple(sizes), ctx.dim))
        grads = []
        for i, (shape, dtype) in enumerate(ctx.metas):
            if not ctx.needs_input_grad[i]:
                if i in ctx.used:
                    next(pieces)
                grads.append(None)
            elif i in ctx.used:
                g = next(pieces)
                grads.append(g if g.dtype == dtype else g.to(dtype))
            else:
                grads.append(wrap_array(backend.namespace(dy.array).zeros(shape, dtype)))
        return tuple(grads)


def cat(tensors, dim=0):
    """The tensors joined along dimension ``dim`` (PyTorch's type promotion across them).

    Shape: all sizes equal except along ``dim``, where they add up."""
    return Cat.apply(*_tensor_list("cat", tensors), dim=dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """The tensors (all of one shape) joined along a new dimension ``dim``.

    Shape: ``(*shape[:dim], len(tensors), *shape[dim:])``."""
    tensors = _tensor_list("stack", tensors)
    shape = tensors[0].shape
    for i, x in enumerate(tensors):
        if x.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(x.shape)} at entry {i}")
    d = normalize_dim(dim, len(shape) + 1, "stack")
    return Cat.apply(*[Reshape.apply(x, shape[:d] + (1,) + shape[d:]) for x in tensors], dim=d)


class Split(Function):
    """(y₀, y₁, ...) = consecutive slices of x along dim;  dx = cat(dy₀, dy₁, ...)"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, sizes, dim):
        a = x.array
        ctx.dim = dim
        bounds = np.cumsum((0,) + tuple(sizes))
        return tuple(a[_axis_index(dim, slice(int(lo), int(hi)))] for lo, hi in zip(bounds, bounds[1:]))

    @staticmethod
    def backward(ctx, *dys):
        return Cat.apply(*dys, dim=ctx.dim)


def split(x, split_size_or_sections, dim=0):
    """``x`` cut along ``dim`` into pieces of ``split_size_or_sections`` elements (an int: the last
    piece may be smaller) or of the listed sizes (which must add up to the dimension's size).
    Returns a tuple of views."""
    if x.ndim == 0:
        raise RuntimeError("split: the input must have at least one dimension, got a 0-d tensor")
    d = normalize_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s < 0 or (s == 0 and n != 0):
            raise RuntimeError(f"split: split_size can only be 0 if dimension size is 0 and cannot be negative, "
                               f"but got split_size {s} for dimension {d} of size {n} (shape {tuple(x.shape)})")
        sizes = (0,) if n == 0 else (s,) * (n // s) + ((n % s,) if n % s else ())
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {d}, shape {tuple(x.shape)}), but got split_sizes={list(sizes)}")
    return Split.apply(x, sizes, d)


def chunk(x, chunks, dim=0):
    """``x`` cut along ``dim`` into at most ``chunks`` pieces of ``ceil(size / chunks)`` elements
    (the last may be smaller; fewer pieces when the size doesn't allow ``chunks``)."""
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if x.ndim == 0:
        raise RuntimeError("chunk: the input must have at least one dimension, got a 0-d tensor")
    n = x.shape[normalize_dim(dim, x.ndim, "chunk")]
    return split(x, -(-n // chunks), dim)


class Unbind(Function):
    """(y₀, y₁, ...) = the slices x[..., i, ...] along dim;  dx = stack(dy₀, dy₁, ...)"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, dim):
        a = x.array
        ctx.dim = dim
        return tuple(a[_axis_index(dim, i)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *dys):
        return stack(dys, ctx.dim)


def unbind(x, dim=0):
    """The slices of ``x`` along ``dim``, as a tuple of tensors without that dimension."""
    if x.ndim == 0:
        raise IndexError(f"unbind: dimension specified as {dim} but the tensor has no dimensions")
    return Unbind.apply(x, normalize_dim(dim, x.ndim, "unbind"))


# ---- padding and cropping ----------------------------------------------------------------------
class ConstantPad(Function):
    """y = x with ``pads[d] = (before, after)`` elements of ``value`` added along each dim (negative
    amounts crop);  dx = dy with the pads negated (the padding cropped off, the cropped part zero)"""

    @staticmethod
    def jvp(ctx, tx, *_):  # padded with zeros: the pad value is a constant
        return ConstantPad.apply(tx, ctx.fw_inputs[1], 0)

    @staticmethod
    def forward(ctx, x, pads, value=0):
        a = x.array
        ctx.pads = pads
        for d, (lo, hi) in enumerate(pads):
            if a.shape[d] + lo + hi < 0:
                raise RuntimeError(f"pad: the padding ({lo}, {hi}) would give dimension {d} of the input of shape "
                                   f"{tuple(a.shape)} a negative size {a.shape[d] + lo + hi}")
        if any(lo < 0 or hi < 0 for lo, hi in pads):
            a = a[tuple(slice(-min(lo, 0), n + min(hi, 0)) for (lo, hi), n in zip(pads, a.shape))]
        if any(lo > 0 or hi > 0 for lo, hi in pads):
            xp = backend.namespace(a)
            a = xp.pad(a, [(max(lo, 0), max(hi, 0)) for lo, hi in pads], mode="constant",
                       constant_values=a.dtype.type(value))
        return a

    @staticmethod
    def backward(ctx, dy):
        return ConstantPad.apply(dy, tuple((-lo, -hi) for lo, hi in ctx.pads), 0)


def narrow(x, dim, start, length):
    """The elements ``start .. start+length-1`` of ``x`` along ``dim`` (``start`` may be negative)."""
    d = normalize_dim(dim, x.ndim, "narrow")
    n = x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start ({start}) out of range for dimension {d} of size {n} (shape "
                         f"{tuple(x.shape)}); expected a value in [{-n}, {n}]")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of the "
                           f"input of shape {tuple(x.shape)}; length must be in [0, {n - start}]")
    pads = [(0, 0)] * x.ndim
    pads[d] = (-start, -(n - start - length))
    return ConstantPad.apply(x, tuple(pads), 0)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """``input`` padded as ``F.pad``: ``pad = (left, right, top, bottom, ...)`` gives the amounts for
    the last dimension first, then the one before it, and so on (negative amounts crop).

    ``mode``: 'constant' (fills ``value``, default 0), 'reflect' (mirrors without repeating the
    edge), 'replicate' (repeats the edge), 'circular' (wraps around). Non-constant modes pad the
    last 1, 2 or 3 dimensions of a 2-3, 3-4 or 4-5 dimensional input.

    Shape: each padded dimension grows by ``left + right``."""
    x = input
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} values {pad}")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(f"pad: padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {x.ndim} (shape "
                           f"{tuple(x.shape)})")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; use one of {_PAD_MODES}")
    pads = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pads[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return ConstantPad.apply(x, tuple(pads), 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take in value argument")
    k = len(pad) // 2
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: padding size {len(pad)} is not supported for {x.ndim}D input tensor (shape {tuple(x.shape)}) "
            f"in mode {mode!r}. Supported combinations for non-constant padding: 2D or 3D input with padding "
            "size 2 (pads the last dimension), 3D or 4D input with 4, 4D or 5D input with 6")
    out = x
    for d in range(x.ndim - k, x.ndim):
        lo, hi = max(pads[d][0], 0), max(pads[d][1], 0)
        if lo or hi:
            out = _pad_dim(out, d, lo, hi, mode, x.shape)
    crops = tuple((min(lo, 0), min(hi, 0)) for lo, hi in pads)
    if any(c != (0, 0) for c in crops):
        out = ConstantPad.apply(out, crops, 0)
    return out


def _pad_dim(x, d, lo, hi, mode, in_shape):
    """``x`` with ``lo``/``hi`` elements added along dim ``d`` by reflecting, replicating or wrapping."""
    n = x.shape[d]
    if mode == "reflect" and (lo >= n or hi >= n):
        raise RuntimeError(f"pad: padding size should be less than the corresponding input dimension for mode "
                           f"'reflect', but got padding ({lo}, {hi}) at dimension {d} of input {list(in_shape)}")
    if mode == "circular" and (lo > n or hi > n):
        raise RuntimeError(f"pad: padding ({lo}, {hi}) at dimension {d} of input {list(in_shape)} is larger than "
                           "the dimension; mode 'circular' can wrap around at most once")
    if n == 0:
        raise RuntimeError(f"pad: mode {mode!r} needs non-empty padded dimensions, but dimension {d} of input "
                           f"{list(in_shape)} is empty")
    parts = []
    if mode == "reflect":
        if lo:
            parts.append(flip(narrow(x, d, 1, lo), d))
        parts.append(x)
        if hi:
            parts.append(flip(narrow(x, d, n - 1 - hi, hi), d))
    elif mode == "replicate":
        if lo:
            edge = narrow(x, d, 0, 1)
            parts.append(expand(edge, tuple(lo if i == d else -1 for i in range(x.ndim))))
        parts.append(x)
        if hi:
            edge = narrow(x, d, n - 1, 1)
            parts.append(expand(edge, tuple(hi if i == d else -1 for i in range(x.ndim))))
    else:
        if lo:
            parts.append(narrow(x, d, n - lo, lo))
        parts.append(x)
        if hi:
            parts.append(narrow(x, d, 0, hi))
    return Cat.apply(*parts, dim=d)


# ---- rearranging elements ----------------------------------------------------------------------
class Flip(Function):
    """y = x reversed along dims;  dx = dy reversed along the same dims"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        a = x.array
        return backend.namespace(a).flip(a, dims).copy() if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, dy):
        return Flip.apply(dy, ctx.dims)


def flip(x, *dims):
    """A copy of ``x`` with the order of elements reversed along ``dims``."""
    return Flip.apply(x, normalize_dims(_dims_arg(dims), x.ndim, "flip"))


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``dims``;  dx = dy shifted back"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        a = x.array
        return backend.namespace(a).roll(a, shifts, dims) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, dy):
        return Roll.apply(dy, tuple(-s for s in ctx.shifts), ctx.dims)


def roll(x, shifts, dims=None):
    """``x`` with elements shifted cyclically by ``shifts`` along ``dims`` (ints or tuples of equal
    length); without ``dims`` the flattened tensor is rolled and the shape restored."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    shifts = tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: 0; give "
                               "one dim per shift, or a single shift to roll the flattened tensor")
        return Reshape.apply(Roll.apply(flatten(x), shifts, (0,)), x.shape)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims) or not dims:
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    dims = tuple(normalize_dim(int(d), x.ndim, "roll") for d in dims)
    return Roll.apply(x, shifts, dims)


def repeat(x, *sizes):
    """``x`` tiled ``sizes[i]`` times along dimension i (``len(sizes) >= x.ndim``; extra sizes add
    leading dimensions). Shape: ``sizes[i] * x.shape[i]`` (x's shape padded with leading 1s)."""
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: number of dimensions of repeat dims ({len(sizes)}, {list(sizes)}) can not be "
                           f"smaller than number of dimensions of tensor ({x.ndim}, shape {tuple(x.shape)}); "
                           "use tile to repeat the trailing dimensions")
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    interleaved = tuple(n for s in shape for n in (1, s))
    target = tuple(n for r, s in zip(sizes, shape) for n in (r, s))
    out = Reshape.apply(Expand.apply(Reshape.apply(x, interleaved), target), tuple(r * s for r, s in zip(sizes, shape)))
    # PyTorch's repeat always copies; the reshape of the expanded array may still view x's memory
    return out.clone() if np.may_share_memory(out.array, x.array) else out


def tile(x, *dims):
    """``x`` repeated ``dims[i]`` times along each dimension; missing leading ``dims`` count as 1."""
    dims = _shape_arg(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


class Tri(Function):
    """y = x with the elements above (tril) or below (triu) the ``diagonal``-th diagonal zeroed;
    dx = dy masked the same way"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        a = x.array
        xp = backend.namespace(a)
        return xp.triu(a, diagonal) if upper else xp.tril(a, diagonal)

    @staticmethod
    def backward(ctx, dy):
        return Tri.apply(dy, ctx.diagonal, ctx.upper)


def _tri(name, upper):
    def fn(x, diagonal=0):
        if x.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got shape {tuple(x.shape)}")
        return Tri.apply(x, int(diagonal), upper)
    fn.__name__ = name
    fn.__doc__ = (f"The {'upper' if upper else 'lower'} triangle of the last two dimensions of ``x``: elements "
                  f"{'below' if upper else 'above'} the ``diagonal``-th diagonal (0: main, >0 above, <0 below) "
                  "are zero.")
    return fn


tril = _tri("tril", False)
triu = _tri("triu", True)


# ---- copies ------------------------------------------------------------------------------------
class Copy(Function):
    """y = a fresh copy of x;  dx = dy"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x):
        a = x.array
        return backend.namespace(a).ascontiguousarray(a).copy() if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, dy):
        return dy


def clone(x, memory_format=None):
    """A copy of ``x`` with its own memory; gradients flow back to ``x``."""
    return Copy.apply(x)


def contiguous(x, memory_format=None):
    """``x`` itself when its memory is row-major contiguous, else a contiguous copy."""
    if x.array.flags.c_contiguous:
        return x
    return Copy.apply(x)


METHODS = {"reshape": reshape, "view": view, "reshape_as": _reshape_as, "view_as": _reshape_as,
           "flatten": flatten, "unflatten": unflatten, "unsqueeze": unsqueeze, "squeeze": squeeze,
           "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to, "permute": permute,
           "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "movedim": movedim,
           "moveaxis": moveaxis, "split": split, "chunk": chunk, "unbind": unbind, "narrow": narrow,
           "flip": flip, "roll": roll, "repeat": repeat, "tile": tile, "tril": tril, "triu": triu,
           "clone": clone, "contiguous": contiguous}

"""Linear algebra: matrix products, einsum, and their derivatives.

``matmul`` is the one product Function; ``mm``, ``bmm``, ``dot`` and ``mv`` check PyTorch's stricter
shape rules and call it. ``einsum`` differentiates each operand with another einsum of the output
gradient and the other operands, so its gradients can be differentiated again.
"""
import string

import numpy as np

from .. import backend, parallel
from ..autograd.function import Function
from ..autograd.tensor import Tensor, wrap_array
from ._util import add_tangents, sum_to

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "einsum"]


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _same_dtype(op, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: expected both arguments to have the same dtype, but got {a.dtype} and "
                           f"{b.dtype}; convert one first (e.g. y.to(x.dtype))")
    if a.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool tensors; convert them first (x.float())")


class MatMul(Function):
    """z = x @ y (NumPy/PyTorch rules for 1-D and batched operands);
    dx = dz @ yᵀ,  dy = xᵀ @ dz  (batch dimensions summed back where they were broadcast)"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = x.array, y.array
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, but they are {a.ndim}D and "
                               f"{b.ndim}D (shapes {tuple(a.shape)} and {tuple(b.shape)}); use * for scalars")
        _same_dtype("matmul", a, b)
        k1, k2 = a.shape[-1], (b.shape[-2] if b.ndim > 1 else b.shape[0])
        if k1 != k2:
            m = a.shape[-2] if a.ndim > 1 else 1
            p = b.shape[-1] if b.ndim > 1 else 1
            raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                               f"({m}x{k1} and {k2}x{p}); the last dim of the first ({k1}) must equal the "
                               f"{'second-to-last' if b.ndim > 1 else 'only'} dim of the second ({k2})")
        batch_a, batch_b = a.shape[:-2], b.shape[:-2]
        try:
            np.broadcast_shapes(batch_a, batch_b)
        except ValueError:
            raise RuntimeError(f"matmul: the batch dimensions {tuple(batch_a)} and {tuple(batch_b)} of shapes "
                               f"{tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together (sizes must "
                               "match or be 1, aligned from the right)") from None
        ctx.save_for_backward(x, y)
        return parallel.matmul(a, b)

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.fw_inputs
        return add_tangents(tx @ y if tx is not None else None, x @ ty if ty is not None else None)

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        if x.ndim == 1 and y.ndim == 1:  # dot product: dz is 0-d
            return (dz * y if need_x else None), (dz * x if need_y else None)
        # promote 1-D operands to matrices the way forward did, then undo it
        x2 = x.unsqueeze(0) if x.ndim == 1 else x
        y2 = y.unsqueeze(-1) if y.ndim == 1 else y
        dz2 = dz.unsqueeze(-2) if x.ndim == 1 else dz
        dz2 = dz2.unsqueeze(-1) if y.ndim == 1 else dz2
        dx = dy = None
        if need_x:
            if x2.ndim == 2 and dz2.ndim > 2:  # one matrix against a batch: fold the batch into the product
                m, n = x2.shape
                rows = int(np.prod(dz2.shape[:-2])) * dz2.shape[-1]
                dx = dz2.movedim(-2, 0).reshape(m, rows) @ y2.mT.reshape(rows, n)
            else:
                dx = sum_to(dz2 @ y2.mT, x2.shape)
            dx = dx.reshape(x.shape)
        if need_y:
            if y2.ndim == 2 and dz2.ndim > 2:
                n, p = y2.shape
                rows = int(np.prod(x2.shape[:-1]))
                dy = x2.reshape(rows, n).mT @ dz2.reshape(rows, p)
            else:
                dy = sum_to(x2.mT @ dz2, y2.shape)
            dy = dy.reshape(y.shape)
        return dx, dy

    @staticmethod
    def raw_backward(ctx, dz):
        x, y = ctx.saved_arrays
        if x.ndim == 2 and y.ndim == 2:
            need_x, need_y = ctx.needs_input_grad[:2]
            return (parallel.matmul(dz, y.T) if need_x else None), (parallel.matmul(x.T, dz) if need_y else None)
        return MatMul.backward(ctx, wrap_array(dz))


def matmul(input, other):
    """Matrix product with broadcasting of batch dimensions (both arguments of one dtype).

    Shape: ``(n,)@(n,) -> ()``, ``(m, n)@(n,) -> (m,)``, ``(n,)@(n, p) -> (p,)``,
    ``(*b1, m, n)@(*b2, n, p) -> (*broadcast(b1, b2), m, p)``; a 1-D operand gets a dimension of
    size 1 added (in front for the first, at the end for the second) that is removed again."""
    return MatMul.apply(_tensor(input), _tensor(other))


def mm(input, mat2):
    """Product of two matrices (no broadcasting). Shape: ``(m, n) @ (n, p) -> (m, p)``."""
    for name, t in (("input", input), ("mat2", mat2)):
        if t.ndim != 2:
            raise RuntimeError(f"mm: {name} must be a matrix (2-D), got shape {tuple(t.shape)}; use matmul for "
                               "vectors and batches")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of 3-D tensors with equal batch sizes (no broadcasting).

    Shape: ``(b, m, n) @ (b, n, p) -> (b, m, p)``."""
    for name, t in (("input", input), ("mat2", mat2)):
        if t.ndim != 3:
            raise RuntimeError(f"bmm: {name} must be a 3-D tensor, got shape {tuple(t.shape)}; use matmul to "
                               "broadcast")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: expected mat2 of shape [{input.shape[0]}, {input.shape[2]}, p] for input of "
                           f"shape {list(input.shape)}, but got {list(mat2.shape)}")
    return matmul(input, mat2)


def mv(input, vec):
    """Matrix-vector product. Shape: ``(m, n) @ (n,) -> (m,)``."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {tuple(input.shape)} and "
                           f"{tuple(vec.shape)}")
    return matmul(input, vec)


def dot(input, other):
    """Dot product of two 1-D tensors of equal size and dtype. Shape: ``(n,), (n,) -> ()``."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors (shapes "
                           f"{tuple(input.shape)} and {tuple(other.shape)}); use matmul or inner")
    if input.shape != other.shape:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensors of the same number of elements, but "
                           f"got {input.shape[0]} and {other.shape[0]}")
    _same_dtype("dot", input.array, other.array)
    return matmul(input, other)


def inner(input, other):
    """Sum of products over the last dimension of both (a scalar operand multiplies).

    Shape: ``(*a, n), (*b, n) -> (*a, *b)``."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner: the last dimensions must match, got shapes {tuple(input.shape)} and "
                           f"{tuple(other.shape)}")
    return einsum("...i,...i->...", input.reshape(input.shape[:-1] + (1,) * (other.ndim - 1) + input.shape[-1:]),
                  other)


def outer(input, vec2):
    """Outer product of two 1-D tensors (PyTorch's type promotion). Shape: ``(n,), (m,) -> (n, m)``."""
    for name, t in (("input", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: expected 1-D argument {name}, but got {t.ndim}-D (shape {tuple(t.shape)})")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


# ---- einsum ------------------------------------------------------------------------------------
_LABELS = string.ascii_uppercase + string.ascii_lowercase


def _parse_einsum(equation, shapes):
    """``equation`` with every '...' spelled out as letters: (input subscripts, output subscripts)."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise RuntimeError(f"einsum(): the equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError(f"einsum(): fewer operands were provided ({len(shapes)}) than specified in the "
                           f"equation {equation!r} ({len(terms)})")
    if len(terms) < len(shapes):
        raise RuntimeError(f"einsum(): more operands were provided ({len(shapes)}) than specified in the "
                           f"equation {equation!r} ({len(terms)})")
    for part in terms + ([rhs] if arrow else []):
        body = part.replace("...", "", 1)
        if "." in body:
            raise RuntimeError(f"einsum(): invalid '.' in {part!r} of {equation!r}: an ellipsis is written '...' "
                               "and may appear once per operand")
        for c in body:
            if c not in _LABELS:
                raise RuntimeError(f"einsum(): invalid subscript {c!r} in the equation {equation!r}; subscripts "
                                   "must be in [a-zA-Z]")
    ell_ndim = 0
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." not in term and named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({len(shape)}) for operand {i} (shape {tuple(shape)}) and no "
                               "ellipsis was given")
        if "..." in term:
            if named > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more than the "
                                   f"number of dimensions ({len(shape)}) for operand {i} (shape {tuple(shape)})")
            ell_ndim = max(ell_ndim, len(shape) - named)
    free = [c for c in _LABELS if c not in eq]
    if ell_ndim > len(free):
        raise RuntimeError(f"einsum(): the equation {equation!r} needs more than {len(_LABELS)} subscripts")
    ell = "".join(free[:ell_ndim])
    inputs = [term.replace("...", ell[ell_ndim - (len(shape) - len(term) + 3):] if "..." in term else "")
              for term, shape in zip(terms, shapes)]
    if arrow:
        output = rhs.replace("...", ell)
        for c in output:
            if output.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output of "
                                   f"{equation!r}")
            if not any(c in s for s in inputs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   f"operand of {equation!r}")
    else:
        named = "".join(t.replace("...", "") for t in terms)
        output = ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return inputs, output


def _label_sizes(inputs, shapes, equation):
    """The size of each subscript after broadcasting, checking PyTorch's rules."""
    sizes = {}
    for i, (term, shape) in enumerate(zip(inputs, shapes)):
        mine = {}
        for c, n in zip(term, shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} (shape {tuple(shape)}) "
                                   f"but the sizes don't match, {n} != {mine[c]}")
            mine[c] = n
        for c, n in mine.items():
            seen = sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} (shape {tuple(shape)}) "
                                   f"which does not broadcast with previously seen size {seen} in {equation!r}")
            sizes[c] = n if seen == 1 else seen
    return sizes


class Einsum(Function):
    """z = einsum(subscripts, x₀, x₁, ...);
    dxᵢ = einsum(output, other operands -> subscripts of xᵢ) of dz, spread onto the diagonal where
    xᵢ repeats a subscript and broadcast where only xᵢ has it"""

    @staticmethod
    def forward(ctx, inputs, output, *xs):
        arrays = [x.array for x in xs]
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*xs)
        spec = ",".join(inputs) + "->" + output
        xp = backend.namespace(arrays[0])
        return xp.asarray(xp.einsum(spec, *arrays, optimize=len(arrays) > 1))

    @staticmethod
    def backward(ctx, dz):
        xs = ctx.saved_tensors
        inputs, output = ctx.inputs, ctx.output
        used = set(output).union(*inputs)
        spare = iter(c for c in _LABELS if c not in used)
        grads = [None, None]
        for i, x in enumerate(xs):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            term = inputs[i]
            others = [j for j in range(len(xs)) if j != i]
            elsewhere = set(output).union(*[inputs[j] for j in others])
            kept = "".join(c for k, c in enumerate(term) if c in elsewhere and term.index(c) == k)
            g = _einsum([output] + [inputs[j] for j in others], kept, dz, *[xs[j] for j in others])
            # subscripts only x has were summed in forward: broadcast back; repeated ones: the diagonal
            target, extra_terms, extra = "", [], []
            xp = backend.namespace(x.array)
            for k, c in enumerate(term):
                if term.index(c) != k:
                    f = next(spare)
                    target += f
                    extra_terms.append(c + f)
                    extra.append(wrap_array(xp.eye(x.shape[k], dtype=x.dtype)))
                else:
                    target += c
                    if c not in elsewhere:
                        extra_terms.append(c)
                        extra.append(wrap_array(xp.ones(x.shape[k], dtype=x.dtype)))
            if extra or target != kept:
                g = _einsum([kept] + extra_terms, target, g, *extra)
            if g.shape != x.shape:  # a subscript broadcast in forward: expand or sum back to x's size
                g = sum_to(g.expand(np.broadcast_shapes(g.shape, x.shape)), x.shape)
            grads.append(g)
        return tuple(grads)


def _einsum(inputs, output, *xs):
    return Einsum.apply(tuple(inputs), output, *xs)


def einsum(equation, *operands):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``. Subscripts are letters; '...'
    stands for the remaining (broadcast) dimensions; without '->' the output holds, in alphabetical
    order after the '...' dimensions, the subscripts that appear once. Subscripts repeated within
    an operand take its diagonal; subscripts missing from the output are summed. Operands may also
    be given as one list. All operands must have the same dtype."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(_tensor(x) for x in operands)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for x in operands[1:]:
        if x.dtype != operands[0].dtype:
            raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got "
                               f"{[str(o.dtype) for o in operands]}; convert them first (x.to(dtype))")
    shapes = [x.shape for x in operands]
    inputs, output = _parse_einsum(equation, shapes)
    _label_sizes(inputs, shapes, equation)
    return Einsum.apply(tuple(inputs), output, *operands)


METHODS = {"matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "inner": inner, "outer": outer}

"""``autograd.functional``: derivatives of a whole function at a point, PyTorch's API.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` take a function of tensors and the
point (a tensor or a tuple of tensors) and return derivatives shaped like PyTorch's. Everything is
built on reverse mode (``autograd.grad``): a Jacobian is one vector-Jacobian product per output
element, a Jacobian-vector product is the double-backward trick (the vjp of the vjp), and
``strategy="forward-mode"`` runs the dual numbers of ``forward_ad`` instead, one input direction at
a time. ``vectorize`` is accepted and gives the same numbers: glassgrad computes the rows one by one
either way.
"""
import numpy as np

from .function import Function
from .grad_mode import enable_grad
from .gradients import grad as _grad
from .tensor import Tensor, wrap_array

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

grad = _grad  # ``autograd.grad``, importable from here too (glassgrad code did, before it moved)


# ---- argument handling -------------------------------------------------------------------------
def _as_tuple(x, arg, fn):
    """``(is_tuple, tuple_of_tensors)``, with PyTorch's TypeError for anything but tensors."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"{arg}[{i}]" if is_tuple else arg
            raise TypeError(f"{fn}: the {where} given must be a Tensor (or a tuple of Tensors), not "
                            f"{type(t).__name__}")
    return is_tuple, items


def _grad_inputs(inputs, create_graph):
    """Inputs to differentiate: a differentiable view when the caller's graph must reach back through
    them (``create_graph`` and the input already requires grad), else a fresh leaf."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_()
                 for t in inputs)


def _check_outputs(outputs, fn):
    is_tuple, outs = _as_tuple(outputs, "output of the user-provided function", fn)
    return is_tuple, outs


def _zeros_like(t):
    return wrap_array(np.zeros_like(t.array)) if type(t.array) is np.ndarray else t.detach() * 0


def _vjp_of(outs, inputs, vs, create_graph, strict, fn, retain_graph=True):
    """vᵀJ for each input (zeros, or an error under ``strict``, for inputs the outputs do not use)."""
    pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not pairs:
        grads = (None,) * len(inputs)
    else:
        grads = _grad([o for o, _ in pairs], list(inputs), [v for _, v in pairs],
                      retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
    result = []
    for i, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the output of the user-provided function is independent of input "
                                   f"{i}. This is not allowed in strict mode; pass strict=False to get zeros")
            g = _zeros_like(x)
        result.append(g)
    return tuple(result)


def _detached(items, create_graph):
    return items if create_graph else tuple(t.detach() for t in items)


def _shaped(is_tuple, items):
    return tuple(items) if is_tuple else items[0]


def _run(func, inputs, fn):
    with enable_grad():
        out = func(*inputs)
    return _check_outputs(out, fn) + (out,)


def _check_v(v, like, arg, fn, what):
    """``v`` as a tuple matching ``like`` (None allowed only when every tensor of ``like`` has one
    element: then it is 1)."""
    if v is None:
        if any(t.numel() != 1 for t in like):
            raise RuntimeError(f"{fn}: the vector v can only be None if the {what} contains a single "
                               f"element; got shapes {[tuple(t.shape) for t in like]}. Pass v shaped like it")
        return tuple(wrap_array(np.ones(t.shape, t.dtype)) for t in like)
    _, vs = _as_tuple(v, arg, fn)
    if len(vs) != len(like):
        raise RuntimeError(f"{fn}: v has {len(vs)} tensors but the {what} has {len(like)}; pass one per tensor")
    for i, (a, b) in enumerate(zip(vs, like)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{fn}: entry {i} of v has shape {tuple(a.shape)} but entry {i} of the {what} "
                               f"has shape {tuple(b.shape)}; they must match")
    return vs


# ---- vjp, jvp ----------------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀ·J)``: the outputs of ``func`` and the vector-Jacobian product with ``v``
    (shaped like the outputs; may be None when the output has one element). The product is shaped
    like ``inputs`` (a tensor or a tuple, as given)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        xs = _grad_inputs(inputs, create_graph)
        out_tuple, outs, _ = _run(func, xs, "vjp")
        vs = _check_v(v, outs, "v", "vjp", "output of the user-provided function")
        grads = _vjp_of(outs, xs, vs, create_graph, strict, "vjp")
    return _shaped(out_tuple, _detached(outs, create_graph)), _shaped(in_tuple, _detached(grads, create_graph))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J·v)``: the outputs of ``func`` and the Jacobian-vector product with ``v``
    (shaped like the inputs; may be None when the input has one element), computed with the
    double-backward trick: J·v is the gradient, with respect to a dummy u, of (uᵀJ)·v."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        vs = _check_v(v, inputs, "v", "jvp", "input")
        xs = _grad_inputs(inputs, create_graph)
        out_tuple, outs, _ = _run(func, xs, "jvp")
        us = tuple(wrap_array(np.zeros(o.shape, o.dtype)).requires_grad_() for o in outs)
        g = _vjp_of(outs, xs, us, True, strict, "jvp")
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if pairs:
            jv = _grad([gi for gi, _ in pairs], list(us), [vi for _, vi in pairs],
                       create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
        result = []
        for i, (j, o) in enumerate(zip(jv, outs)):
            if j is None:
                if strict:
                    raise RuntimeError(f"jvp: output {i} of the user-provided function is independent of the "
                                       "input. This is not allowed in strict mode; pass strict=False")
                j = _zeros_like(o)
            result.append(j)
    return _shaped(out_tuple, _detached(outs, create_graph)), _shaped(out_tuple, _detached(result, create_graph))


# ---- jacobian, hessian -------------------------------------------------------------------------
class _StackRows(Function):
    """y = the rows stacked along a new first dim;  d row_k = dy[k]"""

    @staticmethod
    def forward(ctx, *rows):
        return np.stack([r.array for r in rows])

    @staticmethod
    def backward(ctx, dy):
        return tuple(dy.unbind(0))


def _stack(rows, shape, create_graph):
    """The rows (one per output element) as one tensor of ``shape`` (output shape + input shape)."""
    if not rows:
        return wrap_array(np.zeros(shape))
    if create_graph:
        return _StackRows.apply(*rows).reshape(shape)
    return wrap_array(np.stack([r.array for r in rows]).reshape(shape))


def _reverse_jacobian(outs, xs, create_graph, strict, fn):
    """``jac[i][j]``: d outs[i] / d xs[j], one vjp per element of each output."""
    jac = []
    for i, o in enumerate(outs):
        n = o.numel()
        rows = [[] for _ in xs]
        for k in range(n):
            basis = np.zeros(n, o.dtype)
            basis[k] = 1
            vs = [wrap_array(basis.reshape(o.shape)) if m == i else _zeros_like(other)
                  for m, other in enumerate(outs)]
            grads = _vjp_of(outs, xs, vs, create_graph, strict, fn)
            for j, g in enumerate(grads):
                rows[j].append(g.reshape(-1))
        jac.append(tuple(_stack(rows[j], tuple(o.shape) + tuple(x.shape), create_graph)
                         for j, x in enumerate(xs)))
    return jac


def _forward_jacobian(func, inputs, create_graph, fn):
    """``jac[i][j]`` by dual numbers: one forward pass per element of each input."""
    from . import forward_ad as fwAD
    with enable_grad():
        xs = tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach() for t in inputs)
        out_tuple, outs, _ = _run(func, xs, fn)
    cols = [[[] for _ in xs] for _ in outs]
    for j, x in enumerate(xs):
        n = x.numel()
        for k in range(n):
            basis = np.zeros(n, x.dtype)
            basis[k] = 1
            with fwAD.dual_level(), enable_grad():
                duals = [fwAD.make_dual(t, wrap_array(basis.reshape(x.shape)) if m == j else _zeros_like(t))
                         for m, t in enumerate(xs)]
                res = func(*duals)
                res = res if isinstance(res, (tuple, list)) else (res,)
                for i, r in enumerate(res):
                    tangent = fwAD.unpack_dual(r).tangent
                    cols[i][j].append((tangent if tangent is not None else _zeros_like(r)).reshape(-1))
    jac = []
    for i, o in enumerate(outs):
        row = []
        for j, x in enumerate(xs):
            stacked = _stack(cols[i][j], (x.numel(), o.numel()), create_graph)
            row.append(stacked.t().reshape(tuple(o.shape) + tuple(x.shape)))
        jac.append(tuple(row))
    return out_tuple, jac


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a tensor of shape
    ``output.shape + input.shape``; tuples of them when ``inputs`` or the output is a tuple
    (``jac[i][j]`` = d output i / d input j). ``strategy`` is "reverse-mode" (one vjp per output
    element) or "forward-mode" (dual numbers, one jvp per input element)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f'jacobian: expected strategy to be either "forward-mode" or "reverse-mode", got '
                         f"{strategy!r}")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if strategy == "forward-mode":
        if strict:
            raise RuntimeError("jacobian: strict=True is not supported with strategy='forward-mode'; "
                               "use strategy='reverse-mode'")
        out_tuple, jac = _forward_jacobian(func, inputs, create_graph, "jacobian")
    else:
        with enable_grad():
            xs = _grad_inputs(inputs, create_graph)
            out_tuple, outs, _ = _run(func, xs, "jacobian")
            jac = _reverse_jacobian(outs, xs, create_graph, strict, "jacobian")
    jac = [_detached(row, create_graph) for row in jac]
    rows = [_shaped(in_tuple, row) for row in jac]
    return _shaped(out_tuple, rows)


def _scalar_output(func, fn):
    def scalar(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor):
            raise RuntimeError(f"{fn}: the function given must return a single Tensor, got "
                               f"{type(out).__name__}")
        if out.numel() != 1:
            raise RuntimeError(f"{fn}: the function given must return a Tensor with a single element, got "
                               f"shape {tuple(out.shape)}")
        return out
    return scalar


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``: a tensor of shape
    ``input.shape + input.shape`` for one input, ``h[i][j]`` (d² / dinput_i dinput_j) for a tuple.
    The inner derivative is reverse mode; the outer one follows ``outer_jacobian_strategy``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    scalar = _scalar_output(func, "hessian")

    def gradient(*xs):
        with enable_grad():
            ys = _grad_inputs(xs, True)
            out = scalar(*ys)
            return _vjp_of((out.reshape(()),), ys, (wrap_array(np.ones((), out.dtype)),), True, strict, "hessian")

    result = jacobian(gradient, inputs if in_tuple else inputs[0], create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return result if in_tuple else result[0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀ·H)``: the scalar function's value and the vector-Hessian product."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        vs = _check_v(v, inputs, "v", "vhp", "input")
        xs = _grad_inputs(inputs, create_graph)
        out = _scalar_output(func, "vhp")(*xs)
        g = _vjp_of((out,), xs, (wrap_array(np.ones(out.shape, out.dtype)),), True, strict, "vhp")
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        res = _grad([p for p, _ in pairs], list(xs), [q for _, q in pairs], create_graph=create_graph,
                    allow_unused=True) if pairs else (None,) * len(xs)
        res = tuple(r if r is not None else _zeros_like(x) for r, x in zip(res, xs))
        if strict and any(r is None for r in res):
            raise RuntimeError("vhp: the Hessian is independent of an input; not allowed in strict mode")
    return (out if create_graph else out.detach()), _shaped(in_tuple, _detached(res, create_graph))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H·v)``: the scalar function's value and the Hessian-vector product (the
    double-backward trick, as PyTorch; equal to ``vhp`` for twice continuously differentiable
    functions, whose Hessian is symmetric)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        vs = _check_v(v, inputs, "v", "hvp", "input")
        xs = _grad_inputs(inputs, create_graph)
        out = _scalar_output(func, "hvp")(*xs)
        g = _vjp_of((out,), xs, (wrap_array(np.ones(out.shape, out.dtype)),), True, strict, "hvp")
        us = tuple(wrap_array(np.zeros(x.shape, x.dtype)).requires_grad_() for x in xs)
        gu = [gi for gi in g if gi.requires_grad]
        if not gu:
            res = tuple(_zeros_like(x) for x in xs)
        else:
            # uᵀ(∂g/∂x) summed over the gradients: its gradient with respect to x at u is Hu... here
            # d/du of (Σ ⟨d(g·u)/dx, v⟩) = H v, with u a dummy that the result does not depend on
            w = _grad(gu, list(xs), [u for gi, u in zip(g, us) if gi.requires_grad], create_graph=True,
                      allow_unused=True)
            pairs = [(wi, vi) for wi, vi in zip(w, vs) if wi is not None and wi.requires_grad]
            res = _grad([p for p, _ in pairs], list(us), [q for _, q in pairs], create_graph=create_graph,
                        allow_unused=True) if pairs else (None,) * len(us)
            res = tuple(r if r is not None else _zeros_like(x) for r, x in zip(res, xs))
    return (out if create_graph else out.detach()), _shaped(in_tuple, _detached(res, create_graph))

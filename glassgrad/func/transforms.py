"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``: PyTorch's
function transforms (``torch.func``), on glassgrad's autograd.

Each takes a function and returns a function. Arguments may be tensors or nested tuples, lists and
dicts of them (the parameters of ``functional_call``, say), and derivatives come back in the same
structure. They compose: an input that already requires grad (an outer transform's, or the
caller's) keeps its graph, so ``grad(grad(f))`` and ``jacrev(jacrev(f))`` work, and so does
``vmap(grad(f))`` (per-sample gradients, run batched). ``jacfwd`` and ``jvp`` use forward-mode dual
numbers (``autograd.forward_ad``); ``hessian`` is reverse over reverse.
"""
import functools

import numpy as np

from ..autograd import forward_ad as fwAD
from ..autograd.grad_mode import enable_grad, state
from ..autograd.gradients import grad as _autograd_grad
from ..autograd.tensor import Tensor, wrap_array
from ..ops.shape import stack
from ._pytree import tree_flatten, tree_unflatten
from .batched import BatchedTensor, NeedsLoop, batched
from .vmap import current_batch_size

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# ---- helpers -----------------------------------------------------------------------------------
def _check_argnums(argnums, nargs, fn):
    many = isinstance(argnums, (tuple, list))
    nums = tuple(argnums) if many else (argnums,)
    if many and not nums:
        raise RuntimeError(f"{fn}: argnums must be non-empty")
    for n in nums:
        if not isinstance(n, int):
            raise RuntimeError(f"{fn}: argnums must be int or Tuple[int, ...], got {type(n).__name__}")
        if not -nargs <= n < nargs:
            raise RuntimeError(f"{fn}: Got argnums={n}, but only {nargs} positional inputs; use an index in "
                               f"[-{nargs}, {nargs})")
    return many, tuple(n % nargs for n in nums)


def _composing(leaves):
    """True when results must stay differentiable: an input already requires grad (an outer
    transform or the caller differentiates through this one)."""
    return any(isinstance(x, Tensor) and x.requires_grad for x in leaves)


def _leaf(x, size):
    """The tensor to differentiate at: a differentiable view when ``x`` already requires grad (so
    that outer derivatives reach through), else a fresh leaf. Under vmap's fast path every input
    becomes batched, so that its gradient is per sample."""
    if isinstance(x, Tensor) and x.dtype.kind not in "fc":
        raise RuntimeError(f"only Tensors of floating point dtype can require gradients; got an argument of "
                           f"dtype {x.dtype}; convert it or leave it out of argnums")
    if size is not None and not isinstance(x, BatchedTensor):
        x = batched(x.unsqueeze(0).expand((size,) + tuple(x.shape)).contiguous())
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_()


def _no_forward_ad(leaves, fn):
    if state.fw_level and any(fwAD.tangent_of(x) is not None for x in leaves):
        raise RuntimeError(f"{fn}: reverse mode inside forward mode (jacfwd/jvp of {fn}) is not supported; "
                           "use reverse over reverse (jacrev(jacrev(f)), hessian) instead")


def _physical(t):
    return t._phys if isinstance(t, BatchedTensor) else t


def _vjp_leaves(outs, leaves, cotangents, create_graph, retain_graph):
    """vᵀJ for each leaf (zeros for leaves the outputs do not use), through the physical tensors."""
    pairs = [(_physical(o), _physical(v)) for o, v in zip(outs, cotangents)
             if isinstance(o, Tensor) and o.requires_grad]
    if pairs:
        grads = _autograd_grad([o for o, _ in pairs], [_physical(x) for x in leaves], [v for _, v in pairs],
                               retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
    else:
        grads = (None,) * len(leaves)
    out = []
    for g, x in zip(grads, leaves):
        if g is None:
            g = wrap_array(np.zeros(_physical(x).shape, x.dtype))
        out.append(batched(g) if isinstance(x, BatchedTensor) else g)
    return out


def _detach_tree(tree, keep):
    if keep:
        return tree
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)


def _prepare(args, argnums, fn):
    """Differentiable copies of the ``argnums`` arguments: ``(args, diff leaves, specs, many,
    composing)``."""
    many, nums = _check_argnums(argnums, len(args), fn)
    size = current_batch_size()
    args = list(args)
    specs, diff = [], []
    all_leaves = []
    for n in nums:
        leaves, spec = tree_flatten(args[n])
        all_leaves += leaves
        for x in leaves:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{fn}: expected argument {n} to be a Tensor or a tree of Tensors, got a leaf "
                                   f"of type {type(x).__name__}")
        _no_forward_ad(leaves, fn)
        new = [_leaf(x, size) for x in leaves]
        args[n] = tree_unflatten(new, spec)
        specs.append((spec, len(new)))
        diff += new
    return args, diff, specs, many, _composing(all_leaves)


def _regroup(flat, specs, many):
    out, i = [], 0
    for spec, n in specs:
        out.append(tree_unflatten(flat[i:i + n], spec))
        i += n
    return tuple(out) if many else out[0]


# ---- grad, grad_and_value ----------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient, value)`` of the scalar function ``func`` (``(gradient,
    (value, aux))`` with ``has_aux``). The gradient is taken with respect to the ``argnums``
    arguments (a tuple of them for a tuple of argnums), in their structure."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with enable_grad():
            args, diff, specs, many, composing = _prepare(args, argnums, "grad_and_value")
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: "
                                       "(output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out).__name__}")
            if out.numel() != 1:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.ndim} dims (shape {tuple(out.shape)}). Maybe you wanted "
                                   "to use the vjp or jacrev APIs instead?")
            one = wrap_array(np.ones(_physical(out).shape, out.dtype))
            grads = _vjp_leaves([out], diff, [one], composing, composing)
        value = out if composing else out.detach()
        grads = _regroup(grads, specs, many)
        if has_aux:
            return grads, (value, _detach_tree(aux, composing))
        return grads, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of the scalar function ``func`` with respect to its
    ``argnums`` arguments (``(gradient, aux)`` with ``has_aux``)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = gv(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


# ---- vjp ---------------------------------------------------------------------------------------
def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux`` with ``has_aux``): ``vjp_fn(cotangents)`` returns
    the vector-Jacobian product for each primal, as a tuple; it can be called many times."""
    if current_batch_size() is not None:
        raise NeedsLoop()
    with enable_grad():
        args, diff, specs, _, composing = _prepare(primals, tuple(range(len(primals))), "vjp")
        out = func(*args)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: (output, aux) "
                                   "if has_aux is True")
            out, aux = out
    out_leaves, out_spec = tree_flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp(f, *primals): expected f(*primals) to return only tensors, got "
                               f"{type(o).__name__}")

    def vjp_fn(cotangents):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function: {len(ct_leaves)} cotangents for {len(out_leaves)} outputs")
        for c, o in zip(ct_leaves, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {tuple(c.shape)} and output "
                                   f"has a shape of {tuple(o.shape)}")
        keep = composing or any(c.requires_grad for c in ct_leaves)
        with enable_grad():
            grads = _vjp_leaves(out_leaves, diff, ct_leaves, keep, True)
        grads = [g if keep else g.detach() for g in grads]
        return tuple(_regroup(grads, specs, True))

    out = _detach_tree(out, composing)
    return (out, vjp_fn, _detach_tree(aux, composing)) if has_aux else (out, vjp_fn)


# ---- jvp (forward mode) ------------------------------------------------------------------------
def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J·tangents)`` (and ``aux``), by forward-mode dual numbers."""
    if current_batch_size() is not None:
        raise NeedsLoop()
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")
    with fwAD.dual_level():
        p_leaves, p_spec = tree_flatten(list(primals))
        t_leaves, _ = tree_flatten(list(tangents))
        if len(p_leaves) != len(t_leaves):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same "
                               f"python structure; got {len(p_leaves)} primals and {len(t_leaves)} tangents")
        for p, t in zip(p_leaves, t_leaves):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have the same "
                                   f"shape, got {tuple(p.shape)} and {tuple(t.shape)}")
        duals = [fwAD.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
        out = func(*tree_unflatten(duals, p_spec))
        aux = None
        if has_aux:
            out, aux = out
        o_leaves, o_spec = tree_flatten(out)
        primal_out, tangent_out = [], []
        for o in o_leaves:
            p, t = fwAD.unpack_dual(o)
            primal_out.append(p)
            tangent_out.append(t if t is not None else wrap_array(np.zeros(o.shape, o.dtype)))
    result = (tree_unflatten(primal_out, o_spec), tree_unflatten(tangent_out, o_spec))
    return result + (aux,) if has_aux else result


# ---- Jacobians ---------------------------------------------------------------------------------
def _jacobian_tree(out_leaves, out_spec, diff, specs, many, rows_of):
    """For each output leaf, the Jacobian with respect to each argnums leaf, arranged as the
    output tree of (argnums tree) of tensors of shape output.shape + input.shape."""
    per_out = []
    for i, o in enumerate(out_leaves):
        jac = [rows_of(i, j).reshape(tuple(o.shape) + tuple(x.shape)) for j, x in enumerate(diff)]
        per_out.append(_regroup(jac, specs, many))
    return tree_unflatten(per_out, out_spec)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of ``func`` with respect to its ``argnums`` arguments, by
    reverse mode: one vector-Jacobian product per output element. For one tensor output and one
    argument the Jacobian has shape ``output.shape + input.shape``."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"jacrev: `chunk_size` should be greater than 0, got {chunk_size!r}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if current_batch_size() is not None:
            raise NeedsLoop()
        with enable_grad():
            args, diff, specs, many, composing = _prepare(args, argnums, "jacrev")
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                out, aux = out
            out_leaves, out_spec = tree_flatten(out)
            rows = {}
            for i, o in enumerate(out_leaves):
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"jacrev(f, ...)(*args): expected f(*args) to return only tensors, got "
                                       f"{type(o).__name__}")
                n = o.numel()
                per_arg = [[] for _ in diff]
                for k in range(n):
                    basis = np.zeros(n, o.dtype)
                    basis[k] = 1
                    cts = [wrap_array(basis.reshape(o.shape)) if m == i else wrap_array(np.zeros(p.shape, p.dtype))
                           for m, p in enumerate(out_leaves)]
                    for j, g in enumerate(_vjp_leaves(out_leaves, diff, cts, composing, True)):
                        per_arg[j].append(g.reshape(-1))
                for j, x in enumerate(diff):
                    rows[i, j] = stack(per_arg[j]) if per_arg[j] else wrap_array(np.zeros((0, x.numel()), x.dtype))

        def rows_of(i, j):
            r = rows[i, j]
            return r if composing else r.detach()
        jac = _jacobian_tree(out_leaves, out_spec, diff, specs, many, rows_of)
        return (jac, _detach_tree(aux, composing)) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """A function returning the Jacobian of ``func`` with respect to its ``argnums`` arguments, by
    forward mode: one Jacobian-vector product (dual numbers) per input element."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"jacfwd: only allowed values for randomness are 'error', 'different' and 'same'; "
                           f"got {randomness!r}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if current_batch_size() is not None:
            raise NeedsLoop()
        many, nums = _check_argnums(argnums, len(args), "jacfwd")
        args = list(args)
        flat = [(n, tree_flatten(args[n])) for n in nums]
        diff = [x for _, (leaves, _) in flat for x in leaves]
        specs = [(spec, len(leaves)) for _, (leaves, spec) in flat]
        cols = None
        out_leaves = out_spec = aux = None
        for j, x in enumerate(diff):
            n = x.numel()
            for k in range(n):
                basis = np.zeros(n, x.dtype)
                basis[k] = 1
                with fwAD.dual_level():
                    duals, pos = [], 0
                    call = list(args)
                    for m, (leaves, spec) in flat:
                        new = []
                        for leaf in leaves:
                            t = wrap_array(basis.reshape(x.shape)) if pos == j else wrap_array(np.zeros(leaf.shape, leaf.dtype))
                            new.append(fwAD.make_dual(leaf, t))
                            pos += 1
                        call[m] = tree_unflatten(new, spec)
                    out = func(*call, **kwargs)
                    if has_aux:
                        out, aux = out
                    leaves_o, out_spec = tree_flatten(out)
                    tangents = [fwAD.unpack_dual(o).tangent for o in leaves_o]
                    tangents = [t if t is not None else wrap_array(np.zeros(o.shape, o.dtype))
                                for t, o in zip(tangents, leaves_o)]
                    out_leaves = [fwAD.unpack_dual(o).primal for o in leaves_o]
                if cols is None:
                    cols = [[[] for _ in diff] for _ in out_leaves]
                for i, t in enumerate(tangents):
                    cols[i][j].append(t.reshape(-1))

        def rows_of(i, j):
            o, x = out_leaves[i], diff[j]
            if not cols[i][j]:
                return wrap_array(np.zeros((o.numel(), 0), o.dtype))
            return stack(cols[i][j]).t()
        jac = _jacobian_tree(out_leaves, out_spec, diff, specs, many, rows_of)
        return (jac, aux) if has_aux else jac
    return wrapper


def hessian(func, argnums=0):
    """A function returning the Hessian of the scalar function ``func`` with respect to its
    ``argnums`` arguments: the Jacobian of its gradient (reverse over reverse)."""
    return jacrev(jacrev(func, argnums), argnums)

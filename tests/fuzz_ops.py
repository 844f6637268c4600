"""The op table of the graph fuzzer (tests/test_fuzz.py): each op kind picks its operands from the
graph built so far, draws its parameters, and returns a function ``fn(L, *tensors)`` that runs the
same computation in ``L = glassgrad`` or ``L = torch`` (their APIs are the same).

Domains are kept valid by construction (log of ``x² + 0.5``, division by ``x² + 0.5``...), so that
every comparison is of finite float64 values, where the two libraries must agree to ~1e-10.
"""
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st


@dataclass
class Node:
    """One tensor of the graph: its shape and dtype, and the bookkeeping that keeps in-place ops
    where glassgrad and PyTorch agree (never on a view, nor on a tensor that has views)."""
    shape: tuple
    dtype: str = "float64"
    leaf: bool = False
    base: int = -1          # the node whose data a view shares (-1: owns its data)
    has_views: bool = False
    grad: bool = True       # requires grad (floating, connected to an input)


@dataclass
class Step:
    """``nodes[out] = fn(L, *[tensors of args])``; ``view`` marks a view of ``args[0]``; an
    ``inplace`` step changes ``args[0]`` (= ``out``)."""
    kind: str
    args: tuple
    fn: object
    view: bool = False
    inplace: bool = False
    out: int = -1


class Builder:
    """Draws a random graph: ``inputs`` (arrays of the leaves), ``nodes`` and ``steps``."""

    def __init__(self, data, rng, kinds):
        self.data, self.rng, self.kinds = data, rng, kinds
        self.nodes, self.steps, self.inputs = [], [], {}

    def draw(self, strategy, label=None):
        return self.data.draw(strategy, label=label)

    def shape(self, min_dims=0, max_dims=3, min_side=1, max_side=4):
        n = self.draw(st.integers(min_dims, max_dims))
        return tuple(self.draw(st.integers(min_side, max_side)) for _ in range(n))

    def new_input(self, shape, scale=1.0):
        """A new leaf of standard normal float64 values; returns its node id."""
        self.nodes.append(Node(tuple(shape), leaf=True))
        self.inputs[len(self.nodes) - 1] = self.rng.standard_normal(shape) * scale
        return len(self.nodes) - 1

    def pick(self, pred=lambda n: True, nonempty=False):
        """A node id satisfying ``pred`` (None when there is none); ``nonempty``: no size-0 dims."""
        ids = [i for i, n in enumerate(self.nodes) if n.dtype == "float64" and pred(n)
               and not (nonempty and 0 in n.shape)]
        return self.draw(st.sampled_from(ids)) if ids else None

    def broadcast_partner(self, shape):
        """A node whose shape broadcasts with ``shape`` (an existing one or a new input)."""
        if self.draw(st.booleans()):
            i = self.pick(lambda n: _broadcasts(n.shape, shape))
            if i is not None:
                return i
        k = self.draw(st.integers(0, len(shape)))
        other = tuple(1 if self.draw(st.integers(0, 3)) == 0 else s for s in shape[len(shape) - k:])
        if self.draw(st.integers(0, 5)) == 0:  # a leading dim the first operand lacks
            other = (self.draw(st.integers(1, 3)),) + other
        return self.new_input(other)

    def dim(self, ndim):
        return self.draw(st.integers(-ndim, ndim - 1)) if ndim else self.draw(st.sampled_from([0, -1]))

    def dims(self, ndim):
        """A random set of dims (maybe empty, maybe negative) for a multi-dim reduction."""
        if ndim == 0:
            return self.draw(st.sampled_from([0, -1, (0,)]))
        chosen = sorted(set(self.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))
        signed = tuple(d - ndim if self.draw(st.booleans()) else d for d in chosen)
        return signed[0] if len(signed) == 1 and self.draw(st.booleans()) else signed

    def weights(self, shape):
        return self.rng.standard_normal(shape)


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _pos(x):
    """A strictly positive smooth function of x (keeps log, sqrt, division... in their domain)."""
    return x * x + 0.5


# ---- unary element-wise ------------------------------------------------------------------------
UNARY = {
    "neg": lambda L, x: -x,
    "abs": lambda L, x: L.abs(x),
    "exp": lambda L, x: L.exp(x.clamp(-20, 20)),
    "expm1": lambda L, x: L.expm1(x),
    "log": lambda L, x: L.log(_pos(x)),
    "log1p": lambda L, x: L.log1p(_pos(x)),
    "sqrt": lambda L, x: L.sqrt(_pos(x)),
    "rsqrt": lambda L, x: L.rsqrt(_pos(x)),
    "reciprocal": lambda L, x: L.reciprocal(_pos(x)),
    "sin": lambda L, x: L.sin(x),
    "cos": lambda L, x: L.cos(x),
    "tanh": lambda L, x: L.tanh(x),
    "sigmoid": lambda L, x: L.sigmoid(x),
    "erf": lambda L, x: L.erf(x),
    "relu": lambda L, x: L.relu(x),
    "silu": lambda L, x: L.nn.functional.silu(x),
    "leaky_relu": lambda L, x: L.nn.functional.leaky_relu(x, 0.2),
    "elu": lambda L, x: L.nn.functional.elu(x, 0.7),
    "gelu": lambda L, x: L.nn.functional.gelu(x),
    "gelu_tanh": lambda L, x: L.nn.functional.gelu(x, approximate="tanh"),
    "softplus": lambda L, x: L.nn.functional.softplus(x, beta=1.5, threshold=3.0),
    "square": lambda L, x: x ** 2,
    "pow_scalar": lambda L, x: _pos(x) ** 1.7,
    "pow_half": lambda L, x: _pos(x) ** 0.5,
    "rpow": lambda L, x: 1.3 ** x,
    "clamp": lambda L, x: x.clamp(-0.5, 0.8),
    "clamp_min": lambda L, x: x.clamp(min=-0.3),
    "sign_mul": lambda L, x: L.sign(x) * x,
    "mul_scalar": lambda L, x: x * 2.5 - 1,
    "rsub_scalar": lambda L, x: 1 - x,
    "rdiv_scalar": lambda L, x: 2 / _pos(x),
    "tan": lambda L, x: L.tan(L.tanh(x) * 1.2),
    "asin": lambda L, x: L.asin(L.tanh(x) * 0.9),
    "acos": lambda L, x: L.acos(L.tanh(x) * 0.9),
    "atan": lambda L, x: L.atan(x),
    "sinh": lambda L, x: L.sinh(x.clamp(-5, 5)),
    "cosh": lambda L, x: L.cosh(x.clamp(-5, 5)),
    "asinh": lambda L, x: L.asinh(x),
    "acosh": lambda L, x: L.acosh(_pos(x) + 1),
    "atanh": lambda L, x: L.atanh(L.tanh(x) * 0.9),
    "exp2": lambda L, x: L.exp2(x.clamp(-20, 20)),
    "log2": lambda L, x: L.log2(_pos(x)),
    "log10": lambda L, x: L.log10(_pos(x)),
    "erfinv": lambda L, x: L.erfinv(L.tanh(x) * 0.9),
    "square_fn": lambda L, x: L.square(x),
    "frac": lambda L, x: L.frac(x * 3),
}
# the activations of torch.nn.functional added for issue 13 (continuous ones, or with kinks away
# from where random graphs land; second derivatives are checked too)
UNARY.update({
    "selu": lambda L, x: L.nn.functional.selu(x),
    "celu": lambda L, x: L.nn.functional.celu(x, 0.5),
    "softsign": lambda L, x: L.nn.functional.softsign(x),
    "mish": lambda L, x: L.nn.functional.mish(x),
    "hardswish": lambda L, x: L.nn.functional.hardswish(x * 4),
    "hardtanh": lambda L, x: L.nn.functional.hardtanh(x, -0.6, 0.9),
    "tanhshrink": lambda L, x: L.nn.functional.tanhshrink(x),
    "logsigmoid": lambda L, x: L.nn.functional.logsigmoid(x),
    "softshrink": lambda L, x: L.nn.functional.softshrink(x, 0.3),
})


def unary(b, kind):
    i = b.pick()
    return Step(kind, (i,), UNARY[kind]), b.nodes[i].shape


# ---- binary element-wise, broadcasting ---------------------------------------------------------
BINARY = {
    "add": lambda L, x, y: x + y,
    "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / _pos(y),
    "pow": lambda L, x, y: _pos(x) ** y.clamp(-2, 2),
    "maximum": lambda L, x, y: L.maximum(x, y),
    "minimum": lambda L, x, y: L.minimum(x, y),
    "where": lambda L, x, y: L.where(x > y, x, y * 2),
    "lerp": lambda L, x, y: L.lerp(x, y, 0.3),
    "clamp_tensor": lambda L, x, y: L.clamp(x, min=y),
    "remainder": lambda L, x, y: L.remainder(x, _pos(y)),
    "add_alpha": lambda L, x, y: L.add(x, y, alpha=-0.5),
    "atan2": lambda L, x, y: L.atan2(x, _pos(y)),
    "hypot": lambda L, x, y: L.hypot(x, _pos(y)),
    "logaddexp": lambda L, x, y: L.logaddexp(x, y),
    "fmod": lambda L, x, y: L.fmod(x, _pos(y)),
}


def binary(b, kind):
    i = b.pick()
    j = b.broadcast_partner(b.nodes[i].shape)
    if b.draw(st.booleans()):
        i, j = j, i
    return Step(kind, (i, j), BINARY[kind]), tuple(np.broadcast_shapes(b.nodes[i].shape, b.nodes[j].shape))


# ---- reductions over random dims, with keepdim -------------------------------------------------
def reduction(b, kind):
    i = b.pick(lambda n: len(n.shape) > 0 or kind in _ZERO_D_OK)
    if i is None:
        return None
    shape = b.nodes[i].shape
    nd = len(shape)
    keep = b.draw(st.booleans())
    if kind in ("sum", "mean", "amax", "amin", "logsumexp"):
        dims = b.dims(nd)
        fn = {"sum": lambda L, x: x.sum(dims, keepdim=keep), "mean": lambda L, x: x.mean(dims, keepdim=keep),
              "amax": lambda L, x: x.amax(dims, keepdim=keep), "amin": lambda L, x: x.amin(dims, keepdim=keep),
              "logsumexp": lambda L, x: L.logsumexp(x, dims, keepdim=keep)}[kind]
    elif kind in ("var", "std"):
        dims, corr = b.dims(nd), b.draw(st.sampled_from([0, 1]))
        fn = (lambda L, x: getattr(x, kind)(dims, correction=corr, keepdim=keep))
        n = int(np.prod([shape[d] for d in np.atleast_1d(dims)])) if nd else 1
        if n - corr <= 0 or (kind == "std" and n < 2):
            return None
    elif kind in ("max_dim", "min_dim", "prod", "cumsum", "softmax", "log_softmax"):
        d = b.dim(nd)
        fn = {"max_dim": lambda L, x: x.max(d, keepdim=keep)[0], "min_dim": lambda L, x: x.min(d, keepdim=keep)[0],
              "prod": lambda L, x: x.prod(d, keepdim=keep), "cumsum": lambda L, x: x.cumsum(d),
              "softmax": lambda L, x: L.softmax(x, d), "log_softmax": lambda L, x: L.log_softmax(x, d)}[kind]
    elif kind == "norm":
        p = b.draw(st.sampled_from([1, 2, 3, float("inf")]))
        dims = b.dims(nd) if nd else None
        fn = (lambda L, x: x.norm(p=p, dim=dims, keepdim=keep))
    elif kind == "sum_all":
        fn = (lambda L, x: x.sum())
    elif kind == "max_all":
        fn = (lambda L, x: x.max())
    else:
        raise KeyError(kind)
    return Step(kind, (i,), fn), _torch_shape(fn, shape)


_ZERO_D_OK = {"sum", "mean", "amax", "amin", "logsumexp", "max_dim", "min_dim", "prod", "cumsum", "softmax",
              "log_softmax", "norm", "sum_all", "max_all"}
REDUCTIONS = ("sum", "mean", "var", "std", "amax", "amin", "max_dim", "min_dim", "prod", "logsumexp", "norm",
              "cumsum", "softmax", "log_softmax", "sum_all", "max_all")


# ---- views and indexing ------------------------------------------------------------------------
def view(b, kind):
    i = b.pick(nonempty=True)
    shape = b.nodes[i].shape
    nd = len(shape)
    if kind == "reshape":
        n = int(np.prod(shape))
        target = list(_factor(b, n))
        if target and b.draw(st.booleans()):
            target[b.draw(st.integers(0, len(target) - 1))] = -1
        fn = (lambda L, x: x.reshape(tuple(target)))
    elif kind == "flatten":
        fn = (lambda L, x: x.flatten())
    elif kind == "transpose":
        if nd < 2:
            return None
        d0, d1 = b.dim(nd), b.dim(nd)
        fn = (lambda L, x: x.transpose(d0, d1))
    elif kind == "permute":
        perm = tuple(b.draw(st.permutations(range(nd))))
        fn = (lambda L, x: x.permute(perm))
    elif kind == "expand":
        new = tuple(b.draw(st.integers(1, 3)) if s == 1 else s for s in shape)
        lead = (b.draw(st.integers(1, 3)),) if b.draw(st.booleans()) else ()
        fn = (lambda L, x: x.expand(lead + new))
    elif kind == "squeeze":
        ones = [d for d, s in enumerate(shape) if s == 1]
        if not ones:
            return None
        d = b.draw(st.sampled_from(ones + [None]))
        fn = (lambda L, x: x.squeeze()) if d is None else (lambda L, x: x.squeeze(d))
    elif kind == "unsqueeze":
        d = b.draw(st.integers(-nd - 1, nd))
        fn = (lambda L, x: x.unsqueeze(d))
    elif kind == "slice":
        if nd == 0:
            return None
        key = tuple(_slice(b, s) for s in shape[:b.draw(st.integers(1, nd))])
        fn = (lambda L, x: x[key])
    elif kind == "index_int":
        if nd == 0:
            return None
        k = b.draw(st.integers(-shape[0], shape[0] - 1))
        rest = (_slice(b, shape[1]),) if nd > 1 and b.draw(st.booleans()) else ()
        fn = (lambda L, x: x[(k,) + rest])
    elif kind == "narrow":
        if nd == 0:
            return None
        d = b.dim(nd)
        size = shape[d]
        start = b.draw(st.integers(0, size - 1))
        length = b.draw(st.integers(1, size - start))
        fn = (lambda L, x: x.narrow(d, start, length))
    elif kind == "movedim":
        if nd == 0:
            return None
        s, t = b.dim(nd), b.dim(nd)
        fn = (lambda L, x: x.movedim(s, t))
    elif kind == "unbind":
        if nd == 0:
            return None
        d, k = b.dim(nd), None
        k = b.draw(st.integers(0, shape[d] - 1))
        fn = (lambda L, x: x.unbind(d)[k])
    elif kind == "chunk":
        if nd == 0:
            return None
        import torch
        d = b.dim(nd)
        n = b.draw(st.integers(1, 3))
        k = b.draw(st.integers(0, len(torch.zeros(shape).chunk(n, d)) - 1))
        fn = (lambda L, x: x.chunk(n, d)[k])
    else:
        raise KeyError(kind)
    return Step(kind, (i,), fn, view=True), _torch_shape(fn, shape)


VIEWS = ("reshape", "flatten", "transpose", "permute", "expand", "squeeze", "unsqueeze", "slice", "index_int",
         "narrow", "movedim", "unbind", "chunk")


def _factor(b, n):
    """A random shape with ``n`` elements (sizes from n's factorization, in random groups)."""
    factors, m, p = [], n, 2
    while m > 1 and p <= m:
        while m % p == 0:
            factors.append(p)
            m //= p
        p += 1
    out = []
    for f in factors:
        if out and b.draw(st.booleans()):
            out[-1] *= f
        else:
            out.append(f)
    while b.draw(st.integers(0, 4)) == 0:
        out.insert(b.draw(st.integers(0, len(out))), 1)
    return out


def _slice(b, size):
    start = b.draw(st.integers(-size, size - 1))
    step = b.draw(st.integers(1, 2))
    stop = b.draw(st.one_of(st.none(), st.integers(-size, size)))
    return slice(start, stop, step)


def _torch_shape(fn, *shapes):
    import torch
    return tuple(fn(torch, *[torch.zeros(s, dtype=torch.float64) for s in shapes]).shape)


# ---- advanced indexing (copies) ----------------------------------------------------------------
def advanced(b, kind):
    i = b.pick(lambda n: len(n.shape) > 0, nonempty=True)
    if i is None:
        return None
    shape = b.nodes[i].shape
    if kind == "index_array":
        idx = b.rng.integers(-shape[0], shape[0], size=b.draw(st.integers(1, 5)))
        rest = (slice(None, None, b.draw(st.integers(1, 2))),) if len(shape) > 1 and b.draw(st.booleans()) else ()
        fn = (lambda L, x: x[(L.tensor(idx),) + rest])
    elif kind == "index_mask":
        mask = b.rng.random(shape[:b.draw(st.integers(1, len(shape)))]) < 0.5
        fn = (lambda L, x: x[L.tensor(mask)])
    elif kind == "gather":
        d = b.dim(len(shape))
        ishape = tuple(b.draw(st.integers(1, s)) if k != d % len(shape) else b.draw(st.integers(1, 4))
                       for k, s in enumerate(shape))
        idx = b.rng.integers(0, shape[d], size=ishape)
        fn = (lambda L, x: L.gather(x, d, L.tensor(idx)))
    elif kind == "index_select":
        d = b.dim(len(shape))
        idx = b.rng.integers(0, shape[d], size=b.draw(st.integers(1, 4)))
        fn = (lambda L, x: L.index_select(x, d, L.tensor(idx)))
    elif kind == "masked_fill":
        mask = b.rng.random(shape) < 0.3
        fn = (lambda L, x: x.masked_fill(L.tensor(mask), 0.25))
    elif kind == "flip":
        d = b.dim(len(shape))
        fn = (lambda L, x: x.flip(d))
    elif kind == "roll":
        d = b.dim(len(shape))
        k = b.draw(st.integers(-3, 3))
        fn = (lambda L, x: x.roll(k, d))
    elif kind == "repeat":
        reps = tuple(b.draw(st.integers(1, 2)) for _ in range(len(shape) + b.draw(st.integers(0, 1))))
        fn = (lambda L, x: x.repeat(*reps))
    elif kind == "tril":
        if len(shape) < 2:
            return None
        k = b.draw(st.integers(-1, 1))
        fn = (lambda L, x: x.tril(k)) if b.draw(st.booleans()) else (lambda L, x: x.triu(k))
    elif kind == "clone":
        fn = (lambda L, x: x.clone())
    else:
        raise KeyError(kind)
    return Step(kind, (i,), fn), _torch_shape(fn, shape)


ADVANCED = ("index_array", "index_mask", "gather", "index_select", "masked_fill", "flip", "roll", "repeat",
            "tril", "clone")


# ---- matrix products ---------------------------------------------------------------------------
def matmul(b, kind):
    m, k, n = (b.draw(st.integers(1, 4)) for _ in range(3))
    batch = tuple(b.draw(st.integers(1, 3)) for _ in range(b.draw(st.integers(0, 2))))
    if kind == "matmul":
        form = b.draw(st.sampled_from(["vv", "mv", "vm", "mm", "bmm", "broadcast"]))
        sa = {"vv": (k,), "mv": (m, k), "vm": (k,), "mm": (m, k), "bmm": batch + (m, k), "broadcast": (m, k)}[form]
        sb = {"vv": (k,), "mv": (k,), "vm": (k, n), "mm": (k, n), "bmm": batch + (k, n), "broadcast": batch + (k, n)}[form]
        fn = (lambda L, x, y: x @ y)
    elif kind == "bmm":
        bsz = b.draw(st.integers(1, 3))
        sa, sb = (bsz, m, k), (bsz, k, n)
        fn = (lambda L, x, y: L.bmm(x, y))
    elif kind == "einsum":
        eq, sa, sb = b.draw(st.sampled_from([
            ("ij,jk->ik", (m, k), (k, n)), ("bij,bjk->bik", (2, m, k), (2, k, n)), ("ij,ij->i", (m, k), (m, k)),
            ("i,j->ij", (m,), (n,)), ("ij->ji", (m, k), None), ("ii->i", (m, m), None), ("ij,kj->ik", (m, k), (n, k)),
            ("bij->b", (2, m, k), None), ("ij,j->i", (m, k), (k,))]))
        if sb is None:  # a transpose or diagonal: PyTorch returns a view
            i = _operand(b, sa)
            return Step(kind, (i,), lambda L, x: L.einsum(eq, x), view=True), _torch_shape(lambda L, x: L.einsum(eq, x), sa)
        fn = (lambda L, x, y: L.einsum(eq, x, y))
    elif kind == "linear":
        sa, sb = batch + (m, k), (n, k)
        bias = b.draw(st.booleans())
        if bias:
            i, j, c = _operand(b, sa), _operand(b, sb), _operand(b, (n,))
            f3 = (lambda L, x, w, bb: L.nn.functional.linear(x, w, bb))
            return Step(kind, (i, j, c), f3), batch + (m, n)
        fn = (lambda L, x, w: L.nn.functional.linear(x, w))
    else:
        raise KeyError(kind)
    i, j = _operand(b, sa), _operand(b, sb)
    return Step(kind, (i, j), fn), _torch_shape(fn, sa, sb)


MATMUL = ("matmul", "bmm", "einsum", "linear")


def _operand(b, shape):
    """An existing node of exactly ``shape`` (sometimes), else a new input."""
    if b.draw(st.booleans()):
        i = b.pick(lambda n: n.shape == tuple(shape))
        if i is not None:
            return i
    return b.new_input(tuple(shape))


# ---- joining -----------------------------------------------------------------------------------
def join(b, kind):
    i = b.pick(lambda n: len(n.shape) > 0 or kind == "stack", nonempty=True)
    if i is None:
        return None
    shape = b.nodes[i].shape
    count = b.draw(st.integers(1, 3))
    if kind == "cat":
        d = b.dim(len(shape))
        others = []
        for _ in range(count):
            s = list(shape)
            s[d] = b.draw(st.integers(1, 3))
            others.append(_operand(b, tuple(s)))
        fn = (lambda L, *xs: L.cat(xs, d))
    else:
        d = b.draw(st.integers(-len(shape) - 1, len(shape)))
        others = [_operand(b, shape) for _ in range(count)]
        fn = (lambda L, *xs: L.stack(xs, d))
    args = (i,) + tuple(others)
    return Step(kind, args, fn), _torch_shape(fn, *[b.nodes[a].shape for a in args])


JOIN = ("cat", "stack")


# ---- in-place ops on non-leaf tensors ----------------------------------------------------------
INPLACE = {
    "add_": lambda L, x, y: x.add_(y),
    "mul_": lambda L, x, y: x.mul_(y),
    "sub_": lambda L, x, y: x.sub_(y, alpha=0.5),
    "div_": lambda L, x, y: x.div_(_pos(y)),
    "mul_scalar_": lambda L, x: x.mul_(-1.5),
    "clamp_": lambda L, x: x.clamp_(-0.4, 0.9),
    "relu_": lambda L, x: x.relu_(),
    "exp_": lambda L, x: x.clamp_(-5, 5).exp_(),
    "tanh_": lambda L, x: x.tanh_(),
    "sigmoid_": lambda L, x: x.sigmoid_(),
    "setitem": None,
}


def inplace(b, kind):
    # in place only on a non-leaf that owns its data and has no views (there glassgrad rebinds the
    # tensor, which PyTorch's views would see; README: where glassgrad differs)
    i = b.pick(lambda n: not n.leaf and n.base < 0 and not n.has_views and n.grad and len(n.shape) <= 3,
               nonempty=True)
    if i is None:
        return None
    shape = b.nodes[i].shape
    if kind == "setitem":
        if not shape:
            return None
        key = tuple(_slice(b, s) for s in shape[:1])
        vshape = _torch_shape(lambda L, x: x[key], shape)
        j = _operand(b, vshape[b.draw(st.integers(0, len(vshape))):])

        def fn(L, x, v):
            x[key] = v
            return x
        return Step(kind, (i, j), fn, inplace=True), shape
    f = INPLACE[kind]
    if f.__code__.co_argcount == 3:
        k = b.draw(st.integers(0, len(shape)))
        j = _operand(b, tuple(1 if b.draw(st.integers(0, 3)) == 0 else s for s in shape[k:]))
        return Step(kind, (i, j), f, inplace=True), shape
    return Step(kind, (i,), f, inplace=True), shape


# ---- the table ---------------------------------------------------------------------------------
KINDS = {}
KINDS.update({k: unary for k in UNARY})
KINDS.update({k: binary for k in BINARY})
KINDS.update({k: reduction for k in REDUCTIONS})
KINDS.update({k: view for k in VIEWS})
KINDS.update({k: advanced for k in ADVANCED})
KINDS.update({k: matmul for k in MATMUL})
KINDS.update({k: join for k in JOIN})
KINDS.update({k: inplace for k in INPLACE})


def add_step(b, kind):
    """Draw one step of ``kind`` onto ``b``; returns False when the kind does not apply here."""
    made = KINDS[kind](b, kind)
    if made is None:
        return False
    step, shape = made
    if step.inplace:
        step.out = step.args[0]
        b.steps.append(step)
        return True
    node = Node(tuple(shape))
    if step.view:
        src = step.args[0]
        node.base = b.nodes[src].base if b.nodes[src].base >= 0 else src
        b.nodes[node.base].has_views = True
        b.nodes[src].has_views = True
    b.nodes.append(node)
    step.out = len(b.nodes) - 1
    b.steps.append(step)
    return True

"""Fuzzing against PyTorch: hypothesis builds random graphs from the op table of ``fuzz_ops`` (unary
and binary element-wise ops with broadcasting, reductions over random dims, views, indexing,
matrix products, joins, in-place ops on non-leaf tensors), runs each in glassgrad and in PyTorch on
the same float64 inputs, and compares every intermediate value and every input's gradient (and,
for some graphs, the gradient of a gradient). A second test mixes dtypes and Python scalars and
compares the forward result's dtype, shape and values (PyTorch's type promotion).

Profiles (environment variable ``GLASSGRAD_FUZZ``): ``ci`` (default) runs a few hundred
derandomized examples, the same on every run; ``long`` runs 10,000 random graphs (plus 2,000 double
backward and 3,000 dtype examples). ``GLASSGRAD_FUZZ_STATS=path.json`` writes how many graphs, steps
and op kinds were run.
"""
import collections
import json
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glassgrad
from fuzz_ops import INPLACE, KINDS, Builder, add_step

PROFILE = os.environ.get("GLASSGRAD_FUZZ", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"GLASSGRAD_FUZZ must be 'ci' or 'long', got {PROFILE!r}")
_EXAMPLES = {"ci": {"graph": 200, "double": 60, "dtypes": 200},
             "long": {"graph": 10000, "double": 2000, "dtypes": 3000}}[PROFILE]
STATS = collections.Counter()
KIND_COUNTS = collections.Counter()


def _settings(test):
    return settings(max_examples=_EXAMPLES[test], deadline=None, derandomize=PROFILE == "ci", database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


def _dump_stats():
    path = os.environ.get("GLASSGRAD_FUZZ_STATS")
    if path:
        with open(path + ".tmp", "w") as f:
            json.dump({"profile": PROFILE, "counts": dict(STATS), "op_kinds_used": len(KIND_COUNTS),
                       "op_kinds_in_table": len(KINDS), "kinds": dict(sorted(KIND_COUNTS.items()))}, f, indent=1)
        os.replace(path + ".tmp", path)


@pytest.fixture(scope="module", autouse=True)
def _write_stats():
    yield
    _dump_stats()


def test_the_table_has_at_least_40_op_kinds():
    assert len(KINDS) >= 40


# ---- building and running a graph --------------------------------------------------------------
def _build(data, kinds, max_steps=8):
    b = Builder(data, np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed")), kinds)
    for _ in range(data.draw(st.integers(1, 2), label="inputs")):
        b.new_input(b.shape())
    for _ in range(data.draw(st.integers(1, max_steps), label="steps")):
        kind = data.draw(st.sampled_from(kinds), label="kind")
        try:
            added = add_step(b, kind)
        except (RuntimeError, IndexError, ValueError):  # parameters PyTorch refuses: draw another step
            added = False
        if added:
            KIND_COUNTS[kind] += 1
            STATS["steps"] += 1
    return b


def _run(L, b):
    """Run the graph in library ``L``: (leaf tensors, {node: tensor}, values after each step)."""
    leaves = {i: L.tensor(a.copy(), requires_grad=True) for i, a in b.inputs.items()}
    t = dict(leaves)
    values = []
    for step in b.steps:
        out = step.fn(L, *[t[a] for a in step.args])
        t[step.out] = out
        values.append((step.kind, out.detach().numpy().copy()))
    return leaves, t, values


def _loss(L, b, t, rng_seed):
    rng = np.random.default_rng(rng_seed)
    total = 0
    for i in sorted(t):
        w = rng.standard_normal(tuple(t[i].shape))
        total = total + (t[i] * L.tensor(w)).sum()
    return total


def _close(ours, ref, what):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != PyTorch's {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype} != PyTorch's {ref.dtype}"
    if ref.dtype.kind in "biu":
        np.testing.assert_array_equal(ours, ref, err_msg=what)
        return
    tol = {np.dtype(np.float16): 2e-3, np.dtype(np.float32): 2e-6}.get(ref.dtype, 1e-10)
    finite = np.isfinite(ref)
    scale = max(1.0, float(np.abs(ref[finite]).max())) if finite.any() else 1.0
    np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol * scale, equal_nan=True, err_msg=what)


def _torch_or_error(fn):
    try:
        return fn(), None
    except RuntimeError as e:
        return None, e


def _compare_graph(b, loss_seed, double=False, grad_seed=0):
    STATS["graphs"] += 1
    if STATS["graphs"] % 250 == 0:  # a long run reports as it goes
        _dump_stats()
    ref, ref_err = _torch_or_error(lambda: _run(torch, b))
    if ref_err is not None:  # PyTorch refuses the graph: glassgrad must too
        with pytest.raises(Exception):
            _run(glassgrad, b)
        STATS["refused_by_both"] += 1
        return
    leaves, t, values = _run(glassgrad, b)
    for n, ((kind, v), (_, rv)) in enumerate(zip(values, ref[2])):
        _close(v, rv, f"forward of step {n} ({kind})")
    rleaves = ref[0]
    order = sorted(rleaves)
    rloss = _loss(torch, b, ref[1], loss_seed)
    rgrads, rerr = _torch_or_error(lambda: torch.autograd.grad(rloss, [rleaves[i] for i in order],
                                                              create_graph=double))
    loss = _loss(glassgrad, b, t, loss_seed)
    _close(loss.detach().numpy(), rloss.detach().numpy(), "loss")
    if rerr is not None:  # e.g. an in-place change of a saved tensor: glassgrad must raise too
        assert "inplace" in str(rerr) or "in-place" in str(rerr), rerr
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            glassgrad.autograd.grad(loss, [leaves[i] for i in order], create_graph=double)
        STATS["backward_refused_by_both"] += 1
        return
    grads = glassgrad.autograd.grad(loss, [leaves[i] for i in order], create_graph=double)
    for i, g, rg in zip(order, grads, rgrads):
        _close(g.detach().numpy(), rg.detach().numpy(), f"gradient of input {i}")
    STATS["gradients_compared"] += len(order)
    if not double:
        return
    rng = np.random.default_rng(grad_seed)
    vs = [rng.standard_normal(tuple(g.shape)) for g in rgrads]
    rs = sum((g * torch.tensor(v)).sum() for g, v in zip(rgrads, vs))
    if not rs.requires_grad:
        return
    s = sum((g * glassgrad.tensor(v)).sum() for g, v in zip(grads, vs))
    rgg = torch.autograd.grad(rs, [rleaves[i] for i in order], allow_unused=True)
    # PyTorch may link a gradient to the graph where it is piecewise constant (relu: through its
    # saved output); glassgrad then has no graph, and the second derivative is 0
    gg = (glassgrad.autograd.grad(s, [leaves[i] for i in order], allow_unused=True) if s.requires_grad
          else [None] * len(order))
    for i, g, rg in zip(order, gg, rgg):
        shape = tuple(rleaves[i].shape)
        # PyTorch may answer with a ZeroTensor (a known-zero gradient), which needs force=True
        _close(np.zeros(shape) if g is None else g.detach().numpy(),
               np.zeros(shape) if rg is None else rg.detach().numpy(force=True), f"second derivative of input {i}")
    STATS["double_backward_compared"] += 1


_ALL_KINDS = sorted(KINDS)
# the second derivative of these is a fused or piecewise formula glassgrad and PyTorch share; the
# double-backward test keeps to the smooth, commonly twice-differentiated ones
_DOUBLE_KINDS = sorted(k for k in KINDS if k not in INPLACE and k not in ("remainder", "norm"))


@_settings("graph")
@given(data=st.data())
def test_random_graphs_match_torch_forward_and_gradients(data):
    b = _build(data, _ALL_KINDS)
    _compare_graph(b, data.draw(st.integers(0, 2 ** 32 - 1), label="loss weights"))


@_settings("double")
@given(data=st.data())
def test_random_graphs_match_torch_double_backward(data):
    b = _build(data, _DOUBLE_KINDS, max_steps=5)
    _compare_graph(b, data.draw(st.integers(0, 2 ** 32 - 1)), double=True,
                   grad_seed=data.draw(st.integers(0, 2 ** 32 - 1)))


# ---- mixed dtypes: PyTorch's type promotion ----------------------------------------------------
_DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
_BINARY = {
    "add": lambda L, x, y: x + y, "sub": lambda L, x, y: x - y, "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / y, "maximum": lambda L, x, y: L.maximum(x, y),
    "minimum": lambda L, x, y: L.minimum(x, y), "where": lambda L, x, y: L.where(L.tensor(True), x, y),
    "eq": lambda L, x, y: x == y, "lt": lambda L, x, y: x < y, "pow": lambda L, x, y: x ** y,
    "radd": lambda L, x, y: y + x, "rsub": lambda L, x, y: y - x, "rmul": lambda L, x, y: y * x,
    "floor_divide": lambda L, x, y: x // y,
}
_UNARY = {
    "neg": lambda L, x: -x, "abs": lambda L, x: L.abs(x), "exp": lambda L, x: L.exp(x), "sqrt": lambda L, x: L.sqrt(x),
    "sigmoid": lambda L, x: L.sigmoid(x), "sum": lambda L, x: x.sum(), "sum_dim": lambda L, x: x.sum(-1),
    "mean": lambda L, x: x.mean(), "prod": lambda L, x: x.prod(), "cumsum": lambda L, x: x.cumsum(-1),
    "amax": lambda L, x: x.amax(), "clamp_int": lambda L, x: x.clamp(-1, 2), "clamp_float": lambda L, x: x.clamp(-0.5, 1.5),
    "softmax": lambda L, x: L.softmax(x, -1), "max": lambda L, x: x.max(), "argmax": lambda L, x: x.argmax(),
}


def _dtype_operand(data, rng, shape):
    """A tensor of a random dtype and small values, a 0-d tensor, or a Python scalar."""
    form = data.draw(st.sampled_from(["tensor", "tensor", "zero_d", "scalar"]))
    if form == "scalar":
        return "scalar", data.draw(st.one_of(st.integers(-3, 3), st.floats(-3, 3, width=32), st.booleans()))
    dtype = np.dtype(data.draw(st.sampled_from(_DTYPES)))
    shape = () if form == "zero_d" else shape
    if dtype.kind == "b":
        a = rng.random(shape) < 0.5
    elif dtype.kind in "iu":
        a = rng.integers(0 if dtype.kind == "u" else -4, 5, size=shape).astype(dtype)
    else:
        a = (rng.standard_normal(shape) * 2).astype(dtype)
    return "array", a


def _materialize(L, kind, v):
    return v if kind == "scalar" else L.tensor(v.copy())


def _outcome(fn):
    try:
        with np.errstate(all="ignore"):
            out = fn()
        return out, None
    except Exception as e:  # noqa: BLE001 - PyTorch raises RuntimeError or TypeError here
        return None, e


@_settings("dtypes")
@given(data=st.data())
def test_mixed_dtypes_promote_like_torch(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    shape = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    STATS["dtype_examples"] += 1
    if data.draw(st.booleans()):
        name = data.draw(st.sampled_from(sorted(_BINARY)))
        (kx, x) = _dtype_operand(data, rng, shape)
        if kx == "scalar":
            return
        (ky, y) = _dtype_operand(data, rng, shape[data.draw(st.integers(0, len(shape))):])
        if name in ("floor_divide",) and np.any(np.asarray(y) == 0):
            return  # integer division by zero: PyTorch raises ZeroDivisionError, NumPy warns
        fn = _BINARY[name]
        args = ((kx, x), (ky, y))
    else:
        name = data.draw(st.sampled_from(sorted(_UNARY)))
        (kx, x) = _dtype_operand(data, rng, shape)
        if kx == "scalar":
            return
        fn = _UNARY[name]
        args = ((kx, x),)
    ref, rerr = _outcome(lambda: fn(torch, *[_materialize(torch, k, v) for k, v in args]))
    ours, err = _outcome(lambda: fn(glassgrad, *[_materialize(glassgrad, k, v) for k, v in args]))
    what = f"{name}({', '.join(str(np.asarray(v).dtype) + str(np.shape(v)) if k != 'scalar' else repr(v) for k, v in args)})"
    if rerr is not None:
        assert err is not None, f"{what}: PyTorch raises {rerr!r}, glassgrad gives {ours}"
        STATS["dtype_refused_by_both"] += 1
        return
    assert err is None, f"{what}: glassgrad raises {err!r}, PyTorch gives {ref}"
    assert str(ours.dtype).replace("glassgrad.", "") == str(ref.dtype).replace("torch.", "").replace("bool", "bool"), \
        f"{what}: dtype {ours.dtype} != PyTorch's {ref.dtype}"
    _close(ours.numpy(), ref.numpy(), what)
    STATS["dtype_compared"] += 1

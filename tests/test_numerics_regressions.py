"""Named regressions of numerical differences from PyTorch (issue 8, section 5, and the fuzzer's
findings): each test runs the same computation in glassgrad and in PyTorch 2.13 and compares."""
import math

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad import optim


def _outcome(fn):
    """The result of ``fn()`` as a NumPy array (or tuple of them), or 'raises' on RuntimeError."""
    try:
        out = fn()
    except RuntimeError:
        return "raises"
    if isinstance(out, tuple):
        return tuple(np.asarray(o.detach().numpy() if hasattr(o, "detach") else o, dtype=np.float64) for o in out)
    return np.asarray(out.detach().numpy(), dtype=np.float64)


def _same(a, b, rtol=1e-12):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y, rtol) for x, y in zip(a, b))
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=0, equal_nan=True) and \
        np.array_equal(np.isnan(a), np.isnan(b))


# ---- float16 reductions accumulate in float32 --------------------------------------------------
def test_float16_mean_of_70000_ones_is_one_like_torch():
    assert glassgrad.ones(70000, dtype=glassgrad.float16).mean().item() == 1.0
    assert torch.ones(70000, dtype=torch.float16).mean().item() == 1.0


_F16_REDUCTIONS = {
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(1, keepdim=True), "mean": lambda x: x.mean(),
    "mean_dim": lambda x: x.mean(1), "var": lambda x: x.var(), "var_dim": lambda x: x.var(1),
    "std_dim": lambda x: x.std(1, unbiased=False), "norm": lambda x: x.norm(), "norm_dim": lambda x: x.norm(dim=1),
    "norm_p3": lambda x: x.norm(p=3, dim=1), "logsumexp": lambda x: x.logsumexp(1),
    "softmax": lambda x: x.softmax(1), "log_softmax": lambda x: x.log_softmax(1), "cumsum": lambda x: x.cumsum(1),
}


@pytest.mark.parametrize("name", sorted(_F16_REDUCTIONS))
def test_float16_reductions_are_bitwise_torch(name):
    a = (np.random.default_rng(0).random((3, 20000)) * 4 + 1).astype(np.float16)
    fn = _F16_REDUCTIONS[name]
    with np.errstate(over="ignore"):
        ours = fn(glassgrad.tensor(a)).numpy()
    ref = fn(torch.tensor(a)).numpy()
    assert ours.dtype == np.float16 and ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)


# ---- version counters: detach() and views share their source's -----------------------------------
def _inplace_through(lib, how):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    y = (x * 2).exp()  # Exp saves its output
    if how == "detach":
        y.detach().add_(1)
    elif how == "view":
        with lib.no_grad():
            y[1:].mul_(2)
    elif how == "view_of_detach":
        y.detach().view(3)[0] = 5.0
    elif how == "data":  # .data has its own counter in PyTorch: not caught there either
        y.data.add_(1)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("how", ["detach", "view", "view_of_detach", "data"])
def test_inplace_change_through_detach_or_view_of_saved_tensor_like_torch(how):
    ours, ref = _outcome(lambda: _inplace_through(glassgrad, how)), _outcome(lambda: _inplace_through(torch, how))
    assert _same(ours, ref), (ours, ref)
    assert isinstance(ours, str) == (how != "data")


def test_detach_shares_the_version_counter_and_data_does_not():
    x = glassgrad.ones(3)
    d, v = x.detach(), x[1:]
    d.add_(1)
    assert x._version == d._version == v._version == 1
    x.data.add_(1)
    assert x._version == 1 and x.tolist() == [3.0, 3.0, 3.0]


# ---- gradients at NaN inputs --------------------------------------------------------------------
_NAN_UNARY = {
    "relu": lambda L, x: L.relu(x), "abs": lambda L, x: L.abs(x), "sign": lambda L, x: L.sign(x) * x,
    "leaky_relu": lambda L, x: L.nn.functional.leaky_relu(x, 0.1), "clamp": lambda L, x: L.clamp(x, -1.0, 1.0),
    "amax": lambda L, x: x.reshape(3, 4).amax(1), "amin": lambda L, x: x.reshape(3, 4).amin(1),
    "amax_all": lambda L, x: x.amax(), "max_dim": lambda L, x: x.reshape(3, 4).max(1)[0],
    "min_all": lambda L, x: x.min(), "softplus": lambda L, x: L.nn.functional.softplus(x),
    "gelu": lambda L, x: L.nn.functional.gelu(x), "silu": lambda L, x: L.nn.functional.silu(x),
    "sqrt_half_pow": lambda L, x: x ** 0.5, "rsqrt_pow": lambda L, x: x ** -0.5, "norm_inf": lambda L, x: x.norm(p=float("inf")),
    # the rest of the unary table and the reductions: NaN in, NaN out, as in PyTorch
    "neg": lambda L, x: -x, "exp": lambda L, x: L.exp(x), "expm1": lambda L, x: L.expm1(x), "log": lambda L, x: L.log(x),
    "log1p": lambda L, x: L.log1p(x), "sqrt": lambda L, x: L.sqrt(x), "rsqrt": lambda L, x: L.rsqrt(x),
    "reciprocal": lambda L, x: L.reciprocal(x), "sin": lambda L, x: L.sin(x), "cos": lambda L, x: L.cos(x),
    "tanh": lambda L, x: L.tanh(x), "sigmoid": lambda L, x: L.sigmoid(x), "erf": lambda L, x: L.erf(x),
    "gelu_tanh": lambda L, x: L.nn.functional.gelu(x, approximate="tanh"), "square": lambda L, x: x ** 2,
    "sum": lambda L, x: x.reshape(3, 4).sum(1), "mean": lambda L, x: x.reshape(3, 4).mean(0),
    "var": lambda L, x: x.reshape(3, 4).var(1), "std": lambda L, x: x.reshape(4, 3).std(0),
    "prod": lambda L, x: x.reshape(3, 4).prod(1), "norm": lambda L, x: x.reshape(3, 4).norm(dim=1),
    "norm_p1": lambda L, x: x.reshape(3, 4).norm(p=1, dim=1), "logsumexp": lambda L, x: x.reshape(3, 4).logsumexp(1),
    "softmax": lambda L, x: L.softmax(x.reshape(3, 4), 1), "log_softmax": lambda L, x: L.log_softmax(x.reshape(3, 4), 1),
    "cumsum": lambda L, x: x.cumsum(0),
}
_SPECIAL = np.array([np.nan, 1.0, -1.0, 0.0, -0.0, np.inf, -np.inf, 2.5, np.nan, -3.0, 0.5, 1e-300])


def _grad_of(lib, fn, arrays):
    ts = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        y = fn(lib, *ts)
        grads = lib.autograd.grad(y.sum(), ts, allow_unused=True)
    return (y.detach().numpy(),) + tuple(g.numpy() for g in grads)


@pytest.mark.parametrize("name", sorted(_NAN_UNARY))
def test_value_and_gradient_at_nan_and_inf_like_torch(name):
    ours = _grad_of(glassgrad, _NAN_UNARY[name], [_SPECIAL])
    ref = _grad_of(torch, _NAN_UNARY[name], [_SPECIAL])
    assert _same(tuple(map(np.asarray, ours)), tuple(map(np.asarray, ref))), (ours, ref)


_NAN_BINARY = {
    "maximum": lambda L, x, y: L.maximum(x, y), "minimum": lambda L, x, y: L.minimum(x, y),
    "max_other": lambda L, x, y: L.max(x, y), "where": lambda L, x, y: L.where(x > y, x, y),
    "clamp_tensor": lambda L, x, y: L.clamp(x, min=y), "mul": lambda L, x, y: x * y, "div": lambda L, x, y: x / y,
    "pow": lambda L, x, y: x.abs() ** y, "add": lambda L, x, y: x + y, "sub": lambda L, x, y: x - y,
    "lerp": lambda L, x, y: L.lerp(x, y, 0.3), "remainder": lambda L, x, y: L.remainder(x, y),
}


@pytest.mark.parametrize("name", sorted(_NAN_BINARY))
def test_binary_gradient_at_nan_and_inf_like_torch(name):
    x, y = (g.ravel() for g in np.meshgrid(_SPECIAL, _SPECIAL))
    ours = _grad_of(glassgrad, _NAN_BINARY[name], [x, y])
    ref = _grad_of(torch, _NAN_BINARY[name], [x, y])
    assert _same(tuple(map(np.asarray, ours)), tuple(map(np.asarray, ref))), name


def test_elu_gradient_at_nan_is_nan_like_torchs_vectorized_kernel():
    """PyTorch's elu gradient at NaN depends on the tensor's length (its vectorized kernel gives
    NaN, its scalar tail loop 1); glassgrad always gives NaN (README, where glassgrad differs)."""
    for n in (1, 4, 64):
        x = glassgrad.full((n,), float("nan"), dtype=glassgrad.float64, requires_grad=True)
        F.elu(x).sum().backward()
        assert np.isnan(x.grad.numpy()).all()
    t = torch.full((64,), float("nan"), dtype=torch.float64, requires_grad=True)
    torch.nn.functional.elu(t).sum().backward()
    assert torch.isnan(t.grad).all()
    finite = np.array([-30.0, -2.0, -1e-3, 0.0, 1e-3, 3.0])
    assert _same(tuple(map(np.asarray, _grad_of(glassgrad, lambda L, x: L.nn.functional.elu(x, 0.7), [finite]))),
                 tuple(map(np.asarray, _grad_of(torch, lambda L, x: L.nn.functional.elu(x, 0.7), [finite]))))


# ---- BatchNorm on an empty batch ----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 5), (2, 3, 0), (0, 3, 4, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_an_empty_batch_returns_an_empty_output_like_torch(shape, training):
    cls = "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d"
    ours, ref = getattr(nn, cls)(3), getattr(torch.nn, cls)(3)
    ours.train(training)
    ref.train(training)
    x, t = glassgrad.zeros(shape, requires_grad=True), torch.zeros(shape, requires_grad=True)
    y, r = ours(x), ref(t)
    assert tuple(y.shape) == tuple(r.shape)
    y.sum().backward()
    r.sum().backward()
    assert tuple(x.grad.shape) == tuple(t.grad.shape)
    np.testing.assert_array_equal(ours.weight.grad.numpy(), ref.weight.grad.numpy())
    np.testing.assert_array_equal(ours.bias.grad.numpy(), ref.bias.grad.numpy())
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_array_equal(getattr(ours, name).numpy(), getattr(ref, name).numpy())


def test_batch_norm_on_one_value_per_channel_still_refuses_like_torch():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(glassgrad.zeros(1, 3))
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))


# ---- backward(retain_graph=True); opt.step(); backward() -----------------------------------------
def _retain_step_backward(lib, layers, input_grad, opt_name):
    torch.manual_seed(0)
    ref_layers = [torch.nn.Conv1d(3, 3, 1) if k == "conv" else torch.nn.Linear(3, 3) for k in layers]
    if lib is torch:
        model = torch.nn.Sequential(*ref_layers)
    else:
        model = nn.Sequential(*[nn.Conv1d(3, 3, 1) if k == "conv" else nn.Linear(3, 3) for k in layers])
        model.load_state_dict({k: glassgrad.tensor(v.detach().numpy().copy()) for k, v in
                               torch.nn.Sequential(*ref_layers).state_dict().items()})
    opt = getattr(lib.optim, opt_name)(model.parameters(), lr=0.1)
    x = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape((4, 3) + ((1,) if "conv" in layers else ())),
                   requires_grad=input_grad)
    loss = model(x).pow(2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    loss.backward()
    return tuple(p.grad for p in model.parameters()) + ((x.grad,) if input_grad else ())


@pytest.mark.parametrize("layers,input_grad,opt_name", [
    (("linear",), False, "SGD"),     # Linear saves only x (weight not needed): PyTorch computes
    (("linear",), False, "Adam"),
    (("linear",), True, "SGD"),      # dx needs the weight, saved (as weight.t()): both raise
    (("linear", "linear"), False, "SGD"),  # the second layer's weight is saved: both raise
    (("conv",), False, "SGD"),       # convolution saves its weight (a view of it): both raise
])
def test_retain_graph_then_optimizer_step_then_backward_like_torch(layers, input_grad, opt_name):
    ours = _outcome(lambda: _retain_step_backward(glassgrad, layers, input_grad, opt_name))
    ref = _outcome(lambda: _retain_step_backward(torch, layers, input_grad, opt_name))
    assert _same(ours, ref, rtol=1e-5), (ours, ref)


# ---- class-index targets are int64 (or uint8) ---------------------------------------------------
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "int32", "int16", "int8", "float32"])
@pytest.mark.parametrize("spatial", [False, True])
def test_class_index_target_dtypes_like_torch(loss, dtype, spatial):
    rng = np.random.default_rng(1)
    shape, tshape = ((3, 5, 2), (3, 2)) if spatial else ((3, 5), (3,))
    x, t = rng.standard_normal(shape), rng.integers(0, 5, tshape).astype(dtype)
    ours = _outcome(lambda: getattr(F, loss)(glassgrad.tensor(x), glassgrad.tensor(t)))
    ref = _outcome(lambda: getattr(torch.nn.functional, loss)(torch.tensor(x), torch.tensor(t)))
    assert _same(ours, ref), (ours, ref)
    assert isinstance(ours, str) == (dtype not in ("int64", "uint8") or (spatial and dtype == "uint8"))


def test_int32_target_error_names_the_dtype_and_the_fix():
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected target dtype to be int64.*int32.*\.long\(\)"):
        F.cross_entropy(glassgrad.randn(3, 5), glassgrad.tensor(np.array([1, 2, 3], np.int32)))
    assert math.isfinite(F.cross_entropy(glassgrad.randn(3, 5), glassgrad.tensor([1, 2, 3])).item())


# ---- fuzzer findings ----------------------------------------------------------------------------
_INPLACE_CHAINS = [
    "y.clamp_(-0.5, 0.5); y.exp_()",       # clamp_ saved y from before the op (a copy in PyTorch)
    "y.clamp_(-0.5, 0.5); y.mul_(2)",
    "y.abs_(); y.mul_(2)",
    "y.mul_(z); y.mul_(2)",
    "y.div_(z); y.sub_(z)",
    "y[0:2] = z[0:2]; y.mul_(2)",
    "y.exp_(); y.mul_(2)",                  # exp_ saved its output, y itself: PyTorch raises
    "y.relu_(); y.mul_(2)",
    "y.tanh_(); y.add_(1)",
    "y.sigmoid_(); y.add_(1)",
    "w = y.sin(); y.mul_(2); y = w",        # a saved input changed in place: both raise
    "w = y * z; y.add_(1); y = w",
    "b = L.ones(3, dtype=L.float64); b.mul_(z); b.mul_(10); y = y + b",  # a plain tensor made non-leaf
]


def _inplace_chain(L, code):
    x = L.tensor([0.3, -1.2, 2.0], dtype=L.float64, requires_grad=True)
    z = L.tensor([1.5, -0.5, 0.7], dtype=L.float64, requires_grad=True)
    scope = {"L": L, "x": x, "y": x * 1, "z": z}
    exec(code, scope)
    (scope["y"] * L.tensor([1.0, 2.0, 3.0], dtype=L.float64)).sum().backward()
    return x.grad, z.grad if z.grad is not None else L.zeros(3, dtype=L.float64)


@pytest.mark.parametrize("code", _INPLACE_CHAINS)
def test_chained_in_place_ops_on_a_non_leaf_like_torch(code):
    """Fuzzer finding: an in-place op's node kept the tensor it rebound, so a second in-place op
    raised a version error at backward where PyTorch (which saved a copy) computes; and the saved
    output of exp_/relu_/tanh_/sigmoid_ went unchecked where PyTorch raises."""
    ours, ref = _outcome(lambda: _inplace_chain(glassgrad, code)), _outcome(lambda: _inplace_chain(torch, code))
    assert _same(ours, ref), (ours, ref)


def _write_through(L, make):
    x = L.tensor(np.arange(6.0).reshape(2, 3))
    y = make(x)
    try:
        with L.no_grad():
            y.mul_(2)
    except RuntimeError:
        return "raises"
    return x.numpy().copy()


@pytest.mark.parametrize("name,make", [
    ("repeat_ones", lambda x: x.repeat(1, 1)),       # PyTorch copies: x is untouched
    ("repeat_rows", lambda x: x[:1].repeat(2, 1)),
    ("tile_ones", lambda x: x.tile((1, 1))),
    ("expand_same", lambda x: x.expand(2, 3)),       # a plain view: the write reaches x
    ("expand_lead", lambda x: x.expand(1, 2, 3)),
    ("expand_grow", lambda x: x[:1].expand(2, 3)),   # a broadcast view: writing is an error
    ("flip", lambda x: x.flip(0)),
    ("narrow", lambda x: x.narrow(1, 0, 2)),
])
def test_in_place_write_through_a_copy_or_view_like_torch(name, make):
    """Found while fuzzing views: repeat with all-ones repeats returned a read-only view of its
    input (PyTorch copies), and expand to the same size a read-only array (PyTorch: a view)."""
    ours, ref = _write_through(glassgrad, make), _write_through(torch, make)
    assert _same(ours, ref), (ours, ref)


def _saved_output_changed(L, make):
    x = L.tensor([[0.3, -1.2, 2.0], [0.5, 0.1, -0.7]], dtype=L.float64, requires_grad=True)
    y = make(L, x)
    y.mul_(2)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("name,make", [
    ("max_all", lambda L, x: x.max()),                              # PyTorch saves max()'s output: raises
    ("amax", lambda L, x: x.amax(1)),
    ("amin", lambda L, x: x.amin(0)),
    ("prod", lambda L, x: x.prod(1)),
    ("norm_inf", lambda L, x: x.norm(p=float("inf"), dim=1)),
    ("max_dim", lambda L, x: x.max(1)[0]),                          # saves its indices only: computes
    ("pow_scalar", lambda L, x: (x * x + 0.5) ** 1.7),              # saves its input only: computes
    ("pow_tensor_exponent", lambda L, x: 1.3 ** x),                 # saves its output: raises
])
def test_output_changed_in_place_after_the_op_like_torch(name, make):
    """Fuzzer findings: max()/amax/amin/prod/norm(inf) did not save their output, so an in-place
    change of it went unnoticed where PyTorch raises; x ** 1.7 saved its output, so glassgrad raised
    where PyTorch computes."""
    ours, ref = _outcome(lambda: _saved_output_changed(glassgrad, make)), _outcome(lambda: _saved_output_changed(torch, make))
    assert _same(ours, ref), (ours, ref)


def _typed(L, expr):
    t = L.tensor
    b, i, f = t([True, False]), t([2, 0, 1, -1]), t([1.5, -2.0])
    scope = {"L": L, "b": b, "i": i, "f": f, "t": t}
    try:
        out = eval(expr, scope)
    except (RuntimeError, TypeError, NotImplementedError):
        return "raises"
    return str(out.dtype).replace("torch.", "").replace("glassgrad.", ""), out.tolist()


@pytest.mark.parametrize("expr", [
    "L.abs(b)", "L.sign(b)", "L.relu(b)", "b // b", "b % b", "L.div(b, b, rounding_mode='trunc')",
    "f - b", "b - f", "1 - b", "b - True", "i - True", "i + True", "b.argmax()", "b.argmin()",
    "L.maximum(f, 0)", "L.minimum(f, t(0.5))", "t([0, 2, 200], dtype=L.uint8).clamp(-1, 2)",
    "t([0, 2, 200], dtype=L.uint8).clamp(min=-1)", "t([0, 2, 200], dtype=L.uint8).clamp(min=300)",
    "t([0, 2, 100], dtype=L.int8).clamp(-200, 5)", "b ** b", "b ** 2", "i ** b",
    "t([4, 0], dtype=L.uint8) + (-1)", "t([4, 0], dtype=L.uint8) * -2", "t([100], dtype=L.int8) - 300", "i ** t([-1, -1, -2, -3])", "2 ** t(-1)", "i ** -1", "i ** 2",
])
def test_dtype_rules_like_torch(expr):
    """Fuzzer findings (mixed dtypes): each of these either computed where PyTorch refuses (bool
    abs/relu/floor division/remainder/subtraction/argmax, maximum with a number) or refused where
    PyTorch computes (an integer tensor to negative integer tensor powers)."""
    assert _typed(glassgrad, expr) == _typed(torch, expr)


def _gather_input_changed(L):
    x = L.tensor([[0.3, -1.2], [2.0, 0.5]], dtype=L.float64, requires_grad=True)
    y = x.abs()
    z = L.gather(y, 1, L.tensor([[1], [0]]))
    y.relu_()
    (z.sum() + y.sum()).backward()
    return x.grad


def test_gather_input_changed_in_place_raises_like_torch():
    """Fuzzer finding: PyTorch's gather saves its input, so changing it in place before backward is
    an error; glassgrad's gather saved only the index and computed."""
    ours, ref = _outcome(lambda: _gather_input_changed(glassgrad)), _outcome(lambda: _gather_input_changed(torch))
    assert ours == ref == "raises"


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_input_changed_in_place_raises_like_torch(op):
    """Fuzzer finding: PyTorch's maximum/minimum save both inputs; glassgrad saved only its masks."""
    def run(L):
        x = L.tensor([0.3, -1.2], dtype=L.float64, requires_grad=True)
        a, b = x.abs(), x * 2
        z = getattr(L, op)(a, b)
        a.sigmoid_()
        (z.sum() + a.sum()).backward()
        return x.grad
    assert _outcome(lambda: run(glassgrad)) == _outcome(lambda: run(torch)) == "raises"

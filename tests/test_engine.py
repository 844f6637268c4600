"""The backward engine: graph shapes, accumulation, retain_graph, hooks, grad modes, autograd.grad,
higher-order gradients, deep graphs, memory, in-place checks. PyTorch or closed forms as reference."""
import gc
import weakref

import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad import autograd


def both(data, dtype="float64", requires_grad=True):
    """The same leaf in glassgrad and in torch."""
    a = np.asarray(data, dtype=dtype)
    return gg.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def close(ours, theirs, tol=1e-10):
    np.testing.assert_allclose(np.asarray(ours.detach().array), theirs.detach().numpy(), rtol=tol, atol=tol)


# ---- graph shapes -------------------------------------------------------------------------------
def test_diamond_and_reused_intermediate_match_torch():
    def f(fw_x):
        a = fw_x.tanh()          # used by three consumers
        b = a * a
        c = a.exp()
        d = b + c * a
        return (d * d.sin()).sum() + (a / (1 + b)).mean()
    x, tx = both([1.5, -2.0, 0.3])
    f(x).backward()
    f(tx).backward()
    close(x.grad, tx.grad)


def test_same_input_twice_in_one_op_and_across_ops():
    x, tx = both([[0.5, -1.0], [2.0, 3.0]])
    for t in (x, tx):
        y = t * t + t @ t - t / (t * t + 1)
        (y ** 2).sum().backward()
    close(x.grad, tx.grad)


def test_multiple_roots_and_a_leaf_root():
    x, tx = both([1.0, 2.0])
    w, tw = both([3.0, -1.0])
    autograd.backward([(x * w).sum(), (w * w).sum(), x], [None, gg.tensor(2.0, dtype=gg.float64),
                                                          gg.tensor([1.0, 1.0], dtype=gg.float64)])
    torch.autograd.backward([(tx * tw).sum(), (tw * tw).sum(), tx], [None, torch.tensor(2.0, dtype=torch.float64),
                                                                     torch.ones(2, dtype=torch.float64)])
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)


def test_float32_graph_matches_torch():
    x, tx = both(np.random.default_rng(0).standard_normal((3, 4)), dtype="float32")
    for t in (x, tx):
        ((t.sigmoid() * t).tanh() @ t.T).sum().backward()
    assert x.grad.dtype == gg.float32
    close(x.grad, tx.grad, tol=1e-5)


def test_branch_without_grad_is_skipped():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    c = gg.tensor([3.0, 4.0])
    y = (x * c + c.exp()).sum()
    y.backward()
    assert x.grad.tolist() == [3.0, 4.0] and c.grad is None


# ---- accumulation, retain_graph -----------------------------------------------------------------
def test_grad_accumulates_across_backward_calls():
    x, tx = both([1.0, 2.0])
    for t in (x, tx):
        (t * t).sum().backward()
        (t * 3).sum().backward()
    close(x.grad, tx.grad)
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_retain_graph_allows_a_second_backward():
    x, tx = both([1.0, 2.0])
    for t in (x, tx):
        y = (t.exp() * t).sum()
        y.backward(retain_graph=True)
        y.backward()
    close(x.grad, tx.grad)


def test_second_backward_through_freed_buffers_is_a_clear_error():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx.exp() * tx).sum()
    ty.backward()
    with pytest.raises(RuntimeError, match="second time"):
        ty.backward()


def test_backward_on_non_scalar_needs_gradient():
    x = gg.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"implicitly created only for scalar outputs.*\(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError):
        (torch.ones(2, 3, requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(gg.ones(3))
    y.backward(gg.full((2, 3), 0.5))
    assert x.grad.tolist() == [[1.0] * 3] * 2


def test_backward_of_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gg.ones(2).sum().backward()
    with no_grad_sum() as y:
        with pytest.raises(RuntimeError, match="does not require grad"):
            y.backward()


class no_grad_sum:
    def __enter__(self):
        x = gg.ones(2, requires_grad=True)
        with gg.no_grad():
            return (x * 2).sum()

    def __exit__(self, *exc):
        return False


def test_backward_inputs_limits_accumulation():
    x, tx = both([1.0, 2.0])
    w, tw = both([3.0, 4.0])
    (x * w).sum().backward(inputs=[x])
    (tx * tw).sum().backward(inputs=[tx])
    close(x.grad, tx.grad)
    assert w.grad is None and tw.grad is None


# ---- hooks and retain_grad ----------------------------------------------------------------------
def test_hooks_on_leaves_and_non_leaves_match_torch():
    results = []
    for fw in (gg, torch):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        hx = x.register_hook(lambda g: g * 3)
        y = x * x
        hy = y.register_hook(lambda g: seen.append(g.tolist()) or g + 1)
        y.retain_grad()
        y.sum().backward(retain_graph=True)
        first = (x.grad.tolist(), y.grad.tolist(), list(seen))
        hx.remove()
        hy.remove()
        hy.remove()  # removing twice is harmless
        x.grad = y.grad = None
        y.sum().backward()
        results.append((first, x.grad.tolist(), y.grad.tolist(), seen))
    assert results[0] == results[1]
    assert results[0][0] == ([12.0, 24.0], [2.0, 2.0], [[1.0, 1.0]])


def test_retain_grad_sees_the_gradient_after_hooks_registered_later():
    out = []
    for fw in (gg, torch):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        y.sum().backward()
        out.append((y.grad.tolist(), x.grad.tolist()))
    assert out[0] == out[1] == ([10.0, 10.0], [20.0, 20.0])


def test_leaf_hook_runs_once_on_the_summed_gradient():
    for fw in (gg, torch):
        calls = []
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: calls.append(g.tolist()))
        (x * x * 3 + x).sum().backward()
        assert calls == [[7.0, 13.0]]


def test_gradients_kept_by_hooks_or_retain_grad_are_not_changed_later():
    for fw in (gg, torch):
        c = fw.tensor([3.0, 4.0])
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        x.register_hook(lambda g: kept.append(g))
        (x * c).sum().backward()
        (x * c).sum().backward()
        assert [k.tolist() for k in kept] == [[3.0, 4.0], [3.0, 4.0]] and x.grad.tolist() == [6.0, 8.0]
        x.grad = None
        y = x + 0
        y.retain_grad()
        (y * c).sum().backward(retain_graph=True)
        first = y.grad
        (y * c).sum().backward()
        assert first.tolist() == [3.0, 4.0] and x.grad.tolist() == [6.0, 8.0]


def test_gradient_passed_through_is_not_aliased_with_the_callers_tensor():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    g = gg.tensor([5.0, 6.0])
    (x + w).backward(g)
    assert x.grad.array is not g.array and w.grad.array is not g.array and x.grad.array is not w.grad.array
    (x + w).backward(g)
    assert g.tolist() == [5.0, 6.0] and x.grad.tolist() == [10.0, 12.0] and w.grad.tolist() == [10.0, 12.0]


def test_an_array_reusing_the_id_of_a_dead_hooked_array_is_not_taken_as_held():
    from glassgrad.autograd.engine import OwnedArrays
    owned = OwnedArrays()
    kept = np.zeros(3)
    owned.add(kept)
    seen = np.zeros(3)
    owned.add(seen)
    dead_id = id(seen)
    del seen
    fresh = [np.zeros(3) for _ in range(100)]  # CPython hands a freed object's memory to a new one
    reused = [a for a in fresh if id(a) == dead_id]
    assert reused and reused[0] not in owned
    assert kept in owned and fresh[-1] not in owned


def test_hooks_cost_no_copy_of_other_parameters_gradients(monkeypatch):
    from glassgrad.autograd import engine
    import glassgrad.nn as nn
    copies, sums, real = [], [], engine._accumulate

    def spy(leaf, grad, owned, create_graph):
        fresh = leaf.grad is None
        real(leaf, grad, owned, create_graph)
        if fresh and leaf.grad.array is not grad.array:
            copies.append(tuple(leaf.shape))
    monkeypatch.setattr(engine, "_accumulate", spy)
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))
    model[2].bias.register_hook(lambda g: None)  # a hook may keep its gradient: that one is copied

    def look_at_gradient(module, args, out):  # a hook that reads an intermediate gradient and lets it go
        out.register_hook(lambda g: sums.append(float(g.array.sum())))
    model[0].register_forward_hook(look_at_gradient)
    model[1].register_forward_hook(look_at_gradient)
    x = gg.tensor(np.random.default_rng(0).standard_normal((16, 32)).astype(np.float32))
    for _ in range(10):
        model.zero_grad()
        model(x).square().mean().backward()
    assert copies == [(4,)] * 10 and len(sums) == 20


def test_hook_on_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="doesn't require"):
        gg.ones(2).register_hook(lambda g: g)


# ---- grad modes ---------------------------------------------------------------------------------
def test_no_grad_enable_grad_set_grad_enabled_as_context_managers():
    x = gg.ones(2, requires_grad=True)
    with gg.no_grad():
        assert not (x * 2).requires_grad and not gg.is_grad_enabled()
        with gg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert gg.is_grad_enabled()
    with gg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    gg.set_grad_enabled(False)  # as a function
    try:
        assert not (x * 2).requires_grad
    finally:
        gg.set_grad_enabled(True)
    with gg.inference_mode():
        assert not (x * 2).requires_grad


def test_grad_modes_as_decorators():
    @gg.no_grad()
    def f(t):
        return t * 2

    @gg.no_grad
    def f_bare(t):
        return t * 2

    @gg.enable_grad()
    def h(t):
        return t * 2

    @gg.set_grad_enabled(False)
    def k(t):
        return t * 2

    x = gg.ones(2, requires_grad=True)
    assert gg.is_grad_enabled()  # decorating with set_grad_enabled changed nothing
    assert not f(x).requires_grad and not f_bare(x).requires_grad and not k(x).requires_grad
    with gg.no_grad():
        assert h(x).requires_grad
    assert gg.is_grad_enabled()


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ValueError):
        with gg.no_grad():
            raise ValueError
    assert gg.is_grad_enabled()


# ---- autograd.grad ------------------------------------------------------------------------------
def test_grad_multiple_outputs_and_inputs_match_torch():
    (x, tx), (w, tw) = both([1.0, 2.0]), both([3.0, 4.0])
    ours = autograd.grad([(x * w).sum(), (x * x).sum()], [x, w])
    theirs = torch.autograd.grad([(tx * tw).sum(), (tx * tx).sum()], [tx, tw])
    for a, b in zip(ours, theirs):
        close(a, b)
    assert x.grad is None and w.grad is None  # grad() leaves .grad alone


def test_grad_outputs_and_non_leaf_inputs():
    (x, tx) = both([1.0, -2.0, 0.5])
    v = [0.5, 2.0, -1.0]
    y, ty = x.tanh(), tx.tanh()
    z, tz = y * y * x, ty * ty * tx
    ours = autograd.grad(z, [y, x], grad_outputs=gg.tensor(v, dtype=gg.float64))
    theirs = torch.autograd.grad(tz, [ty, tx], grad_outputs=torch.tensor(v, dtype=torch.float64))
    for a, b in zip(ours, theirs):
        close(a, b)


def test_grad_allow_unused():
    x = gg.tensor([1.0], requires_grad=True)
    u = gg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        autograd.grad((x * x).sum(), [x, u])
    gx, gu = autograd.grad((x * x).sum(), [x, u], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * x).sum(), [gg.ones(1)])


def test_grad_runs_leaf_hooks_like_torch():
    out = []
    for fw in (gg, torch):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        out.append(fw.autograd.grad((x * x).sum(), x)[0].tolist())
    assert out[0] == out[1] == [20.0, 40.0]


def test_create_graph_second_derivative_matches_torch():
    x, tx = both([0.3, -1.2, 2.0])
    g1, = autograd.grad((x.sin() * x * x).sum(), x, create_graph=True)
    tg1, = torch.autograd.grad((tx.sin() * tx * tx).sum(), tx, create_graph=True)
    assert g1.requires_grad
    close(g1, tg1)
    g2, = autograd.grad(g1.sum(), x)
    tg2, = torch.autograd.grad(tg1.sum(), tx)
    close(g2, tg2)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_gives_differentiable_grad():
    x, tx = both([0.5, 1.5])
    for t in (x, tx):
        (t ** 3).sum().backward(create_graph=True)
        g = t.grad
        t.grad = None
        (g * g).sum().backward()
    close(x.grad, tx.grad)  # d/dx sum((3x²)²) = 36 x³
    np.testing.assert_allclose(x.grad.numpy(), 36 * np.array([0.5, 1.5]) ** 3)


def test_hessian_vector_product_of_a_known_function():
    # f(x) = sum(x³) + |x|² · sum(x):  H = diag(6x + 2·sum(x)) + 2(x 1ᵀ + 1 xᵀ)
    xa = np.array([1.0, 2.0, -0.5])
    va = np.array([0.5, -1.0, 2.0])
    x = gg.tensor(xa, requires_grad=True)
    f = (x ** 3).sum() + (x * x).sum() * x.sum()
    g, = autograd.grad(f, x, create_graph=True)
    hv, = autograd.grad((g * gg.tensor(va)).sum(), x)
    ones = np.ones(3)
    hessian = np.diag(6 * xa + 2 * xa.sum()) + 2 * (np.outer(xa, ones) + np.outer(ones, xa))
    np.testing.assert_allclose(hv.numpy(), hessian @ va, rtol=1e-12)
    np.testing.assert_allclose(g.detach().numpy(), 3 * xa ** 2 + 2 * xa * xa.sum() + (xa ** 2).sum(), rtol=1e-12)


def test_vjp():
    x = gg.tensor([1.0, 2.0], dtype=gg.float64)
    out, g = autograd.vjp(lambda t: t * t, x, gg.tensor([1.0, 3.0], dtype=gg.float64))
    assert out.tolist() == [1.0, 4.0] and g.tolist() == [2.0, 12.0] and not out.requires_grad


# ---- deep graphs and memory ---------------------------------------------------------------------
def test_chain_of_100k_ops_backward_is_iterative():
    x = gg.tensor(1.0, dtype=gg.float64, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001
        y = y - 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 50_000, rel=1e-9)
    del y  # dropping a 100k-node graph must not recurse either


def test_dropped_graph_is_freed_without_the_cyclic_gc():
    gc.collect()
    gc.disable()
    try:
        x = gg.ones(3, requires_grad=True)
        a = x * 2
        b = a.exp()
        out = (b * a).sum()
        refs = [weakref.ref(t) for t in (a, b)] + [weakref.ref(n) for n in (out.grad_fn, a.grad_fn, b.grad_fn)]
        del a, b
        assert all(r() is not None for r in refs)  # still needed by out's graph
        del out
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_backward_frees_saved_buffers():
    gc.collect()
    gc.disable()
    try:
        x = gg.ones(3, requires_grad=True)
        a = x * 2
        b = a.exp()           # Exp saves its output b, Mul below saves a and b
        out = (b * a).sum()
        ra, rb = weakref.ref(a), weakref.ref(b)
        del a, b
        out.backward()
        assert ra() is None and rb() is None  # the nodes of out's graph are alive, their buffers are not
        assert out.grad_fn is not None
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_buffers():
    x = gg.ones(3, requires_grad=True)
    a = x * 2
    out = (a * a).sum()
    ra = weakref.ref(a)
    del a
    out.backward(retain_graph=True)
    assert ra() is not None
    out.backward()
    assert ra() is None


# ---- in-place ops -------------------------------------------------------------------------------
def test_in_place_on_a_leaf_that_requires_grad_is_torchs_error():
    x = gg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x += 1
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        torch.ones(2, requires_grad=True).add_(1)
    with gg.no_grad():  # what optimizers do
        x -= 0.5
    assert x.tolist() == [0.5, 0.5] and x.is_leaf and x.requires_grad


def test_in_place_on_a_saved_tensor_is_a_version_error_at_backward():
    for fw in (gg, torch):
        x = fw.ones(2, requires_grad=True)
        y = x * 2
        z = y * y        # saves y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_in_place_on_a_saved_input_that_needs_no_grad_is_detected():
    for fw in (gg, torch):
        w = fw.ones(2, requires_grad=True)
        c = fw.tensor([1.0, 2.0])
        y = c * w        # saves c for w's gradient
        c += 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_in_place_on_an_unsaved_intermediate_works_and_matches_torch():
    grads = []
    for fw in (gg, torch):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1        # add saves nothing
        y *= 3           # in place on a non-leaf: recorded
        y.exp().sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)

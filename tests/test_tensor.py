"""Tensor basics: creation functions, dtypes and conversions, attributes, seeding, and repr, each
against PyTorch."""
import numpy as np
import pytest
import torch

import glassgrad as gg


def same_text(ours, theirs):
    return str(ours).replace("glassgrad.", "") == str(theirs).replace("torch.", "")


# ---- creation -----------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [[1.0, 2.5], [1, 2], [True, False], 3.0, 7, False, [[1, 2.5], [3, 4]], [],
                                  np.array([1.0, 2.0]), np.array([1, 2], dtype=np.int32), np.float64(2.0)])
def test_tensor_dtype_and_values_match_torch(data):
    ours, theirs = gg.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_copies_its_data_and_from_numpy_shares_it():
    a = np.array([1.0, 2.0])
    t, s = gg.tensor(a), gg.from_numpy(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and s.tolist() == [9.0, 2.0]
    assert s.dtype == gg.float64
    assert s.numpy() is a  # .numpy() shares memory on the CPU
    with pytest.raises(TypeError, match="from_numpy"):
        gg.from_numpy([1.0, 2.0])


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_creation(name):
    for size in [(2, 3), ((2, 3),), ([4],), ((),), (0, 2)]:
        ours, theirs = getattr(gg, name)(*size), getattr(torch, name)(*size)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == gg.float32
        if name != "empty":
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(gg, name)(2, dtype=gg.int64).dtype == gg.int64
    t = getattr(gg, name)(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="negative dimension"):
        getattr(gg, name)(2, -1)


def test_full_dtype_follows_fill_value_like_torch():
    for value in [3, 2.5, True]:
        ours, theirs = gg.full((2, 2), value), torch.full((2, 2), value)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert gg.full((2,), 1, dtype=gg.float64).dtype == gg.float64


def test_like_functions_keep_shape_and_dtype():
    x = gg.ones(2, 3, dtype=gg.float64)
    for fn in (gg.zeros_like, gg.ones_like, gg.empty_like, gg.rand_like, gg.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == gg.float64 and not y.requires_grad
    assert gg.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert gg.zeros_like(x, dtype=gg.int32).dtype == gg.int32
    r = gg.randint_like(gg.zeros(50, dtype=gg.int64), 3, 6)
    assert r.dtype == gg.int64 and set(r.tolist()) <= {3, 4, 5}


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 4, 0.5), (0.0, 1.0, 0.25), (1.0, 4.0), (5, 0, -1), (-3, 3, 2)])
def test_arange_matches_torch(args):
    ours, theirs = gg.arange(*args), torch.arange(*args)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert gg.arange(4, dtype=gg.float64).dtype == gg.float64
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        gg.arange(0, 3, 0)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.0, 3.0, 7), (1, 1, 1), (0, 1, 0)])
def test_linspace_matches_torch(args):
    ours, theirs = gg.linspace(*args), torch.linspace(*args)
    assert ours.dtype == gg.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_eye_matches_torch():
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        np.testing.assert_array_equal(gg.eye(*args).numpy(), torch.eye(*args).numpy())
    assert gg.eye(2, dtype=gg.int64).dtype == gg.int64


def test_random_shapes_dtypes_and_ranges():
    u = gg.rand(1000)
    assert u.dtype == gg.float32 and u.shape == (1000,)
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0 and 0.4 < u.numpy().mean() < 0.6
    n = gg.randn(2000, dtype=gg.float64)
    assert n.dtype == gg.float64 and abs(n.numpy().mean()) < 0.1 and 0.9 < n.numpy().std() < 1.1
    r = gg.randint(3, 7, (500,))
    assert r.dtype == gg.int64 and r.numpy().min() == 3 and r.numpy().max() == 6
    assert gg.randint(5, (2, 3)).shape == (2, 3)
    assert gg.rand((2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match="floating dtype"):
        gg.randn(3, dtype=gg.int64)
    with pytest.raises(RuntimeError, match="low < high"):
        gg.randint(5, 5, (2,))


def test_manual_seed_reproduces_runs():
    def draw():
        return gg.rand(3).tolist() + gg.randn(2).tolist() + gg.randint(0, 100, (3,)).tolist()
    gg.manual_seed(123)
    first = draw()
    gg.manual_seed(123)
    assert draw() == first
    gg.manual_seed(124)
    assert draw() != first


def test_generator_is_independent_of_the_default_stream():
    a = gg.Generator().manual_seed(7)
    b = gg.Generator().manual_seed(7)
    gg.manual_seed(0)
    x = gg.randn(4, generator=a)
    gg.rand(10)  # advancing the default generator does not touch a or b
    assert gg.randn(4, generator=b).tolist() == x.tolist()
    state = gg.get_rng_state()
    y = gg.rand(3)
    gg.set_rng_state(state)
    assert gg.rand(3).tolist() == y.tolist()
    assert a.initial_seed() == 7


# ---- conversions and dtypes ---------------------------------------------------------------------
def test_item_tolist_and_python_numbers():
    assert gg.tensor(3.5).item() == 3.5 and isinstance(gg.tensor(3).item(), int)
    assert gg.tensor([[2.0]]).item() == 2.0
    assert gg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert gg.tensor(2.0).tolist() == 2.0
    assert float(gg.tensor(1.5)) == 1.5 and int(gg.tensor(4)) == 4
    with pytest.raises(RuntimeError, match="2 elements"):
        gg.tensor([1.0, 2.0]).item()


def test_numpy_of_a_tensor_that_requires_grad_is_refused():
    x = gg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("method,dtype", [("float", "float32"), ("double", "float64"), ("long", "int64"),
                                          ("int", "int32"), ("bool", "bool")])
def test_conversion_methods(method, dtype):
    data = [1.7, -2.2, 0.0]
    ours, theirs = getattr(gg.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert str(ours.dtype) == dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_dtype_and_gradient_flows_back_through_the_cast():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(gg.float64)
    assert y.dtype == gg.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == gg.float32 and x.grad.tolist() == [2.0, 4.0]
    assert x.to(dtype=gg.float32) is x  # no conversion needed: the same tensor, like PyTorch
    assert gg.tensor([1, 2]).to(gg.tensor(0.5, dtype=gg.float64)).dtype == gg.float64


def test_default_dtype_switch():
    try:
        gg.set_default_dtype(gg.float64)
        assert gg.tensor([1.0]).dtype == gg.float64 and gg.zeros(2).dtype == gg.float64
        assert gg.tensor([1]).dtype == gg.int64
    finally:
        gg.set_default_dtype(gg.float32)
    with pytest.raises(TypeError):
        gg.set_default_dtype(gg.int64)


# ---- attributes ---------------------------------------------------------------------------------
def test_attributes():
    x = gg.ones(2, 3, requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.T.shape == (3, 2)
    assert x.dtype == gg.float32 and x.device == gg.device("cpu") and str(x.device) == "cpu"
    assert x.is_leaf and x.grad is None and x.grad_fn is None and x.requires_grad
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert y.grad_fn.name() == "MulBackward"
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.array is y.array
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)
    with pytest.raises(TypeError, match="0-d"):
        len(gg.tensor(1.0))


def test_requires_grad_only_on_floating_tensors():
    for make in (lambda: gg.tensor([1, 2], requires_grad=True),
                 lambda: gg.zeros(2, dtype=gg.int64, requires_grad=True),
                 lambda: gg.tensor([True]).requires_grad_()):
        with pytest.raises(RuntimeError, match="floating point"):
            make()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)
    assert gg.tensor([1.0], dtype=gg.float64).requires_grad_().requires_grad


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = gg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


# ---- repr ---------------------------------------------------------------------------------------
REPR_CASES = [
    [1.0, 2.0, 3.0], [1.5, 2.25, -3.0], [0.1, 0.2, 0.3], [1e-5, 1.0], [1e9, 1.0], [123456.789, 1.0], 3.0, 3.5, 0.0,
    -0.0, [[1.0, 2.0], [3.0, 4.0]], [1, 2, 3], [-5, 120], [True, False], [float("nan"), 1.0],
    [float("inf"), -1.5], [float("-inf"), 2.0], [[0.12345678, -1.5], [2.0, 300.25]], [1e-10], [100.0, 0.5],
    [1e8, 1.0], [1e7, 1.0], [0.001, 1000.0], [0.0001, 1.0], [1.0, 99999.0], [], [[]], 5, True, 1e20,
    [float("nan")], [0.0, 0.0], list(range(2000)), [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
]


@pytest.mark.parametrize("data", REPR_CASES, ids=lambda d: str(d)[:30])
def test_repr_matches_torch(data):
    assert same_text(gg.tensor(data), torch.tensor(data)), (str(gg.tensor(data)), str(torch.tensor(data)))


@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), (50, 50), (2000,), (10, 200), (3, 4, 100), (30,)])
@pytest.mark.parametrize("scale", [1.0, 1e-5, 1e5, 100.0])
def test_repr_of_random_arrays_matches_torch(shape, scale):
    a = (np.random.default_rng(0).standard_normal(shape) * scale).astype(np.float32)
    for arr in (a, np.round(a)):
        assert same_text(gg.from_numpy(arr), torch.from_numpy(arr))


@pytest.mark.parametrize("arr", [np.arange(2000).reshape(40, 50), np.arange(5, dtype=np.int32),
                                 np.zeros((2, 0), np.int64), np.zeros(0, np.int64), np.zeros(3),
                                 np.linspace(0, 1, 1500), np.array([1.5, 2.0], dtype=np.float64)],
                         ids=lambda a: f"{a.dtype}{a.shape}")
def test_repr_of_other_dtypes_and_sizes_matches_torch(arr):
    assert same_text(gg.from_numpy(arr), torch.from_numpy(arr))


def test_repr_shows_requires_grad_and_grad_fn():
    x, tx = gg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    assert same_text(x, tx)
    assert str(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    # a long last line moves the suffixes to their own line, as in PyTorch
    a = np.random.default_rng(1).standard_normal((30, 3))
    ours = str(gg.tensor(a, requires_grad=True))
    assert ours.endswith("dtype=glassgrad.float64,\n       requires_grad=True)")
    theirs = str(torch.tensor(a, requires_grad=True)).replace("torch.", "")
    assert ours.replace("glassgrad.", "").split("\n")[:-1] == theirs.split("\n")[:-1]


def test_set_printoptions_precision():
    try:
        gg.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        assert same_text(gg.tensor([1.2345, 2.5]), torch.tensor([1.2345, 2.5]))
    finally:
        gg.set_printoptions(precision=4)
        torch.set_printoptions(precision=4)

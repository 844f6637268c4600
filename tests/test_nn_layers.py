"""Layers (Linear, Identity, Flatten/Unflatten, Dropout, Embedding, activations) against PyTorch
from identical weights, finite differences, default initializations and errors."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck, gradgradcheck

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _copy_weights(ours, theirs):
    """Copy every parameter and buffer of the torch module into ours (through load_state_dict)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _check(ours, theirs, x, dtype, rng, input_grad=True):
    """Forward, backward (input and parameter gradients) of our module vs torch's."""
    xt = torch.tensor(x, requires_grad=input_grad and x.dtype.kind == "f")
    xg = glassgrad.Tensor(x.copy(), requires_grad=input_grad and x.dtype.kind == "f")
    yt, y = theirs(xt), ours(xg)
    assert y.shape == tuple(yt.shape) and y.dtype == dtype
    np.testing.assert_allclose(y.array, yt.detach().numpy(), **TOL[dtype])
    dy = rng.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.tensor(dy))
    y.backward(glassgrad.Tensor(dy))
    if xt.requires_grad:
        np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), **TOL[dtype])
    ours_p = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        if p.grad is None:
            assert ours_p[name].grad is None
        else:
            assert ours_p[name].grad.dtype == dtype
            np.testing.assert_allclose(ours_p[name].grad.array, p.grad.numpy(), **TOL[dtype])


# ---- Linear ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (2, 1, 3, 4), (0, 4)])
def test_linear_matches_torch(shape, bias, dtype, rng):
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    ours = nn.Linear(4, 3, bias=bias, dtype=dtype)
    _copy_weights(ours, theirs)
    _check(ours, theirs, rng.standard_normal(shape).astype(dtype), dtype, rng)


def test_linear_gradcheck_and_double_backward(rng):
    x = glassgrad.Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = glassgrad.Tensor(rng.standard_normal((5, 4)), requires_grad=True)
    b = glassgrad.Tensor(rng.standard_normal(5), requires_grad=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))


def test_linear_skips_unneeded_grads(rng):
    x = glassgrad.Tensor(rng.standard_normal((3, 4)))
    lin = nn.Linear(4, 2).double()
    lin.weight.requires_grad_(False)
    lin(x.double()).sum().backward()
    assert lin.weight.grad is None and lin.bias.grad is not None
    np.testing.assert_allclose(lin.bias.grad.array, np.full(2, 3.0))


def test_linear_default_init_matches_torch_distribution():
    glassgrad.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w, b = lin.weight.array, lin.bias.array
    assert w.dtype == np.float32 and lin.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # kaiming_uniform_(a=√5) is U(-1/√fan_in, 1/√fan_in): std = bound/√3
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(w).max() > 0.99 * bound


def test_linear_repr_and_errors(rng):
    assert repr(nn.Linear(4, 3, bias=False)) == repr(torch.nn.Linear(4, 3, bias=False))
    lin = nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match="in_features=4"):
        lin(glassgrad.randn(2, 5))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.linear(glassgrad.randn(2, 4).double(), lin.weight)
    with pytest.raises(RuntimeError, match="bias must have shape"):
        F.linear(glassgrad.randn(2, 4), lin.weight, glassgrad.randn(4))
    assert lin.bias is not None and nn.Linear(4, 3, bias=False).bias is None


def test_identity_returns_input():
    x = glassgrad.randn(3, 2)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


# ---- Flatten / Unflatten -----------------------------------------------------------------------
@pytest.mark.parametrize("args", [(), (0,), (1, 2), (-3, -2), (2, -1)])
def test_flatten_matches_torch(args, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    _check(nn.Flatten(*args), torch.nn.Flatten(*args), x, np.float64, rng)
    assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


@pytest.mark.parametrize("dim,size", [(1, (3, 4)), (-1, (2, -1)), (0, (2, 1))])
def test_unflatten_matches_torch(dim, size, rng):
    x = rng.standard_normal((2, 12))
    _check(nn.Unflatten(dim, size), torch.nn.Unflatten(dim, size), x, np.float64, rng)
    assert repr(nn.Unflatten(dim, size)) == repr(torch.nn.Unflatten(dim, size))


def test_flatten_unflatten_errors():
    with pytest.raises(RuntimeError, match="doesn't match"):
        nn.Unflatten(1, (5, 2))(glassgrad.randn(2, 12))
    with pytest.raises(IndexError):
        nn.Flatten(3)(glassgrad.randn(2, 3))
    with pytest.raises(RuntimeError, match="cannot come after"):
        nn.Flatten(2, 1)(glassgrad.randn(2, 3, 4))


# ---- activations -------------------------------------------------------------------------------
ACTIVATIONS = [
    ("ReLU", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {}), ("ELU", {"alpha": 0.5}),
    ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Sigmoid", {}), ("Tanh", {}),
    ("Softplus", {}), ("Softplus", {"beta": 2.0, "threshold": 1.0}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", ACTIVATIONS)
def test_activation_modules_match_torch(name, kwargs, dtype, rng):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    x = (rng.standard_normal((3, 7)) * 3).astype(dtype)
    _check(ours, theirs, x, dtype, rng)


@pytest.mark.parametrize("name,kwargs", [("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.1}), ("ELU", {}), ("SiLU", {})])
def test_inplace_activations_match_torch(name, kwargs, rng):
    x = rng.standard_normal((4, 5))
    ours, theirs = getattr(nn, name)(inplace=True, **kwargs), getattr(torch.nn, name)(inplace=True, **kwargs)
    assert repr(ours) == repr(theirs)
    xg = glassgrad.Tensor(x.copy(), requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    hg, ht = xg * 1.0, xt * 1.0
    yg, yt = ours(hg), theirs(ht)
    assert yg is hg
    np.testing.assert_allclose(hg.array, ht.detach().numpy(), rtol=1e-12)
    (yg * yg).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-10)
    with pytest.raises(RuntimeError, match="leaf"):
        ours(glassgrad.Tensor(x.copy(), requires_grad=True))


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_modules_match_torch(name, dim, rng):
    ours, theirs = getattr(nn, name)(dim=dim), getattr(torch.nn, name)(dim=dim)
    assert repr(ours) == repr(theirs)
    x = rng.standard_normal((3, 4, 5)) * 5
    _check(ours, theirs, x, np.float64, rng)


def test_softmax_implicit_dim_and_dtype(rng):
    x = rng.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(glassgrad.Tensor(x))
    np.testing.assert_allclose(y.array, torch.softmax(torch.tensor(x), 1).numpy(), rtol=1e-12)
    y = F.log_softmax(glassgrad.Tensor(x.astype(np.float32)), dim=0, dtype=glassgrad.float64)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.array, torch.log_softmax(torch.tensor(x), 0).numpy(), rtol=1e-6)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


# ---- Dropout -----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9])
def test_dropout_training_statistics_and_gradient(p):
    x = glassgrad.Tensor(np.ones((200, 500)), requires_grad=True)
    drop = nn.Dropout(p)
    y = drop(x)
    kept = y.array != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y.array[kept], 1 / (1 - p))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, y.array)  # d(x·m)/dx = m
    assert repr(drop) == repr(torch.nn.Dropout(p))


def test_dropout_eval_and_edge_probabilities():
    x = glassgrad.randn(4, 5)
    drop = nn.Dropout(0.5).eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).array, np.zeros((4, 5), np.float32))
    assert F.dropout(x, 0.3).dtype == np.float32
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)


def test_dropout_uses_default_generator():
    glassgrad.manual_seed(3)
    a = F.dropout(glassgrad.ones(50, 50), 0.5).array
    glassgrad.manual_seed(3)
    b = F.dropout(glassgrad.ones(50, 50), 0.5).array
    c = F.dropout(glassgrad.ones(50, 50), 0.5).array
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_inplace():
    x = glassgrad.Tensor(np.ones((30, 30)), requires_grad=True)
    h = x * 2.0
    y = nn.Dropout(0.5, inplace=True)(h)
    assert y is h and set(np.unique(y.array)) <= {0.0, 4.0}
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, y.array)


def test_dropout2d_zeroes_whole_channels():
    x = glassgrad.Tensor(np.ones((40, 50, 3, 4)), requires_grad=True)
    y = nn.Dropout2d(0.3)(x)
    per_channel = y.array.reshape(40, 50, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 1 / 0.7).all(-1))
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.05
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, y.array)
    with pytest.warns(UserWarning, match="3D input"):
        y3 = F.dropout2d(glassgrad.ones(4, 6, 5), 0.5)
    assert np.all(np.ptp(y3.array, axis=-1) == 0)
    with pytest.raises(RuntimeError, match="4D"):
        F.dropout2d(glassgrad.ones(4, 6), 0.5)
    assert nn.Dropout2d(0.5).eval()(x) is x
    assert repr(nn.Dropout2d(0.2, True)) == repr(torch.nn.Dropout2d(0.2, True))


# ---- Embedding ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 0)])
def test_embedding_matches_torch(shape, padding_idx, dtype, rng):
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    theirs = torch.nn.Embedding(6, 4, padding_idx=padding_idx, dtype=tdtype)
    ours = nn.Embedding(6, 4, padding_idx=padding_idx, dtype=dtype)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.normal_()  # padding row non-zero too: its value is looked up but gets no grad
    _copy_weights(ours, theirs)
    idx = rng.integers(0, 6, shape)
    if idx.size:
        idx.reshape(-1)[0] = (padding_idx or 0) % 6  # make sure the padding row and repeats occur
        idx.reshape(-1)[-1] = (padding_idx or 0) % 6
    _check(ours, theirs, idx, dtype, rng)


def test_embedding_default_init_and_padding():
    emb = nn.Embedding(2000, 50, padding_idx=5)
    w = emb.weight.array
    np.testing.assert_array_equal(w[5], 0)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    assert emb.padding_idx == 5 and nn.Embedding(10, 3, padding_idx=-2).padding_idx == 8


def test_embedding_gradcheck_and_double_backward(rng):
    w = glassgrad.Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx = glassgrad.tensor([[0, 2, 2], [4, 0, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    # with padding_idx the padding row's gradient is zero by design (not the true derivative),
    # but the backward is still a linear map of the incoming gradient: check its derivative
    assert gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=2) ** 2, (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))


def test_embedding_from_pretrained(rng):
    table = glassgrad.Tensor(rng.standard_normal((4, 3)))
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.weight.array is table.array
    np.testing.assert_array_equal(emb(glassgrad.tensor([3, 1])).array, table.array[[3, 1]])
    emb = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert emb.weight.requires_grad and emb.padding_idx == 1
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(glassgrad.randn(3))


def test_embedding_errors():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="out of range"):
        emb(glassgrad.tensor([0, 4]))
    with pytest.raises(IndexError, match="out of range"):
        emb(glassgrad.tensor([-1]))
    with pytest.raises(RuntimeError, match="integer"):
        emb(glassgrad.tensor([0.0, 1.0]))
    with pytest.raises(AssertionError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)


# ---- containers as layers ----------------------------------------------------------------------
def test_mlp_matches_torch_end_to_end(rng):
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.GELU(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                 torch.nn.Flatten(0), torch.nn.Unflatten(0, (4, 8))).double()
    ours = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Flatten(0), nn.Unflatten(0, (4, 8))).double()
    _copy_weights(ours, theirs)
    _check(ours, theirs, rng.standard_normal((4, 6)), np.float64, rng)
    assert repr(ours) == repr(theirs)


def test_dropout1d_zeroes_whole_channels():
    x = glassgrad.ones(30, 40, 6)
    y = nn.Dropout1d(0.5)(x).array
    assert np.all(np.ptp(y, axis=-1) == 0) and set(np.unique(y)) == {0.0, 2.0}
    y = F.dropout1d(glassgrad.ones(40, 6), 0.5).array  # unbatched (C, L)
    assert np.all(np.ptp(y, axis=-1) == 0)
    with pytest.raises(RuntimeError, match="2D .unbatched. or 3D"):
        F.dropout1d(glassgrad.ones(2, 3, 4, 5))


def test_embedding_accepts_int32_indices():
    emb = nn.Embedding(5, 2)
    out = emb(glassgrad.tensor(np.array([[4, 0]], dtype=np.int32)))
    np.testing.assert_array_equal(out.array, emb.weight.array[[[4, 0]]])


@pytest.mark.parametrize("name,kwargs", [("relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("elu", {"alpha": 2.0}),
                                         ("gelu", {"approximate": "tanh"}), ("silu", {}), ("sigmoid", {}), ("tanh", {}),
                                         ("softplus", {"beta": 0.5, "threshold": 3.0})])
def test_functional_activations_match_torch(name, kwargs, rng):
    x = rng.standard_normal((5, 6)) * 4
    xg, xt = glassgrad.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yg, yt = getattr(F, name)(xg, **kwargs), getattr(torch.nn.functional, name)(xt, **kwargs)
    np.testing.assert_allclose(yg.array, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    yg.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-10, atol=1e-12)

"""Convolutions (F.conv1d/conv2d/conv_transpose1d/conv_transpose2d and the Conv modules) against PyTorch,
finite differences and the error messages."""
import math

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck, gradgradcheck
from parity import LAYER_TOL as TOL, check_layer_parity

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")



CONV2D_CASES = [  # (N, C, H, W, O, kernel, stride, padding, dilation, groups)
    (2, 3, 6, 7, 4, 3, 1, 0, 1, 1),
    (2, 4, 7, 6, 6, 3, 1, 1, 1, 2),
    (1, 3, 8, 9, 4, (2, 3), (2, 1), (1, 0), (1, 2), 1),
    (2, 4, 5, 5, 4, 3, 2, 2, 2, 4),  # depthwise
    (1, 2, 5, 6, 2, 4, 1, "same", 1, 1),  # even kernel: extra padding bottom/right
    (2, 2, 6, 6, 4, (2, 3), 1, "same", (2, 1), 2),
    (1, 3, 5, 5, 2, 3, 2, "valid", 1, 1),
    (1, 1, 3, 3, 1, 3, 1, 0, 1, 1),  # kernel as large as the input: 1x1 output
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(case, dtype, bias, rng):
    n, c, h, w, o, k, s, p, d, g = case
    kk = k if isinstance(k, tuple) else (k, k)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c // g) + kk),
              rng.standard_normal(o) if bias else None]
    check_layer_parity(lambda x, wt, b: F.conv2d(x, wt, b, s, p, d, g),
            lambda x, wt, b: torch.nn.functional.conv2d(x, wt, b, s, p, d, g), arrays, dtype, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", [(2, 3, 9, 4, 3, 1, 0, 1, 1), (2, 4, 10, 6, 3, 2, 1, 2, 2),
                                  (1, 2, 7, 2, 4, 1, "same", 1, 1), (1, 2, 7, 2, 3, 1, "same", 3, 2)])
def test_conv1d_matches_torch(case, dtype, rng):
    n, c, length, o, k, s, p, d, g = case
    arrays = [rng.standard_normal((n, c, length)), rng.standard_normal((o, c // g, k)), rng.standard_normal(o)]
    check_layer_parity(lambda x, wt, b: F.conv1d(x, wt, b, s, p, d, g),
            lambda x, wt, b: torch.nn.functional.conv1d(x, wt, b, s, p, d, g), arrays, dtype, rng)


CONVT_CASES = [  # (N, C_in, H, W, C_out, kernel, stride, padding, output_padding, groups, dilation)
    (2, 3, 4, 5, 2, 3, 1, 0, 0, 1, 1),
    (2, 4, 3, 4, 6, 3, 2, 1, 1, 2, 1),
    (1, 2, 4, 3, 3, (2, 3), (3, 2), (1, 0), (2, 1), 1, (1, 2)),
    (1, 2, 3, 3, 2, 2, 2, 0, 0, 1, 1),
    (1, 2, 3, 3, 2, 2, 1, 0, 1, 1, 2),  # output padding below dilation
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONVT_CASES)
def test_conv_transpose2d_matches_torch(case, dtype, rng):
    n, c, h, w, o, k, s, p, op, g, d = case
    kk = k if isinstance(k, tuple) else (k, k)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((c, o // g) + kk), rng.standard_normal(o)]
    check_layer_parity(lambda x, wt, b: F.conv_transpose2d(x, wt, b, s, p, op, g, d),
            lambda x, wt, b: torch.nn.functional.conv_transpose2d(x, wt, b, s, p, op, g, d), arrays, dtype, rng)


def test_conv_transpose1d_matches_torch(rng):
    arrays = [rng.standard_normal((2, 4, 5)), rng.standard_normal((4, 3, 3)), rng.standard_normal(6)]
    check_layer_parity(lambda x, wt, b: F.conv_transpose1d(x, wt, b, 2, 1, 1, 2),
            lambda x, wt, b: torch.nn.functional.conv_transpose1d(x, wt, b, 2, 1, 1, 2), arrays, np.float64, rng)


def test_conv_noncontiguous_input(rng):
    x = rng.standard_normal((2, 5, 6, 3)).transpose(0, 3, 1, 2)  # (2, 3, 5, 6), not C-contiguous
    w = rng.standard_normal((2, 3, 2, 2))
    y = F.conv2d(glassgrad.Tensor(x), glassgrad.Tensor(w), padding=1)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    np.testing.assert_allclose(y.array, ref.numpy(), rtol=1e-10, atol=1e-12)


def _leaves(rng, *shapes):
    return [glassgrad.Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def test_conv2d_gradcheck_and_double_backward(rng):
    x, w, b = _leaves(rng, (1, 4, 4, 5), (2, 2, 2, 3), (2,))
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv_transpose2d_gradcheck_and_double_backward(rng):
    x, w, b = _leaves(rng, (1, 2, 3, 3), (2, 2, 2, 2), (2,))
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv1d_gradcheck(rng):
    x, w = _leaves(rng, (2, 2, 6), (3, 2, 2))
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same", dilation=2), (x, w))


def test_conv_double_backward_matches_torch(rng):
    """A gradient penalty: d/dw of |dL/dx|² through conv2d."""
    xa, wa = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    x, w = glassgrad.Tensor(xa, requires_grad=True), glassgrad.Tensor(wa, requires_grad=True)
    xt, wt = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    (gx,) = glassgrad.autograd.grad((F.conv2d(x, w, stride=2, padding=1) ** 2).sum(), [x], create_graph=True)
    (gxt,) = torch.autograd.grad((torch.nn.functional.conv2d(xt, wt, stride=2, padding=1) ** 2).sum(), [xt],
                                 create_graph=True)
    (gx * gx).sum().backward()
    (gxt * gxt).sum().backward()
    np.testing.assert_allclose(w.grad.array, wt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_errors():
    x = glassgrad.zeros(8, 1, 28, 28)
    w = glassgrad.zeros(4, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv2d: expected input with 4 dims \(N, C, H, W\) and 3 channels, "
                                           r"got shape \(8, 1, 28, 28\)"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match="expected input with 4 dims"):
        F.conv2d(glassgrad.zeros(3, 28, 28), w)
    with pytest.raises(RuntimeError, match="can't be greater than the padded input size 4"):
        F.conv2d(glassgrad.zeros(1, 3, 2, 2), glassgrad.zeros(1, 3, 5, 5), padding=1)
    with pytest.raises(ValueError, match="not supported for strided"):
        F.conv2d(glassgrad.zeros(1, 3, 5, 5), w, stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string"):
        F.conv2d(glassgrad.zeros(1, 3, 5, 5), w, padding="full")
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(glassgrad.zeros(1, 3, 5, 5, dtype=glassgrad.float64), w)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.conv2d(glassgrad.zeros(1, 4, 5, 5), glassgrad.zeros(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"conv1d: expected input with 3 dims"):
        F.conv1d(glassgrad.zeros(1, 3, 5, 5), glassgrad.zeros(2, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(glassgrad.zeros(1, 3, 4, 4), glassgrad.zeros(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="conv_transpose2d: expected input with 4 dims"):
        F.conv_transpose2d(glassgrad.zeros(1, 2, 4, 4), glassgrad.zeros(3, 2, 3, 3))


# ---- modules -----------------------------------------------------------------------------------
def _copy_params(gg_mod, torch_mod):
    for name in ("weight", "bias"):
        t = getattr(torch_mod, name)
        if t is not None:
            getattr(gg_mod, name).array[...] = t.detach().numpy()


def _module_parity(gg_mod, torch_mod, x, rng, **kwargs):
    _copy_params(gg_mod, torch_mod)
    xt = torch.tensor(x, requires_grad=True)
    xg = glassgrad.Tensor(x.copy(), requires_grad=True)
    yt, y = torch_mod(xt, **kwargs), gg_mod(xg, **kwargs)
    tol = TOL[x.dtype.type]
    np.testing.assert_allclose(y.array, yt.detach().numpy(), **tol)
    dy = rng.standard_normal(yt.shape).astype(x.dtype)
    yt.backward(torch.tensor(dy))
    y.backward(glassgrad.Tensor(dy))
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), **tol)
    for name in ("weight", "bias"):
        if getattr(torch_mod, name) is not None:
            np.testing.assert_allclose(getattr(gg_mod, name).grad.array, getattr(torch_mod, name).grad.numpy(), **tol)
    assert gg_mod.extra_repr() == torch_mod.extra_repr()


MODULE_CASES = [
    ("Conv2d", (3, 4, 3), dict(), (2, 3, 6, 5)),
    ("Conv2d", (4, 6, (2, 3)), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2, bias=False), (2, 4, 7, 6)),
    ("Conv2d", (2, 3, 4), dict(padding="same"), (1, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=(1, 2), padding_mode="replicate", stride=2), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 2), dict(padding="same", padding_mode="circular"), (2, 2, 5, 6)),
    ("Conv2d", (3, 4, 3), dict(padding=1), (3, 6, 5)),  # unbatched
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (2, 4, 4), dict(padding="same", dilation=2, groups=2, padding_mode="reflect"), (2, 2, 9)),
    ("Conv1d", (2, 4, 3), dict(), (2, 7)),  # unbatched
    ("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(stride=(2, 1), groups=2, dilation=(1, 2), bias=False), (2, 4, 3, 3)),
    ("ConvTranspose2d", (3, 2, 3), dict(), (3, 4, 4)),  # unbatched
    ("ConvTranspose1d", (3, 2, 3), dict(stride=3, padding=1, output_padding=2), (2, 3, 5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kwargs,shape", MODULE_CASES)
def test_conv_modules_match_torch(name, args, kwargs, shape, dtype, rng):
    torch_mod = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, np.dtype(dtype).name))
    gg_mod = getattr(glassgrad.nn, name)(*args, **kwargs, dtype=dtype)
    assert gg_mod.weight.shape == tuple(torch_mod.weight.shape) and gg_mod.weight.dtype == dtype
    _module_parity(gg_mod, torch_mod, rng.standard_normal(shape).astype(dtype), rng)


def test_conv_transpose2d_output_size(rng):
    torch_mod, gg_mod = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, dtype=torch.float64), \
        glassgrad.nn.ConvTranspose2d(2, 3, 3, stride=2, dtype=np.float64)
    _module_parity(gg_mod, torch_mod, rng.standard_normal((1, 2, 4, 4)), rng, output_size=(10, 9))
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        gg_mod(glassgrad.zeros(1, 2, 4, 4, dtype=glassgrad.float64), output_size=(12, 9))


@pytest.mark.parametrize("cls,args,fan_in", [("Conv2d", (8, 32, 3), 72), ("Conv2d", (8, 32, 3, 1, 0, 1, 4), 18),
                                             ("Conv1d", (16, 64, 5), 80), ("ConvTranspose2d", (32, 8, 3), 72)])
def test_conv_default_init_matches_pytorch_distribution(cls, args, fan_in):
    m = getattr(glassgrad.nn, cls)(*args)
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.array
    assert w.dtype == np.float32 and m.bias.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(m.bias.array).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.06 * bound / math.sqrt(3)  # U(-b, b) has std b/√3
    assert abs(w.mean()) < 0.05 * bound
    assert not np.allclose(m.bias.array, 0)


def test_conv_module_errors():
    m = glassgrad.nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"^Conv2d: expected input with 4 dims \(N, C, H, W\) and 3 channels, "
                                           r"got shape \(8, 1, 28, 28\)$"):
        m(glassgrad.zeros(8, 1, 28, 28))
    with pytest.raises(RuntimeError, match=r"Conv1d: expected input with 3 dims \(N, C, L\) and 2 channels"):
        glassgrad.nn.Conv1d(2, 3, 3)(glassgrad.zeros(1, 2, 4, 4))
    with pytest.raises(RuntimeError, match="can't be greater than the padded input size"):
        m(glassgrad.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="divisible by groups"):
        glassgrad.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        glassgrad.nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="not supported for strided"):
        glassgrad.nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="reflect padding"):
        glassgrad.nn.Conv2d(3, 4, 3, padding=3, padding_mode="reflect")(glassgrad.zeros(1, 3, 3, 3))

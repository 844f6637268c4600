"""Conv3d / ConvTranspose3d (the three conv ops extended to 3-d), Fold / Unfold and EmbeddingBag,
added for issue 13: parity with PyTorch in float64 (outputs, input and parameter gradients),
state_dicts both ways, reprs, gradcheck / gradgradcheck and errors."""
import warnings

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from nn_surface import check, check_module, gradcheck

TF = torch.nn.functional

CONV3D = [dict(), dict(stride=2, padding=1), dict(stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1)),
          dict(groups=2, padding="same"), dict(padding="valid")]


@pytest.mark.parametrize("kw", CONV3D, ids=lambda v: str(v))
def test_conv3d(kw, rng):
    x = rng.standard_normal((2, 4, 5, 6, 5))
    w = rng.standard_normal((6, 4 // kw.get("groups", 1), 3, 2, 3))
    with warnings.catch_warnings():  # PyTorch's note on even kernels with padding='same'
        warnings.simplefilter("ignore")
        check(lambda a, b, c: F.conv3d(a, b, c, **kw), lambda a, b, c: TF.conv3d(a, b, c, **kw),
              [x, w, rng.standard_normal(6)], rng)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(1, 2, 1), dilation=(2, 1, 1), groups=2)], ids=lambda v: str(v))
def test_conv_transpose3d(kw, rng):
    x = rng.standard_normal((2, 4, 3, 4, 3))
    w = rng.standard_normal((4, 6 // kw.get("groups", 1), 3, 2, 3))
    check(lambda a, b, c: F.conv_transpose3d(a, b, c, **kw), lambda a, b, c: TF.conv_transpose3d(a, b, c, **kw),
          [x, w, rng.standard_normal(6)], rng)


def test_conv3d_second_order(rng):
    x = glassgrad.tensor(rng.standard_normal((1, 2, 3, 3, 3)), requires_grad=True)
    w = glassgrad.tensor(rng.standard_normal((2, 2, 2, 2, 2)), requires_grad=True)
    assert glassgrad.autograd.gradgradcheck(lambda a, b: F.conv3d(a, b, padding=1, stride=2), (x, w))
    assert glassgrad.autograd.gradgradcheck(lambda a, b: F.conv_transpose3d(a, b, stride=2), (x, w))


CONV3D_LAYERS = [((4, 6, 3), {}), ((4, 6, (3, 2, 1)), dict(stride=2, padding=1, bias=False)),
                 ((4, 6, 3), dict(padding="same", padding_mode="reflect")),
                 ((4, 6, 2), dict(padding=1, padding_mode="circular", groups=2)),
                 ((4, 6, 3), dict(padding=(0, 1, 1), padding_mode="replicate", dilation=(1, 2, 1)))]


@pytest.mark.parametrize("args,kw", CONV3D_LAYERS, ids=lambda v: str(v))
@pytest.mark.parametrize("batched", [True, False])
def test_conv3d_layer(args, kw, batched, rng):
    g, t = nn.Conv3d(*args, **kw), torch.nn.Conv3d(*args, **kw)
    assert repr(g) == repr(t)
    shape = (2, 4, 5, 6, 5) if batched else (4, 5, 6, 5)
    check_module(g, t, [rng.standard_normal(shape)], rng)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False)],
                         ids=lambda v: str(v))
def test_conv_transpose3d_layer(kw, rng):
    g, t = nn.ConvTranspose3d(4, 6, 3, **kw), torch.nn.ConvTranspose3d(4, 6, 3, **kw)
    assert repr(g) == repr(t)
    check_module(g, t, [rng.standard_normal((2, 4, 3, 4, 3))], rng)
    x = glassgrad.randn(1, 4, 3, 4, 3)
    out = g.float()(x, output_size=(6, 8, 6)) if kw else g.float()(x)
    assert out.shape[2:] == ((6, 8, 6) if kw else (5, 6, 5))


def test_conv3d_init_bound():
    glassgrad.manual_seed(0)
    w = nn.Conv3d(2, 300, 3).weight.detach().numpy()
    bound = 1 / np.sqrt(2 * 27)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_conv3d_errors():
    w = glassgrad.randn(6, 4, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv3d: expected input with 5 dims \(N, C, D, H, W\).*4 channels"):
        F.conv3d(glassgrad.randn(2, 3, 5, 5, 5), w)
    with pytest.raises(RuntimeError, match="conv3d: weight must have 5 dims"):
        F.conv3d(glassgrad.randn(2, 4, 5, 5, 5), glassgrad.randn(6, 4, 3, 3))
    with pytest.raises(RuntimeError, match="kernel size .* can't be greater than the padded input size"):
        F.conv3d(glassgrad.randn(1, 4, 2, 5, 5), w)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv3d(glassgrad.randn(1, 4, 5, 5, 5), w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match=r"Conv3d: expected input with 5 dims \(N, C, D, H, W\)"):
        nn.Conv3d(4, 6, 3)(glassgrad.randn(2, 4, 5, 5))


# ---- fold / unfold -------------------------------------------------------------------------------
FOLD = [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=(2, 1), padding=1, dilation=(1, 2)),
        dict(kernel_size=3, stride=2, padding=(0, 1))]


@pytest.mark.parametrize("kw", FOLD, ids=lambda v: str(v))
def test_unfold_and_fold(kw, rng):
    x = rng.standard_normal((2, 3, 6, 7))
    check(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), [x], rng)
    cols = TF.unfold(torch.tensor(x), **kw).numpy()
    check(lambda a: F.fold(a, (6, 7), **kw), lambda a: TF.fold(a, (6, 7), **kw), [rng.standard_normal(cols.shape)], rng)
    check(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), [x[0]], rng)   # unbatched
    g, t = nn.Unfold(**kw), torch.nn.Unfold(**kw)
    assert repr(g) == repr(t)
    check(g, t, [x], rng)
    g, t = nn.Fold((6, 7), **kw), torch.nn.Fold((6, 7), **kw)
    assert repr(g) == repr(t)
    check(g, t, [cols[0]], rng)
    small = rng.standard_normal((1, 2, 4, 4))
    gradcheck(lambda a: F.unfold(a, **kw), [small])
    assert glassgrad.autograd.gradgradcheck(lambda a: F.fold(F.unfold(a, **kw) ** 2, (4, 4), **kw),
                                            (glassgrad.tensor(small, requires_grad=True),))


def test_fold_errors():
    with pytest.raises(RuntimeError, match="expected size of input's dimension 1 to be divisible"):
        F.fold(glassgrad.randn(1, 5, 12), (4, 5), 2)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks 3 \\* 4 = 12, but got input.size\\(2\\)=10"):
        F.fold(glassgrad.randn(1, 4, 10), (4, 5), 2)
    with pytest.raises(NotImplementedError, match="unfold: Input Error: Only 3D or 4D"):
        F.unfold(glassgrad.randn(3, 4), 2)


# ---- EmbeddingBag --------------------------------------------------------------------------------
def _bag_cases(rng):
    return [dict(input=rng.integers(0, 10, (3, 5))),
            dict(input=rng.integers(0, 10, 9), offsets=np.array([0, 2, 2, 7])),
            dict(input=rng.integers(0, 10, 9), offsets=np.array([0, 3, 5, 9]), include_last_offset=True)]


@pytest.mark.parametrize("case", [0, 1, 2])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_embedding_bag(case, mode, padding_idx, rng):
    c = _bag_cases(rng)[case]
    kw = dict(mode=mode, padding_idx=padding_idx, include_last_offset=c.get("include_last_offset", False))
    off = c.get("offsets")
    check(lambda w: F.embedding_bag(glassgrad.tensor(c["input"]), w, None if off is None else glassgrad.tensor(off), **kw),
          lambda w: TF.embedding_bag(torch.tensor(c["input"]), w, None if off is None else torch.tensor(off), **kw),
          [rng.standard_normal((10, 4))], rng)


@pytest.mark.parametrize("case", [0, 1])
def test_embedding_bag_per_sample_weights(case, rng):
    c = _bag_cases(rng)[case]
    off = c.get("offsets")
    check(lambda w, p: F.embedding_bag(glassgrad.tensor(c["input"]), w, None if off is None else glassgrad.tensor(off),
                                       mode="sum", per_sample_weights=p),
          lambda w, p: TF.embedding_bag(torch.tensor(c["input"]), w, None if off is None else torch.tensor(off),
                                        mode="sum", per_sample_weights=p),
          [rng.standard_normal((10, 4)), rng.standard_normal(c["input"].shape)], rng)


def test_embedding_bag_scale_grad_by_freq_is_embedding_s_rule(rng):
    """Each row's gradient is divided by its count in the batch, as F.embedding's
    scale_grad_by_freq does (the reference: embedding + a per-bag sum in PyTorch)."""
    idx, w = rng.integers(0, 6, (3, 5)), rng.standard_normal((6, 2))
    check(lambda a: F.embedding_bag(glassgrad.tensor(idx), a, mode="mean", scale_grad_by_freq=True),
          lambda a: TF.embedding(torch.tensor(idx), a, scale_grad_by_freq=True).mean(1), [w], rng)


def test_embedding_bag_module(rng):
    g, t = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2), torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    assert repr(g) == repr(t)
    assert float(abs(g.weight[2]).sum()) == 0
    idx, off = rng.integers(0, 10, 8), np.array([0, 3, 3, 6])
    gsd = {k: glassgrad.tensor(v.numpy()) for k, v in t.double().state_dict().items()}
    g.double().load_state_dict(gsd)
    yg = g(glassgrad.tensor(idx), glassgrad.tensor(off))
    yt = t(torch.tensor(idx), torch.tensor(off))
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    pre = nn.EmbeddingBag.from_pretrained(glassgrad.tensor(rng.standard_normal((4, 2))), mode="max")
    assert not pre.weight.requires_grad and pre(glassgrad.tensor([[0, 1], [2, 3]])).shape == (2, 2)


def test_embedding_bag_max_norm(rng):
    w = rng.standard_normal((6, 3)) * 3
    gw, tw = glassgrad.tensor(w.copy()), torch.tensor(w.copy())
    idx = np.array([[0, 1], [1, 4]])
    yg = F.embedding_bag(glassgrad.tensor(idx), gw, max_norm=1.5)
    yt = TF.embedding_bag(torch.tensor(idx), tw, max_norm=1.5)
    np.testing.assert_allclose(yg.numpy(), yt.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gw.numpy(), tw.numpy(), rtol=1e-10)   # rows renormalized in place


def test_embedding_bag_errors():
    w = glassgrad.randn(5, 2)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(glassgrad.tensor([[0, 1]]), w, glassgrad.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(glassgrad.tensor([0, 1]), w)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(glassgrad.tensor([0, 1]), w, glassgrad.tensor([1]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(glassgrad.tensor([[0, 1]]), w, per_sample_weights=glassgrad.ones(1, 2))
    with pytest.raises(IndexError, match="out of range for num_embeddings=5"):
        F.embedding_bag(glassgrad.tensor([[0, 7]]), w)
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        F.embedding_bag(glassgrad.tensor([[0, 1]]), w, mode="max", scale_grad_by_freq=True)

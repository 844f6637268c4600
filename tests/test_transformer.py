"""Transformer layers against PyTorch (float64): encoder/decoder layers (norm_first, relu/gelu,
batch_first, masks), stacks, the full nn.Transformer; state_dicts both ways; dropout; errors."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn as nn

pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]

TOL = dict(rtol=1e-9, atol=1e-10)


def to_gg(torch_module, gg_module):
    gg_module.load_state_dict({k: gg.tensor(v.detach().numpy().copy()) for k, v in torch_module.state_dict().items()})
    return gg_module


def _params_close(gm, tm):
    gparams = dict(gm.named_parameters())
    assert sorted(gparams) == sorted(n for n, _ in tm.named_parameters())
    diff = 0.0
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(gparams[name].grad.array, p.grad.numpy(), **TOL, err_msg=name)
        diff = max(diff, float(np.abs(gparams[name].grad.array - p.grad.numpy()).max()))
    return diff


def _run_pair(gm, tm, rng, arrays, masks=None, kwargs=None):
    """Forward both with the same inputs, backward a random projection, compare everything."""
    masks = masks or {}
    kwargs = kwargs or {}
    gin = [gg.tensor(a.copy(), requires_grad=True) for a in arrays]
    tin = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    gmk = {k: None if v is None else gg.tensor(v.copy()) for k, v in masks.items()}
    tmk = {k: None if v is None else torch.tensor(v.copy()) for k, v in masks.items()}
    out = gm(*gin, **gmk, **kwargs)
    tout = tm(*tin, **tmk, **kwargs)
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    c = rng.standard_normal(tuple(tout.shape))
    (out * gg.tensor(c)).sum().backward()
    (tout * torch.tensor(c)).sum().backward()
    diff = float(np.abs(out.array - tout.detach().numpy()).max())
    for a, b in zip(gin, tin):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
        diff = max(diff, float(np.abs(a.grad.array - b.grad.numpy()).max()))
    return max(diff, _params_close(gm, tm))


D, NH, FF, T, S, N = 8, 2, 16, 5, 6, 3


def _pad_mask(rng, n, s):
    m = rng.random((n, s)) < 0.3
    m[:, 0] = False
    return m


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_pytorch(rng, norm_first, activation, batch_first):
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=batch_first)
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(D, NH, **kw).double()
    gm = to_gg(tm, nn.TransformerEncoderLayer(D, NH, **kw).double())
    shape = (N, S, D) if batch_first else (S, N, D)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(S, dtype=torch.float64).numpy()
    _run_pair(gm, tm, rng, [rng.standard_normal(shape)],
              dict(src_mask=mask, src_key_padding_mask=_pad_mask(rng, N, S).astype(np.float64) * -1e9))
    tm.zero_grad()
    gm.zero_grad()
    _run_pair(gm, tm, rng, [rng.standard_normal(shape)])


def test_encoder_layer_callable_activation_and_causal_hint(rng):
    kw = dict(dim_feedforward=FF, dropout=0.0, batch_first=True, norm_first=True)
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(D, NH, activation=torch.tanh, **kw).double()
    gm = to_gg(tm, nn.TransformerEncoderLayer(D, NH, activation=gg.tanh, **kw).double())
    mask = torch.nn.Transformer.generate_square_subsequent_mask(S, dtype=torch.float64).numpy()
    _run_pair(gm, tm, rng, [rng.standard_normal((N, S, D))], dict(src_mask=mask), dict(is_causal=True))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_pytorch(rng, norm_first, activation):
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, norm_first=norm_first)
    torch.manual_seed(0)
    tm = torch.nn.TransformerDecoderLayer(D, NH, **kw).double()
    gm = to_gg(tm, nn.TransformerDecoderLayer(D, NH, **kw).double())
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64).numpy()
    mem_mask = rng.random((T, S)) < 0.3
    mem_mask[:, 0] = False
    _run_pair(gm, tm, rng, [rng.standard_normal((T, N, D)), rng.standard_normal((S, N, D))],
              dict(tgt_mask=tgt_mask, memory_mask=mem_mask, tgt_key_padding_mask=_pad_mask(rng, N, T),
                   memory_key_padding_mask=_pad_mask(rng, N, S)))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_full_transformer_matches_pytorch(rng, batch_first, norm_first):
    kw = dict(d_model=D, nhead=NH, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF, dropout=0.0,
              batch_first=batch_first, norm_first=norm_first, activation="gelu")
    torch.manual_seed(0)
    tm = torch.nn.Transformer(**kw).double()
    gm = to_gg(tm, nn.Transformer(**kw).double())
    assert sorted(tm.state_dict()) == sorted(gm.state_dict())
    src = (N, S, D) if batch_first else (S, N, D)
    tgt = (N, T, D) if batch_first else (T, N, D)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=gg.float64).array
    _run_pair(gm, tm, rng, [rng.standard_normal(src), rng.standard_normal(tgt)],
              dict(tgt_mask=tgt_mask, src_key_padding_mask=_pad_mask(rng, N, S),
                   tgt_key_padding_mask=_pad_mask(rng, N, T), memory_key_padding_mask=_pad_mask(rng, N, S)))


def test_encoder_and_decoder_stacks_with_final_norm(rng):
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=True, norm_first=True).double()
    tm = torch.nn.TransformerEncoder(tl, 3, norm=torch.nn.LayerNorm(D).double(), enable_nested_tensor=False)
    gl = nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=True, norm_first=True).double()
    gm = to_gg(tm, nn.TransformerEncoder(gl, 3, norm=nn.LayerNorm(D).double()))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(S, dtype=torch.float64).numpy()
    _run_pair(gm, tm, rng, [rng.standard_normal((N, S, D))], dict(mask=mask))
    torch.manual_seed(0)
    td = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0).double(), 2,
                                     norm=torch.nn.LayerNorm(D).double())
    gd = to_gg(td, nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0).double(), 2,
                                         norm=nn.LayerNorm(D).double()))
    _run_pair(gd, td, rng, [rng.standard_normal((T, N, D)), rng.standard_normal((S, N, D))],
              dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(T, dtype=gg.float64).array))


def test_unbatched_encoder_layer(rng):
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0).double()
    gm = to_gg(tm, nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0).double())
    _run_pair(gm, tm, rng, [rng.standard_normal((S, D))])


def test_square_subsequent_mask_matches_pytorch():
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(5).array,
                                  torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3).dtype == np.float32


def test_state_dict_round_trips_both_ways():
    kw = dict(d_model=D, nhead=NH, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=FF)
    gm = nn.Transformer(**kw)
    tm = torch.nn.Transformer(**kw)
    tm.load_state_dict({k: torch.tensor(v.array.copy()) for k, v in gm.state_dict().items()})
    back = to_gg(tm, nn.Transformer(**kw))
    for k, v in gm.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k].array, v.array)
        assert tuple(tm.state_dict()[k].shape) == v.shape


def test_dropout_eval_is_exact_and_train_is_random(rng):
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.3).double().eval()
    gm = to_gg(tm, nn.TransformerEncoderLayer(D, NH, FF, dropout=0.3).double()).eval()
    x = rng.standard_normal((S, N, D))
    with torch.no_grad():
        ref = tm(torch.tensor(x)).numpy()
    np.testing.assert_allclose(gm(gg.tensor(x)).array, ref, **TOL)
    gm.train()
    a, b = gm(gg.tensor(x)).array, gm(gg.tensor(x)).array
    assert not np.allclose(a, b)
    # the feed-forward dropout zeroes a fraction p of the hidden units
    h = gm.dropout(gg.tensor(np.ones((200, 200))))
    assert abs((h.array == 0).mean() - 0.3) < 0.01


def test_xavier_init_of_transformer():
    m = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    w = m.encoder.layers[0].linear1.weight.array
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound


def test_errors(rng):
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(D, NH, activation="swish")
    with pytest.raises(AssertionError, match="divisible"):
        nn.TransformerEncoderLayer(10, 3)
    m = nn.Transformer(d_model=D, nhead=NH, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=FF)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        m(gg.randn(S, 2, D), gg.randn(T, 3, D))
    with pytest.raises(RuntimeError, match="d_model=8"):
        m(gg.randn(S, 2, 6), gg.randn(T, 2, 6))
    layer = nn.TransformerEncoderLayer(D, NH, FF)
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        layer(gg.randn(S, 2, D), src_mask=gg.zeros(S, S + 1))


@pytest.mark.parametrize("fused", [True, False])   # the Numba kernels and the NumPy blocks
@pytest.mark.parametrize("shape", [(3, 7), (4, 64, 300)])   # one block, and many blocks on the threads
def test_float32_gelu_kernel_matches_pytorch(rng, shape, fused, monkeypatch):
    """The transformer's GELU: float32 erf as a rational fit, forward and raw backward."""
    from glassgrad.ops import _gelu_float32
    monkeypatch.setattr(_gelu_float32, "enabled", fused and _gelu_float32.enabled)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    x.flat[:4] = [0.0, -9.0, 9.0, 1e-30]
    g = gg.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    y, ty = gg.nn.functional.gelu(g), torch.nn.functional.gelu(t)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-5, atol=3e-6)
    dy = rng.standard_normal(shape).astype(np.float32)
    y.backward(gg.tensor(dy))
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-5, atol=3e-6)
    np.testing.assert_allclose(gg.erf(gg.tensor(x)).array, torch.erf(torch.tensor(x)).numpy(), rtol=0, atol=5e-7)


def test_w_gpt_workload_matches_pytorch_with_the_same_weights():
    """The benchmark's GPT: with PyTorch's weights, the same loss and gradients (float32)."""
    from glassgrad.bench.workloads import WORKLOADS
    torch.manual_seed(0)
    tmodel, tloss_fn, _, tx, ty = WORKLOADS["W_GPT"].torch(torch, torch.nn, torch.optim)
    gmodel, gloss_fn, _, gx, gy = WORKLOADS["W_GPT"].glassgrad(gg, nn, gg.optim)
    to_gg(tmodel, gmodel)
    tloss = tloss_fn(tmodel(tx), ty)
    gloss = gloss_fn(gmodel(gx), gy)
    np.testing.assert_allclose(gloss.item(), tloss.item(), rtol=1e-5)
    tloss.backward()
    gloss.backward()
    gparams = dict(gmodel.named_parameters())
    for name, p in tmodel.named_parameters():
        np.testing.assert_allclose(gparams[name].grad.array, p.grad.numpy(), rtol=2e-3, atol=2e-5, err_msg=name)


def test_float32_gelu_on_non_contiguous_input(rng):
    x = rng.standard_normal((6, 5)).astype(np.float32).T
    g = gg.tensor(x, requires_grad=True)
    y = gg.nn.functional.gelu(g)
    np.testing.assert_allclose(y.array, torch.nn.functional.gelu(torch.tensor(x)).numpy(), rtol=1e-5, atol=3e-6)
    y.backward(gg.tensor(np.ones((6, 5), np.float32).T))
    t = torch.tensor(x, requires_grad=True)
    torch.nn.functional.gelu(t).backward(torch.ones(5, 6))
    np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-5, atol=3e-6)

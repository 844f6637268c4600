"""nn.MultiheadAttention and F.multi_head_attention_forward against PyTorch (float64): outputs,
attention weights, every parameter's and input's gradient; state_dicts both ways; errors."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F

TOL = dict(rtol=1e-9, atol=1e-11)


def to_gg(torch_module, gg_module):
    """Copy a PyTorch module's state_dict into a glassgrad module (strict)."""
    gg_module.load_state_dict({k: gg.tensor(v.detach().numpy().copy()) for k, v in torch_module.state_dict().items()})
    return gg_module


def _pair(a, grad=True):
    return gg.tensor(a.copy(), requires_grad=grad), torch.tensor(a.copy(), requires_grad=grad)


def _mask_pair(m):
    return None if m is None else (gg.tensor(m.copy()), torch.tensor(m.copy()))


def check_mha(rng, ctor, shapes, call=None, self_attn=False):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(**ctor).double()
    gm = to_gg(tm, nn.MultiheadAttention(**ctor).double())
    assert sorted(tm.state_dict()) == sorted(gm.state_dict())
    call = dict(call or {})
    masks = {}
    for name in ("attn_mask", "key_padding_mask"):
        if name in call:
            m = call.pop(name)
            masks[name] = _mask_pair(m)
    qa = rng.standard_normal(shapes[0])
    gq, tq = _pair(qa)
    if self_attn:
        gk = gv = gq
        tk = tv = tq
    else:
        gk, tk = _pair(rng.standard_normal(shapes[1]))
        gv, tv = _pair(rng.standard_normal(shapes[2]))
    gkw = {k: v[0] for k, v in masks.items()}
    tkw = {k: v[1] for k, v in masks.items()}
    out, w = gm(gq, gk, gv, **gkw, **call)
    tout, tw = tm(tq, tk, tv, **tkw, **call)
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    diff = float(np.abs(out.array - tout.detach().numpy()).max())
    loss, tloss = (out * out).sum(), (tout * tout).sum()
    if tw is None:
        assert w is None
    else:
        assert w.shape == tuple(tw.shape)
        np.testing.assert_allclose(w.array, tw.detach().numpy(), **TOL)
        c = rng.standard_normal(tuple(tw.shape))
        loss, tloss = loss + (w * gg.tensor(c)).sum(), tloss + (tw * torch.tensor(c)).sum()
    loss.backward()
    tloss.backward()
    inputs = [(gq, tq)] if self_attn else [(gq, tq), (gk, tk), (gv, tv)]
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
        diff = max(diff, float(np.abs(a.grad.array - b.grad.numpy()).max()))
    gparams = dict(gm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(gparams[name].grad.array, p.grad.numpy(), **TOL, err_msg=name)
        diff = max(diff, float(np.abs(gparams[name].grad.array - p.grad.numpy()).max()))
    return diff


L, S, N, E, H = 4, 5, 3, 8, 2


def _bool_mask(rng, shape, p=0.3):
    m = rng.random(shape) < p
    m[..., 0] = False  # every query keeps a key: PyTorch's need_weights path gives NaN otherwise
    return m


CASES = {
    "plain": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)], {}),
    "no_weights": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                               dict(need_weights=False)),
    "per_head_weights": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                                     dict(average_attn_weights=False)),
    "batch_first": lambda rng: (dict(embed_dim=E, num_heads=H, batch_first=True),
                                [(N, L, E), (N, S, E), (N, S, E)], {}),
    "bool_attn_mask": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                                   dict(attn_mask=_bool_mask(rng, (L, S)))),
    "float_attn_mask_3d": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                                       dict(attn_mask=rng.standard_normal((N * H, L, S)))),
    "key_padding_mask": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                                     dict(key_padding_mask=_bool_mask(rng, (N, S)))),
    "kpm_no_weights": lambda rng: (dict(embed_dim=E, num_heads=H, batch_first=True),
                                   [(N, L, E), (N, S, E), (N, S, E)],
                                   dict(key_padding_mask=_bool_mask(rng, (N, S)), need_weights=False)),
    "both_masks": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                               dict(key_padding_mask=_bool_mask(rng, (N, S)),
                                    attn_mask=_bool_mask(rng, (L, S)))),
    "float_kpm": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, N, E), (S, N, E), (S, N, E)],
                              dict(key_padding_mask=rng.standard_normal((N, S)))),
    "kdim_vdim": lambda rng: (dict(embed_dim=E, num_heads=H, kdim=5, vdim=3), [(L, N, E), (S, N, 5), (S, N, 3)],
                              {}),
    "kdim_vdim_batch_first_kpm": lambda rng: (dict(embed_dim=E, num_heads=H, kdim=6, vdim=7, batch_first=True),
                                              [(N, L, E), (N, S, 6), (N, S, 7)],
                                              dict(key_padding_mask=_bool_mask(rng, (N, S)))),
    "bias_kv": lambda rng: (dict(embed_dim=E, num_heads=H, add_bias_kv=True), [(L, N, E), (S, N, E), (S, N, E)],
                            dict(key_padding_mask=_bool_mask(rng, (N, S)), attn_mask=_bool_mask(rng, (L, S)))),
    "zero_attn": lambda rng: (dict(embed_dim=E, num_heads=H, add_zero_attn=True), [(L, N, E), (S, N, E), (S, N, E)],
                              dict(key_padding_mask=_bool_mask(rng, (N, S)), attn_mask=rng.standard_normal((L, S)))),
    "bias_kv_zero_attn": lambda rng: (dict(embed_dim=E, num_heads=H, add_bias_kv=True, add_zero_attn=True),
                                      [(L, N, E), (S, N, E), (S, N, E)], {}),
    "no_bias": lambda rng: (dict(embed_dim=E, num_heads=H, bias=False), [(L, N, E), (S, N, E), (S, N, E)], {}),
    "unbatched": lambda rng: (dict(embed_dim=E, num_heads=H), [(L, E), (S, E), (S, E)],
                              dict(key_padding_mask=_bool_mask(rng, (S,)))),
    "one_head": lambda rng: (dict(embed_dim=E, num_heads=1), [(L, N, E), (S, N, E), (S, N, E)], {}),
}


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("name", sorted(CASES))
def test_mha_matches_pytorch(rng, name):
    ctor, shapes, call = CASES[name](rng)
    check_mha(rng, ctor, shapes, call)


@pytest.mark.parametrize("batch_first", [False, True])
def test_self_attention_with_causal_hint(rng, batch_first):
    shape = (N, L, E) if batch_first else (L, N, E)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64).numpy()
    check_mha(rng, dict(embed_dim=E, num_heads=H, batch_first=batch_first), [shape],
              dict(attn_mask=mask, is_causal=True, need_weights=False), self_attn=True)
    check_mha(rng, dict(embed_dim=E, num_heads=H, batch_first=batch_first), [shape],
              dict(attn_mask=mask, need_weights=True), self_attn=True)


def test_functional_form_matches_pytorch(rng):
    e, h = 6, 3
    arrays = dict(q=(L, N, e), k=(S, N, e), v=(S, N, e), w=(3 * e, e), b=(3 * e,), ow=(e, e), ob=(e,))
    vals = {k: rng.standard_normal(s) for k, s in arrays.items()}
    g = {k: gg.tensor(v, requires_grad=True) for k, v in vals.items()}
    t = {k: torch.tensor(v, requires_grad=True) for k, v in vals.items()}
    out, w = F.multi_head_attention_forward(g["q"], g["k"], g["v"], e, h, g["w"], g["b"], None, None, False, 0.0,
                                            g["ow"], g["ob"], training=False)
    tout, tw = torch.nn.functional.multi_head_attention_forward(t["q"], t["k"], t["v"], e, h, t["w"], t["b"], None,
                                                                None, False, 0.0, t["ow"], t["ob"], training=False)
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    np.testing.assert_allclose(w.array, tw.detach().numpy(), **TOL)
    (out.sum() + (w * w).sum()).backward()
    (tout.sum() + (tw * tw).sum()).backward()
    for k in vals:
        np.testing.assert_allclose(g[k].grad.array, t[k].grad.numpy(), **TOL, err_msg=k)


def test_dropout_in_eval_is_exact_and_in_train_zeroes_weights(rng):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H, dropout=0.5).double().eval()
    gm = to_gg(tm, nn.MultiheadAttention(E, H, dropout=0.5).double()).eval()
    x = rng.standard_normal((L, N, E))
    out, w = gm(gg.tensor(x), gg.tensor(x), gg.tensor(x))
    tout, tw = tm(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    gm.train()
    xl = gg.tensor(rng.standard_normal((64, 4, E)))
    _, w = gm(xl, xl, xl, average_attn_weights=False)
    zero = (w.array == 0).mean()
    assert 0.45 < zero < 0.55   # half the weights dropped, the rest scaled by 2: rows sum to 2 on average
    assert abs(w.array.sum(-1).mean() - 1.0) < 0.05


def test_state_dict_round_trips_both_ways(rng):
    for ctor in (dict(embed_dim=E, num_heads=H), dict(embed_dim=E, num_heads=H, kdim=5, vdim=3, add_bias_kv=True)):
        torch.manual_seed(1)
        tm = torch.nn.MultiheadAttention(**ctor).double()
        gm = nn.MultiheadAttention(**ctor).double()
        tm.load_state_dict({k: torch.tensor(v.array.copy()) for k, v in gm.state_dict().items()})
        for k, v in gm.state_dict().items():
            np.testing.assert_array_equal(tm.state_dict()[k].numpy(), v.array)
        gm2 = to_gg(tm, nn.MultiheadAttention(**ctor).double())
        for k, v in gm2.state_dict().items():
            np.testing.assert_array_equal(gm.state_dict()[k].array, v.array)
        if "kdim" in ctor:
            assert gm.in_proj_weight is None and gm.q_proj_weight.shape == (E, E) and gm.k_proj_weight.shape == (E, 5)


def test_initialization_matches_pytorch_statistics():
    m = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 192))    # xavier_uniform_ on the packed (3E, E) weight
    w = m.in_proj_weight.array
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(m.in_proj_bias.array == 0) and np.all(m.out_proj.bias.array == 0)


def test_errors(rng):
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(E, H).double()
    x = gg.tensor(rng.standard_normal((L, N, E)))
    with pytest.raises(RuntimeError, match="unbatched 2D or batched 3D"):
        m(gg.tensor(rng.standard_normal((1, L, N, E))), x, x)
    with pytest.raises(RuntimeError, match="embedding dimension of 8"):
        y = gg.tensor(rng.standard_normal((L, N, 6)))
        m(y, y, y)
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=gg.tensor(np.zeros((L, L + 1), bool)))
    with pytest.raises(RuntimeError, match="3D attn_mask"):
        m(x, x, x, attn_mask=gg.tensor(np.zeros((N, L, L), bool)))
    with pytest.raises(RuntimeError, match="key_padding_mask of shape"):
        m(x, x, x, key_padding_mask=gg.tensor(np.zeros((N, L + 2), bool)))
    with pytest.raises(TypeError, match="only bool and floating"):
        m(x, x, x, attn_mask=gg.tensor(np.zeros((L, L), np.int64)))
    with pytest.raises(RuntimeError, match="is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="same rank"):
        m(x, gg.tensor(rng.standard_normal((L, E))), x)
    with pytest.raises(RuntimeError, match="kdim, vdim"):
        mk = nn.MultiheadAttention(E, H, kdim=5, vdim=3).double()
        mk(x, gg.tensor(rng.standard_normal((S, N, 4))), gg.tensor(rng.standard_normal((S, N, 3))))

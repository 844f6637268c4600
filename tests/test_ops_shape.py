"""Shape ops (reshape ... contiguous) against PyTorch, finite differences and the error messages.

Each case is written once as ``fn(m, *xs)`` where ``m`` is ``torch`` or ``glassgrad``: the same code
runs on both libraries, forward and backward, in float64 and float32, on contiguous and strided
inputs; in float64 it also passes gradcheck and gradgradcheck.
"""
import re

import numpy as np
import pytest
import torch

import glassgrad
from glassgrad.autograd import gradcheck, gradgradcheck
from parity import as_tuple, check_parity, random_arrays



# ---- harness -----------------------------------------------------------------------------------
class _Namespace:
    def __init__(self, module, **overrides):
        self._module, self._overrides = module, overrides

    def __getattr__(self, name):
        return self._overrides[name] if name in self._overrides else getattr(self._module, name)


def _gg_pad():
    try:
        from glassgrad.nn.functional import pad
    except ImportError:
        pad = glassgrad.pad
    return pad


TORCH = _Namespace(torch, pad=torch.nn.functional.pad)
GG = _Namespace(glassgrad, pad=_gg_pad())


def _strided(x):
    """``x``'s values in a non-contiguous view (differentiable)."""
    return x.unsqueeze(-1).expand(*x.shape, 2).clone().narrow(-1, 0, 1).squeeze(-1)


def check_grads(fn, shapes, rng, noncontig=False):
    """gradcheck and gradgradcheck in float64."""
    inputs = [glassgrad.Tensor(a, requires_grad=True) for a in random_arrays(shapes, rng, np.float64, False)]

    def f(*xs):  # empty outputs have nothing to check (and gradgradcheck would feed them back in)
        return tuple(y for y in as_tuple(fn(GG, *[_strided(x) if noncontig else x for x in xs])) if y.numel())

    if not f(*inputs):
        return
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def run_case(fn, shapes, rng):
    for dtype in (np.float64, np.float32):
        for noncontig in (False, True):
            check_parity(fn, shapes, rng, dtype, noncontig, (TORCH, GG))
    if any(0 in s for s in shapes):  # nothing to differentiate numerically (gradcheck needs elements)
        return
    check_grads(fn, shapes, rng)
    if any(len(s) for s in shapes):
        check_grads(fn, shapes, rng, noncontig=True)


# ---- cases -------------------------------------------------------------------------------------
CASES = {
    # reshape family
    "reshape": (lambda m, x: x.reshape(4, -1), [(2, 3, 2)]),
    "reshape_tuple": (lambda m, x: m.reshape(x, (-1,)), [(2, 3)]),
    "reshape_0d_in": (lambda m, x: x.reshape(1, 1), [()]),
    "reshape_0d_out": (lambda m, x: x.reshape(()), [(1, 1)]),
    "reshape_empty": (lambda m, x: x.reshape(3, 0, 2), [(0, 6)]),
    "view": (lambda m, x: x.view(3, 4), [(2, 6)]),
    "view_as": (lambda m, x, y: x.view_as(y) * y, [(2, 6), (4, 3)]),
    "reshape_as": (lambda m, x, y: x.reshape_as(y) + y, [(6,), (3, 2)]),
    "flatten": (lambda m, x: x.flatten(), [(2, 3, 2)]),
    "flatten_mid": (lambda m, x: m.flatten(x, 1, 2), [(2, 3, 2, 1)]),
    "flatten_neg": (lambda m, x: x.flatten(-2), [(2, 2, 3)]),
    "flatten_0d": (lambda m, x: x.flatten(), [()]),
    "flatten_empty": (lambda m, x: x.flatten(0, 1), [(2, 0, 3)]),
    "unflatten": (lambda m, x: x.unflatten(1, (3, -1)), [(2, 6)]),
    "unflatten_neg": (lambda m, x: m.unflatten(x, -1, (2, 1, 2)), [(3, 4)]),
    "unflatten_empty": (lambda m, x: x.unflatten(0, (-1, 2)), [(0, 3)]),
    "squeeze_all": (lambda m, x: x.squeeze(), [(1, 3, 1, 2)]),
    "squeeze_dim": (lambda m, x: x.squeeze(2), [(1, 3, 1, 2)]),
    "squeeze_keep": (lambda m, x: x.squeeze(1), [(1, 3, 1, 2)]),
    "squeeze_tuple": (lambda m, x: m.squeeze(x, (0, -2, 1)), [(1, 3, 1, 2)]),
    "squeeze_0d": (lambda m, x: x.squeeze(0), [()]),
    "unsqueeze": (lambda m, x: x.unsqueeze(1), [(2, 3)]),
    "unsqueeze_end": (lambda m, x: m.unsqueeze(x, -1), [(2, 3)]),
    "unsqueeze_0d": (lambda m, x: x.unsqueeze(0), [()]),
    # broadcasting
    "expand": (lambda m, x: x.expand(2, 3, -1), [(3, 1)]),
    "expand_same": (lambda m, x: x.expand(-1, 4), [(2, 4)]),
    "expand_tuple": (lambda m, x: x.expand((2, 2, 3)), [(1, 3)]),
    "expand_0d": (lambda m, x: x.expand(3, 2), [()]),
    "expand_to_empty": (lambda m, x: x.expand(0, 3), [(1, 3)]),
    "expand_as": (lambda m, x, y: x.expand_as(y) * y, [(3, 1), (2, 3, 4)]),
    "broadcast_to": (lambda m, x: m.broadcast_to(x, (2, 2, 3)), [(2, 1, 3)]),
    # reordering dimensions
    "permute": (lambda m, x: x.permute(2, 0, 1), [(2, 3, 2)]),
    "permute_tuple": (lambda m, x: m.permute(x, (1, -1, 0)), [(2, 3, 2)]),
    "permute_0d": (lambda m, x: x.permute(()), [()]),
    "transpose": (lambda m, x: x.transpose(0, 2), [(2, 3, 2)]),
    "transpose_neg": (lambda m, x: m.transpose(x, -1, -2), [(2, 3)]),
    "transpose_1d": (lambda m, x: x.transpose(0, -1), [(3,)]),
    "transpose_0d": (lambda m, x: x.transpose(0, -1), [()]),
    "swapaxes": (lambda m, x: m.swapaxes(x, 0, 1), [(2, 3)]),
    "swapdims": (lambda m, x: x.swapdims(1, 2), [(2, 3, 2)]),
    "t": (lambda m, x: x.t(), [(2, 3)]),
    "t_1d": (lambda m, x: m.t(x), [(3,)]),
    "T": (lambda m, x: x.T, [(2, 3)]),
    "mT": (lambda m, x: x.mT, [(2, 3, 2)]),
    "movedim": (lambda m, x: x.movedim(0, -1), [(2, 3, 2)]),
    "movedim_tuple": (lambda m, x: m.movedim(x, (0, 1), (2, 0)), [(2, 3, 2)]),
    "moveaxis": (lambda m, x: m.moveaxis(x, -1, 0), [(2, 3)]),
    # joining and splitting
    "cat": (lambda m, x, y: m.cat([x, y], 1), [(2, 3), (2, 1)]),
    "cat_three_neg": (lambda m, x, y, z: m.cat((x, y, z), dim=-1), [(2, 1, 2), (2, 1, 3), (2, 1, 1)]),
    "cat_empty_dim": (lambda m, x, y: m.cat([x, y]), [(0, 3), (2, 3)]),
    "cat_legacy_empty_1d": (lambda m, x, y: m.cat([x, y]), [(2, 3), (0,)]),
    "cat_single": (lambda m, x: m.cat([x], 0), [(2, 3)]),
    "cat_same_twice": (lambda m, x: m.cat([x, x * 2, x], 0), [(2, 2)]),
    "concat": (lambda m, x, y: m.concat([x, y], 0), [(1, 2), (2, 2)]),
    "concatenate": (lambda m, x, y: m.concatenate([x, y], 1), [(2, 1), (2, 2)]),
    "stack": (lambda m, x, y: m.stack([x, y]), [(2, 3), (2, 3)]),
    "stack_last": (lambda m, x, y, z: m.stack((x, y, z), dim=-1), [(2, 2), (2, 2), (2, 2)]),
    "stack_0d": (lambda m, x, y: m.stack([x, y]), [(), ()]),
    "stack_empty": (lambda m, x, y: m.stack([x, y], 1), [(0, 2), (0, 2)]),
    "split_int": (lambda m, x: x.split(2, 1), [(2, 5)]),
    "split_list": (lambda m, x: m.split(x, [1, 0, 2], dim=0), [(3, 2)]),
    "split_exact": (lambda m, x: x.split(2), [(4, 2)]),
    "split_partial_use": (lambda m, x: x.split(2, -1)[1], [(2, 5)]),
    "split_empty": (lambda m, x: x.split(0, 0), [(0, 3)]),
    "chunk": (lambda m, x: x.chunk(3, 1), [(2, 5)]),
    "chunk_fewer": (lambda m, x: m.chunk(x, 4), [(6,)]),
    "chunk_partial_use": (lambda m, x: x.chunk(2)[0], [(4, 2)]),
    "unbind": (lambda m, x: x.unbind(1), [(2, 3)]),
    "unbind_fn": (lambda m, x: m.unbind(x), [(3, 2)]),
    "unbind_partial_use": (lambda m, x: x.unbind(-1)[1], [(2, 3)]),
    "narrow": (lambda m, x: x.narrow(1, 1, 2), [(2, 4)]),
    "narrow_neg_start": (lambda m, x: m.narrow(x, -1, -3, 2), [(2, 4)]),
    # rearranging elements
    "flip": (lambda m, x: x.flip(0), [(3, 2)]),
    "flip_many": (lambda m, x: m.flip(x, (0, -1)), [(2, 2, 3)]),
    "flip_none": (lambda m, x: x.flip(()), [(2, 3)]),
    "flip_0d": (lambda m, x: x.flip(0), [()]),
    "flip_empty": (lambda m, x: x.flip(1), [(2, 0)]),
    "roll_flat": (lambda m, x: x.roll(2), [(2, 3)]),
    "roll_dims": (lambda m, x: m.roll(x, (1, -2), (0, 2)), [(2, 2, 3)]),
    "roll_dim": (lambda m, x: x.roll(-1, 1), [(2, 3)]),
    "roll_big_shift": (lambda m, x: x.roll(7, 0), [(3, 2)]),
    "roll_0d": (lambda m, x: x.roll(1), [()]),
    "repeat": (lambda m, x: x.repeat(2, 1, 3), [(2, 1, 2)]),
    "repeat_new_dims": (lambda m, x: x.repeat(2, 1, 2), [(3,)]),
    "repeat_tuple": (lambda m, x: x.repeat((2, 1)), [(2, 2)]),
    "repeat_zero": (lambda m, x: x.repeat(0, 2), [(2, 2)]),
    "repeat_0d": (lambda m, x: x.repeat(3), [()]),
    "tile": (lambda m, x: x.tile(2), [(2, 3)]),
    "tile_more": (lambda m, x: m.tile(x, (2, 1, 2)), [(2, 2)]),
    "tile_0d": (lambda m, x: x.tile((2, 2)), [()]),
    "tril": (lambda m, x: x.tril(), [(3, 4)]),
    "tril_diag": (lambda m, x: m.tril(x, -1), [(2, 3, 3)]),
    "tril_pos": (lambda m, x: x.tril(diagonal=2), [(4, 3)]),
    "triu": (lambda m, x: x.triu(), [(3, 4)]),
    "triu_diag": (lambda m, x: m.triu(x, 1), [(2, 3, 3)]),
    "triu_neg": (lambda m, x: x.triu(-1), [(4, 3)]),
    "triu_empty": (lambda m, x: x.triu(), [(0, 3)]),
    # padding
    "pad_constant": (lambda m, x: m.pad(x, (1, 2)), [(2, 3)]),
    "pad_constant_value": (lambda m, x: m.pad(x, (1, 1, 0, 2), value=1.5), [(2, 3)]),
    "pad_constant_3dims": (lambda m, x: m.pad(x, (1, 0, 0, 1, 2, 0), mode="constant"), [(2, 2, 2)]),
    "pad_constant_crop": (lambda m, x: m.pad(x, (-1, 2, 1, -1)), [(3, 4)]),
    "pad_constant_0d_nopad": (lambda m, x: m.pad(x, ()), [()]),
    "pad_constant_empty": (lambda m, x: m.pad(x, (1, 1)), [(0, 3)]),
    "pad_reflect": (lambda m, x: m.pad(x, (2, 1), mode="reflect"), [(2, 3, 4)]),
    "pad_reflect_2d": (lambda m, x: m.pad(x, (1, 2, 2, 1), mode="reflect"), [(1, 2, 3, 4)]),
    "pad_reflect_3d": (lambda m, x: m.pad(x, (1, 0, 0, 1, 1, 1), mode="reflect"), [(2, 2, 2, 2)]),
    "pad_reflect_crop": (lambda m, x: m.pad(x, (-1, 2), mode="reflect"), [(2, 4)]),
    "pad_replicate": (lambda m, x: m.pad(x, (2, 1), mode="replicate"), [(2, 3)]),
    "pad_replicate_2d": (lambda m, x: m.pad(x, (0, 3, 2, 1), mode="replicate"), [(2, 2, 3)]),
    "pad_replicate_crop": (lambda m, x: m.pad(x, (1, -2), mode="replicate"), [(2, 4)]),
    "pad_circular": (lambda m, x: m.pad(x, (2, 1), mode="circular"), [(1, 2, 3)]),
    "pad_circular_2d": (lambda m, x: m.pad(x, (1, 1, 2, 0), mode="circular"), [(1, 1, 2, 3)]),
    # copies
    "clone": (lambda m, x: x.clone() * 2, [(2, 3)]),
    "clone_fn": (lambda m, x: m.clone(x), [()]),
    "contiguous": (lambda m, x: x.t().contiguous(), [(2, 3)]),
    "contiguous_already": (lambda m, x: (x * 1).contiguous(), [(2, 3)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_and_finite_differences(name, rng):
    fn, shapes = CASES[name]
    run_case(fn, shapes, rng)


# ---- behaviours beyond values ------------------------------------------------------------------
def test_every_op_is_a_method_and_a_function():
    x = glassgrad.zeros(2, 3)
    for name in ("reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "expand", "expand_as",
                 "broadcast_to", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
                 "split", "chunk", "unbind", "narrow", "flip", "roll", "repeat", "tile", "tril", "triu", "clone",
                 "contiguous", "view_as", "reshape_as"):
        assert callable(getattr(x, name)), name
    for name in ("reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "broadcast_to", "permute",
                 "transpose", "swapaxes", "t", "movedim", "cat", "concat", "concatenate", "stack", "split",
                 "chunk", "unbind", "narrow", "flip", "roll", "tile", "pad", "tril", "triu", "clone"):
        assert callable(getattr(glassgrad, name)), name
    import glassgrad.ops.shape as shape
    assert set(shape.__all__) <= set(dir(glassgrad))


def test_views_share_memory_and_copies_do_not():
    x = glassgrad.arange(6.0)
    assert np.shares_memory(x.reshape(2, 3).array, x.array)
    assert np.shares_memory(x.reshape(2, 3).t().array, x.array)
    assert np.shares_memory(x.split(2)[1].array, x.array)
    assert not np.shares_memory(x.clone().array, x.array)
    assert not np.shares_memory(x.flip(0).array, x.array)
    y = x.reshape(2, 3).t()
    assert not y.is_contiguous() and y.contiguous().is_contiguous()
    assert x.contiguous() is x


def test_grad_fn_of_multi_output_ops():
    x = glassgrad.randn(4, 3, dtype=glassgrad.float64, requires_grad=True)
    a, b = x.split(2)
    assert a.grad_fn is b.grad_fn and a.grad_fn is not None
    # only one piece used: the other's gradient counts as zero
    (b * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.r_[np.zeros((2, 3)), 3 * np.ones((2, 3))])


def test_cat_promotes_dtypes_like_torch(rng):
    a32, a64 = rng.standard_normal((2, 2)).astype(np.float32), rng.standard_normal((1, 2))
    ints = np.arange(4).reshape(2, 2)
    for arrays in ([a32, a64], [a32, ints], [ints, a64], [ints, ints.astype(np.int32)],
                   [ints.astype(bool), ints.astype(np.int32)]):
        yt = torch.cat([torch.tensor(a) for a in arrays])
        yg = glassgrad.cat([glassgrad.tensor(a) for a in arrays])
        assert str(yg.dtype) == str(yt.dtype).replace("torch.", "")
        np.testing.assert_array_equal(yg.array, yt.numpy())
    # gradients come back in each input's own dtype
    x32 = glassgrad.tensor(a32, requires_grad=True)
    x64 = glassgrad.tensor(a64, requires_grad=True)
    y = glassgrad.stack([glassgrad.cat([x32, x64]).sum(0)] * 2)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    np.testing.assert_array_equal(x32.grad.array, np.full((2, 2), 2, np.float32))


def test_integer_and_bool_tensors_pass_through_shape_ops():
    x = glassgrad.arange(12).reshape(3, 4)
    assert x.dtype == np.int64
    for y, ref in ((x.t(), np.arange(12).reshape(3, 4).T), (x.flip(1), np.arange(12).reshape(3, 4)[:, ::-1]),
                   (x.tril(), np.tril(np.arange(12).reshape(3, 4))),
                   (glassgrad.pad(x, (1, 0), value=7), np.pad(np.arange(12).reshape(3, 4), ((0, 0), (1, 0)),
                                                              constant_values=7))):
        assert y.dtype == np.int64 and not y.requires_grad
        np.testing.assert_array_equal(y.array, ref)
    assert glassgrad.stack([x > 3, x > 5]).dtype == np.bool_


def test_double_backward_through_cat_and_split():
    x = glassgrad.randn(3, dtype=glassgrad.float64, requires_grad=True)
    y = glassgrad.cat([x * x, x]).split([2, 4])
    loss = (y[0].sum() + (y[1] ** 2).sum())
    (g,) = glassgrad.autograd.grad(loss, [x], create_graph=True)
    (h,) = glassgrad.autograd.grad(g.sum(), [x])
    # loss = 2 x₀² + 2 x₁² + x₂⁴ + x₂²: the Hessian is diagonal (4, 4, 12 x₂² + 2)
    np.testing.assert_allclose(h.array, [4.0, 4.0, 12 * x.array[2] ** 2 + 2], rtol=1e-12)


def test_stack_of_many_unbind_pieces(rng):
    # an RNN-style unbind over time then stack back must stay cheap and exact
    a = rng.standard_normal((50, 2, 3))
    xt, xg = torch.tensor(a, requires_grad=True), glassgrad.tensor(a, requires_grad=True)
    yt = torch.stack([s * (i + 1) for i, s in enumerate(xt.unbind(0))], 1)
    yg = glassgrad.stack([s * (i + 1) for i, s in enumerate(xg.unbind(0))], 1)
    np.testing.assert_allclose(yg.array, yt.detach().numpy(), rtol=1e-12)
    yt.sum().backward()
    yg.sum().backward()
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-12)


# ---- bad input ---------------------------------------------------------------------------------
def _x(*shape):
    return glassgrad.zeros(*shape)


@pytest.mark.parametrize("call", [
    lambda: _x(2, 3).transpose(0, 2), lambda: _x(2, 3).permute(0, 2), lambda: _x(2, 3).flatten(0, 2),
    lambda: _x(2, 3).unsqueeze(3), lambda: _x(2, 3).unsqueeze(-4), lambda: _x(2, 3).squeeze(2),
    lambda: _x(2, 3).flip(2), lambda: _x(2, 3).roll(1, 2), lambda: _x(2, 3).split(1, 2), lambda: _x(2, 3).chunk(2, -3),
    lambda: _x(2, 3).unbind(2), lambda: _x(2, 3).movedim(0, 2), lambda: _x(2, 3).unflatten(2, (1, 3)),
    lambda: _x(2, 3).narrow(2, 0, 1), lambda: glassgrad.cat([_x(2, 3), _x(2, 3)], 2),
    lambda: glassgrad.stack([_x(2, 3)], 3), lambda: _x(2, 3).swapaxes(-3, 0), lambda: _x().unbind(0),
    lambda: _x().flip(1), lambda: _x(2).narrow(0, 3, 0),
])
def test_out_of_range_dims_raise_index_error(call):
    with pytest.raises(IndexError, match="out of range|no dimensions"):
        call()


@pytest.mark.parametrize("call, words", [
    (lambda: _x(2, 3).reshape(4, 2), ["reshape", r"\[4, 2\]", "6", r"\(2, 3\)"]),
    (lambda: _x(2, 3).view(-1, -1), ["view", "only one dimension can be inferred"]),
    (lambda: _x(2, 3).reshape(4, -1), ["reshape", "6", "divisible"]),
    (lambda: _x(2, 3).reshape(3, -2), ["invalid shape dimension -2"]),
    (lambda: _x(0, 3).reshape(-1, 0), ["ambiguous"]),
    (lambda: _x(2, 3).flatten(1, 0), ["flatten", "start_dim"]),
    (lambda: _x(2, 6).unflatten(1, (4, -1)), ["unflatten", r"\[4, -1\]", r"\(2, 6\)"]),
    (lambda: _x(2, 6).unflatten(1, ()), ["unflatten", "non-empty"]),
    (lambda: _x(2, 3).expand(3, 3), ["expand", "non-singleton dimension 0", r"\[2, 3\]"]),
    (lambda: _x(2, 3).expand(3), ["expand", "number of sizes"]),
    (lambda: _x(2, 3).expand(-1, 2, 3), ["expand", "leading, non-existing"]),
    (lambda: _x(2, 3).permute(1, 1), ["permute", "duplicate"]),
    (lambda: _x(2, 3).permute(1, 0, 2), ["permute", "number of dims"]),
    (lambda: _x(2, 3, 4).t(), ["t\\(\\)", "3D", r"\(2, 3, 4\)"]),
    (lambda: _x(2, 3).movedim((0, 1), (1,)), ["movedim", "same number"]),
    (lambda: _x(2, 3).movedim((0, 0), (0, 1)), ["movedim", "repeated"]),
    (lambda: glassgrad.cat([_x(2, 3), _x(2, 4)]), ["cat", r"\(2, 3\)", r"\(2, 4\)", "dimension 1"]),
    (lambda: glassgrad.cat([_x(2, 3), _x(2, 3, 1)]), ["cat", "same number of dimensions", r"\(2, 3, 1\)"]),
    (lambda: glassgrad.cat([_x(), _x()]), ["cat", "zero-dimensional"]),
    (lambda: glassgrad.stack([_x(2, 3), _x(3, 2)]), ["stack", r"\[2, 3\]", r"\[3, 2\]"]),
    (lambda: _x(2, 3).split([1, 1], 1), ["split", r"\[1, 1\]", "3"]),
    (lambda: _x(2, 3).split(0, 1), ["split", "0"]),
    (lambda: _x(2, 3).chunk(0), ["chunk", "greater than 0"]),
    (lambda: _x(2, 3).narrow(1, 2, 2), ["narrow", "exceeds dimension size"]),
    (lambda: _x(2, 3).roll((1, 2), 0), ["roll", "align"]),
    (lambda: _x(2, 3).roll((1, 2)), ["roll", "align"]),
    (lambda: _x(2, 3).flip(0, 0), ["flip", "appears multiple times"]),
    (lambda: _x(2, 3).repeat(2), ["repeat", "smaller than number of dimensions"]),
    (lambda: _x(3).tril(), ["tril", "at least 2 dimensions"]),
    (lambda: _x(3).triu(), ["triu", "at least 2 dimensions"]),
    (lambda: glassgrad.pad(_x(2, 3), (1, 2, 3)), ["pad", "divisible by 2"]),
    (lambda: glassgrad.pad(_x(2, 3), (1,) * 6), ["pad", "two times the input dimension"]),
    (lambda: glassgrad.pad(_x(2, 3), (-2, -2)), ["pad", "negative size"]),
    (lambda: glassgrad.pad(_x(2, 3), (3, 0), mode="reflect"), ["pad", "reflect", r"\(3, 0\)", r"\[2, 3\]"]),
    (lambda: glassgrad.pad(_x(2, 3), (1, 1), mode="reflect", value=2.0), ["pad", "value"]),
    (lambda: glassgrad.pad(_x(2, 0), (1, 1), mode="replicate"), ["pad", "empty"]),
    (lambda: glassgrad.pad(_x(2, 3), (4, 0), mode="circular"), ["pad", "circular"]),
])
def test_bad_input_raises_runtime_error_naming_op_and_shapes(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    for w in words:
        assert re.search(w, str(info.value)), (w, str(info.value))


def test_pad_mode_errors_match_torch_types():
    with pytest.raises(NotImplementedError, match="padding size 2 is not supported for 1D"):
        glassgrad.pad(_x(4), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match="unrecognised padding mode 'foo'"):
        glassgrad.pad(_x(2, 4), (1, 1), mode="foo")
    with pytest.raises(NotImplementedError, match="padding size 6"):
        glassgrad.pad(_x(2, 3, 4), (1,) * 6, mode="replicate")


def test_cat_and_stack_argument_errors():
    with pytest.raises(ValueError, match="non-empty"):
        glassgrad.cat([])
    with pytest.raises(ValueError, match="non-empty"):
        glassgrad.stack([])
    with pytest.raises(TypeError, match="list or tuple"):
        glassgrad.cat(_x(2, 3))
    with pytest.raises(TypeError, match="position 1"):
        glassgrad.cat([_x(2), np.zeros(2)])

"""The raw-array backward of the hot ops (used when create_graph=False) computes the same
gradients as their differentiable backward (used when create_graph=True)."""
import numpy as np
import pytest

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad.autograd import grad


def _leaf(rng, *shape, positive=False):
    a = rng.standard_normal(shape)
    return gg.tensor(np.abs(a) + 0.5 if positive else a, requires_grad=True)


CASES = {
    "add_broadcast": (lambda x, y: x + y, [(3, 4), (4,)], False),
    "sub_broadcast": (lambda x, y: x - y, [(2, 1, 4), (3, 1)], False),
    "mul_broadcast": (lambda x, y: x * y, [(3, 4), (3, 1)], False),
    "mul_scalar": (lambda x: x * 3.0, [(3, 4)], False),
    "neg": (lambda x: -x, [(5,)], False),
    "exp": (lambda x: x.exp(), [(2, 3)], False),
    "expm1": (lambda x: x.expm1(), [(2, 3)], False),
    "log": (lambda x: x.log(), [(2, 3)], True),
    "log1p": (lambda x: x.log1p(), [(2, 3)], True),
    "sqrt": (lambda x: x.sqrt(), [(2, 3)], True),
    "rsqrt": (lambda x: x.rsqrt(), [(2, 3)], True),
    "reciprocal": (lambda x: x.reciprocal(), [(2, 3)], True),
    "tanh": (lambda x: x.tanh(), [(4, 3)], False),
    "sigmoid": (lambda x: x.sigmoid(), [(4, 3)], False),
    "relu": (lambda x: x.relu(), [(4, 3)], False),
    "matmul_2d": (lambda x, y: x @ y, [(3, 4), (4, 5)], False),
    "matmul_batched": (lambda x, y: x @ y, [(2, 3, 4), (4, 5)], False),
    "matmul_vec": (lambda x, y: x @ y, [(4,), (4, 5)], False),
    "sum_all": (lambda x: x.sum() * x, [(3, 4)], False),
    "sum_dim": (lambda x: x.sum(dim=1), [(3, 4, 2)], False),
    "sum_keepdim": (lambda x: x.sum(dim=(0, 2), keepdim=True), [(3, 4, 2)], False),
    "mean_dim": (lambda x: x.mean(dim=-1), [(3, 4)], False),
    "reshape": (lambda x: x.reshape(4, 3), [(3, 4)], False),
    "permute": (lambda x: x.permute(2, 0, 1), [(2, 3, 4)], False),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(5, 3), (4, 3), (4,)], False),
    "linear_3d_nobias": (lambda x, w: F.linear(x, w), [(2, 5, 3), (4, 3)], False),
    # conv, in both column layouts: per sample (C/G·kh·kw <= 32) and channels last
    "conv2d_per_sample": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [(2, 1, 5, 5), (3, 1, 3, 3), (3,)], False),
    "conv2d_channels_last": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [(2, 6, 5, 4), (3, 6, 3, 3), (3,)], False),
    "conv2d_strided_dilated_groups": (lambda x, w: F.conv2d(x, w, stride=2, padding=(2, 1), dilation=(2, 1), groups=2),
                                      [(2, 8, 7, 6), (4, 4, 3, 3)], False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_raw_and_differentiable_backward_agree(name, rng):
    fn, shapes, positive = CASES[name]
    inputs = [_leaf(rng, *s, positive=positive) for s in shapes]
    out = fn(*inputs)
    seed = gg.tensor(rng.standard_normal(out.shape))
    fast = grad(out, inputs, seed, retain_graph=True)
    slow = grad(out, inputs, seed, create_graph=True)
    for f, s in zip(fast, slow):
        assert f.shape == s.shape and f.dtype == s.dtype
        np.testing.assert_allclose(f.numpy(), s.detach().numpy(), rtol=1e-12, atol=1e-12)

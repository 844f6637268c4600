"""Indexing ops (x[key], x[key] = v, gather/scatter, index_*, masks, one_hot) against PyTorch,
finite differences and the error messages.

Each case is written once as ``fn(m, *xs)`` where ``m`` is ``torch`` or ``glassgrad``: the same code
runs on both libraries, forward and backward, in float64 and float32, on contiguous and strided
inputs; in float64 it also passes gradcheck and gradgradcheck.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassgrad
from glassgrad.autograd import gradcheck, gradgradcheck
from parity import as_tuple, check_parity, random_arrays

MASK_34 = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, False]])
MASK_4 = np.array([True, False, True, False])


# ---- harness -----------------------------------------------------------------------------------
def check_grads(fn, shapes, rng):
    """gradcheck and gradgradcheck in float64."""
    inputs = [glassgrad.Tensor(a, requires_grad=True) for a in random_arrays(shapes, rng, np.float64, False)]

    def f(*xs):
        return tuple(y for y in as_tuple(fn(glassgrad, *xs)) if y.numel())

    if not f(*inputs):
        return
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def run_case(fn, shapes, rng):
    for dtype in (np.float64, np.float32):
        for noncontig in (False, True):
            check_parity(fn, shapes, rng, dtype, noncontig)
    if not any(0 in s for s in shapes):
        check_grads(fn, shapes, rng)


# ---- x[key] ------------------------------------------------------------------------------------
GETITEM = {
    "int": (lambda m, x: x[1], [(3, 4)]),
    "neg_int": (lambda m, x: x[-1], [(3, 4)]),
    "ints_to_0d": (lambda m, x: x[1, -2], [(3, 4)]),
    "slice": (lambda m, x: x[1:3], [(4, 2)]),
    "slice_steps": (lambda m, x: x[::2, 1::2], [(4, 5)]),
    "slice_neg_bounds": (lambda m, x: x[-3:-1], [(4, 2)]),
    "slice_past_end": (lambda m, x: x[2:10], [(4, 2)]),
    "slice_empty": (lambda m, x: x[3:1], [(4, 2)]),
    "none": (lambda m, x: x[None], [(3, 2)]),
    "ellipsis_none": (lambda m, x: x[..., None], [(3, 2)]),
    "none_ellipsis_int": (lambda m, x: x[None, ..., 1], [(2, 3, 2)]),
    "int_ellipsis_none_int": (lambda m, x: x[0, ..., None, 1], [(2, 3, 2)]),
    "ellipsis_only": (lambda m, x: x[...], [(2, 3)]),
    "list_repeated": (lambda m, x: x[[0, 2, 0, 0]], [(3, 2)]),
    "tensor_negative": (lambda m, x: x[m.tensor([1, -1, 1])], [(3, 2)]),
    "int32_index": (lambda m, x: x[m.tensor([2, 0, 2], dtype=m.int32)], [(3, 2)]),
    "second_dim_list": (lambda m, x: x[:, [2, 0, 2]], [(2, 3)]),
    "two_arrays_repeated": (lambda m, x: x[[0, 1, 1], [1, 2, 2]], [(2, 3)]),
    "broadcast_arrays": (lambda m, x: x[m.tensor([[0], [1]]), m.tensor([1, 2, 1])], [(2, 3)]),
    "separated_advanced": (lambda m, x: x[[0, 1, 1], :, [1, 0, 0]], [(2, 3, 2)]),
    "adjacent_advanced": (lambda m, x: x[:, [0, 1, 0], [1, 0, 1]], [(2, 3, 2)]),
    "slice_and_array": (lambda m, x: x[1:, [0, 0, 1]], [(3, 2)]),
    "ellipsis_array": (lambda m, x: x[..., [1, 1]], [(2, 2, 3)]),
    "none_array": (lambda m, x: x[None, [0, 0]], [(2, 3)]),
    "index_2d": (lambda m, x: x[m.tensor([[0, 1], [1, 1]])], [(2, 3)]),
    "zero_dim_index": (lambda m, x: x[m.tensor(1)], [(3, 2)]),
    "mask_full": (lambda m, x: x[x > 0], [(3, 4)]),
    "mask_rows": (lambda m, x: x[m.tensor([True, False, True])], [(3, 2)]),
    "mask_cols": (lambda m, x: x[:, m.tensor(MASK_4)], [(3, 4)]),
    "mask_and_int": (lambda m, x: x[1, m.tensor(MASK_4)], [(3, 4)]),
    "mask_of_leading_dims": (lambda m, x: x[m.tensor(MASK_34)], [(3, 4, 2)]),
    "mask_empty": (lambda m, x: x[x > 100], [(3, 4)]),
    "bool_scalar": (lambda m, x: x[True], [(2, 3)]),
    "everything": (lambda m, x: x[None, 1:, ..., [0, 1, 1], None], [(3, 2, 4)]),
    "zero_d_empty_tuple": (lambda m, x: x[()], [()]),
    "zero_d_none": (lambda m, x: x[None], [()]),
    "zero_d_ellipsis": (lambda m, x: x[...], [()]),
    "zero_d_mask": (lambda m, x: x[x > -100], [()]),
    "size0_dim": (lambda m, x: x[:, 1], [(0, 3)]),
    "empty_list": (lambda m, x: x[[]], [(3, 2)]),
    "empty_index_tensor": (lambda m, x: x[m.tensor([], dtype=m.int64)], [(3, 2)]),
    "chained": (lambda m, x: x[1:][:, [0, 0]][0], [(3, 2)]),
    "numpy_index": (lambda m, x: x[np.array([2, 0, 2])], [(3, 2)]),
    "tensor_slice_bounds": (lambda m, x: x[m.tensor(1):m.tensor(3)], [(4, 2)]),
}


@pytest.mark.parametrize("name", sorted(GETITEM))
def test_getitem(name, rng):
    fn, shapes = GETITEM[name]
    run_case(fn, shapes, rng)


def test_list_of_sequences_is_a_tuple_like_torch():
    a = np.arange(12.0).reshape(3, 4)
    with pytest.warns(UserWarning):
        expected = torch.tensor(a)[[[0, 2], [1, 3]]]
    np.testing.assert_array_equal(glassgrad.tensor(a)[[[0, 2], [1, 3]]].array, expected.numpy())


def test_integer_tensors_index_without_grad():
    x = glassgrad.arange(10).reshape(2, 5)
    y = x[:, ::2]
    assert y.dtype == glassgrad.int64 and y.tolist() == [[0, 2, 4], [5, 7, 9]] and not y.requires_grad
    assert x[x > 6].tolist() == [7, 8, 9]


def test_repeated_indices_accumulate():
    x = glassgrad.zeros(4, dtype=glassgrad.float64, requires_grad=True)
    x[[0, 0, 3, 0, 3]].sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3, 0, 0, 2])


def test_basic_indexing_is_a_view_of_the_data():
    x = glassgrad.zeros(3, 4)
    row = x[1]
    row.fill_(5.0)
    np.testing.assert_array_equal(x.array[1], 5.0)
    x[0, 2].fill_(7.0)  # a 0-d view, not a copy
    assert x.array[0, 2] == 7.0


def test_iteration_uses_getitem():
    x = glassgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[2, 2], [1, 1]])


# ---- x[key] = v --------------------------------------------------------------------------------
def _set(key_fn, value_fn=None):
    """y = x * 1; y[key] = v (v from the second input, or a number); the result y."""
    def fn(m, x, *v):
        y = x * 1
        y[key_fn(m, y)] = value_fn(m, *v) if value_fn else 2.5
        return y
    return fn


SETITEM = {
    "int_number": (_set(lambda m, y: 1), [(3, 4)]),
    "slice_tensor": (_set(lambda m, y: slice(1, 3), lambda m, v: v), [(3, 4), (2, 4)]),
    "broadcast_value": (_set(lambda m, y: (slice(None), 1), lambda m, v: v), [(3, 4), (1,)]),
    "leading_one_value": (_set(lambda m, y: 0, lambda m, v: v), [(3, 4), (1, 4)]),
    "advanced_rows": (_set(lambda m, y: [0, 2], lambda m, v: v), [(3, 4), (2, 4)]),
    "two_arrays": (_set(lambda m, y: ([0, 1], [1, 2]), lambda m, v: v * 3), [(3, 4), (2,)]),
    "mask_number": (_set(lambda m, y: y > 0), [(3, 4)]),
    "mask_tensor_value": (_set(lambda m, y: m.tensor([True, False, True]), lambda m, v: v), [(3, 4), (4,)]),
    "ellipsis_none": (_set(lambda m, y: (Ellipsis, None, 0), lambda m, v: v), [(3, 4), (3, 1)]),
    "zero_d": (_set(lambda m, y: (), lambda m, v: v), [(), ()]),
    "zero_d_value_into_slice": (_set(lambda m, y: slice(0, 2), lambda m, v: v), [(3, 2), ()]),
}


@pytest.mark.parametrize("name", sorted(SETITEM))
def test_setitem_with_grad(name, rng):
    fn, shapes = SETITEM[name]
    run_case(fn, shapes, rng)


@pytest.mark.parametrize("key,value", [
    (1, 3.0), ((slice(None), 2), -1), ([0, 2], [[1.0, 2.0, 3.0, 4.0]]), ("mask", 0.0),
    ((Ellipsis, 1), np.arange(3.0)), ((None, 0, slice(1, 3)), 9), (([0, 1], [3, 3]), np.array([5.0, 6.0])),
])
def test_setitem_without_grad(key, value, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    xt, xg = torch.tensor(a), glassgrad.tensor(a)
    kt, kg = (xt > 0, xg > 0) if key == "mask" else (key, key)
    vt = torch.tensor(value, dtype=torch.float32) if isinstance(value, (list, np.ndarray)) else value
    vg = glassgrad.tensor(np.asarray(value, np.float32)) if isinstance(value, (list, np.ndarray)) else value
    xt[kt] = vt
    version = xg._version
    xg[kg] = vg
    assert xg._version == version + 1 and xg.grad_fn is None and not xg.requires_grad
    np.testing.assert_array_equal(xg.array, xt.numpy())


def test_setitem_casts_numbers_and_basic_tensor_values():
    x = glassgrad.zeros(3, dtype=glassgrad.int64)
    x[0] = 1.7
    x[1] = glassgrad.tensor(2.9)
    assert x.tolist() == [1, 2, 0] and x.dtype == glassgrad.int64


def test_setitem_value_requiring_grad_makes_target_part_of_graph():
    w = glassgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = glassgrad.zeros(3)
    z[1:] = w[:2] * 2
    assert z.requires_grad and not z.is_leaf
    (z * glassgrad.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.array, [20.0, 200.0, 0.0])


def test_setitem_on_leaf_requiring_grad():
    w = glassgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0
    with glassgrad.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0, 0.0] and w.is_leaf and w._version == 1


def test_setitem_builds_a_tensor_row_by_row():
    x = glassgrad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    out = glassgrad.zeros(3, 2)
    for i in range(3):
        out[i] = x[i] * (i + 1)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[1, 1], [2, 2], [3, 3]])


def test_modified_saved_tensor_is_an_error():
    x = glassgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()  # exp saves its output
    y[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    a = x * 2
    b = a * a  # mul saves its inputs
    a[1:] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_setitem_on_expanded_tensor_is_an_error():
    x = glassgrad.zeros(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[0, 0] = 1.0


# ---- gather / scatter / index_* / masks ---------------------------------------------------------
IDX_3x4 = [[0, 2, 1, 0], [2, 2, 0, 1]]  # rows of dim-0 indices, with repeats


def _inplace(name, *args, **kwargs):
    def fn(m, x, *rest):
        y = x * 1
        return getattr(y, name)(*[a(m, *rest) if callable(a) else a for a in args], **kwargs)
    return fn


OPS = {
    "gather_dim0": (lambda m, x: m.gather(x, 0, m.tensor(IDX_3x4)), [(3, 4)]),
    "gather_smaller_index": (lambda m, x: x.gather(1, m.tensor([[0, 0], [3, 1]])), [(3, 4)]),
    "gather_3d_neg_dim": (lambda m, x: x.gather(-1, m.tensor([[[3, 0, 0]], [[1, 1, 2]]])), [(2, 3, 4)]),
    "gather_0d": (lambda m, x: m.gather(x, 0, m.tensor(0)), [()]),
    "gather_empty_index": (lambda m, x: x.gather(1, m.tensor([[], []], dtype=m.int64)), [(2, 3)]),
    "scatter_add_repeats": (lambda m, x, s: x.scatter_add(0, m.tensor(IDX_3x4), s), [(3, 4), (2, 4)]),
    "scatter_src": (lambda m, x, s: x.scatter(1, m.tensor([[0, 2], [1, 0], [3, 1]]), s), [(3, 4), (3, 2)]),
    "scatter_value": (lambda m, x: m.scatter(x, 0, m.tensor([[2, 0, 1, 1]]), 2.5), [(3, 4)]),
    "scatter_0d": (lambda m, x, s: x.scatter_add(0, m.tensor(0), s), [(), ()]),
    "index_select": (lambda m, x: x.index_select(1, m.tensor([2, 0, 2])), [(2, 3)]),
    "index_select_0d_index": (lambda m, x: m.index_select(x, 0, m.tensor(1)), [(3, 2)]),
    "index_select_empty": (lambda m, x: x.index_select(0, m.tensor([], dtype=m.int64)), [(3, 2)]),
    "index_add_repeats": (lambda m, x, s: x.index_add(0, m.tensor([0, 2, 0]), s), [(3, 4), (3, 4)]),
    "index_add_alpha": (lambda m, x, s: m.index_add(x, 1, m.tensor([1, 1]), s, alpha=-0.5), [(3, 4), (3, 2)]),
    "index_fill": (lambda m, x: x.index_fill(1, m.tensor([0, 2]), -1.0), [(3, 4)]),
    "index_fill_tensor_value": (lambda m, x, v: x.index_fill(0, m.tensor([1]), v), [(3, 2), ()]),
    "index_put_accumulate": (lambda m, x, v: x.index_put((m.tensor([0, 0, 2]),), v, accumulate=True),
                             [(3, 4), (3, 4)]),
    "index_put_pairs": (lambda m, x, v: m.index_put(x, (m.tensor([0, 2]), m.tensor([1, 3])), v), [(3, 4), (2,)]),
    "masked_fill": (lambda m, x: x.masked_fill(x > 0, 0.5), [(3, 4)]),
    "masked_fill_broadcast_mask": (lambda m, x: x.masked_fill(m.tensor(MASK_4), -1.0), [(3, 4)]),
    "masked_fill_broadcast_input": (lambda m, x: m.masked_fill(x, m.tensor(MASK_34), 1.0), [(4,)]),
    "masked_fill_tensor_value": (lambda m, x, v: x.masked_fill(m.tensor(MASK_34), v), [(3, 4), ()]),
    "masked_fill_0d": (lambda m, x: x.masked_fill(m.tensor(True), 3.0), [()]),
    "masked_select": (lambda m, x: x.masked_select(x > 0), [(3, 4)]),
    "masked_select_broadcast": (lambda m, x: m.masked_select(x, m.tensor(MASK_34)), [(4,)]),
    "masked_select_0d": (lambda m, x: x.masked_select(m.tensor(True)), [()]),
    "take_along_dim": (lambda m, x: m.take_along_dim(x, m.tensor([[0], [2], [1]]), 1), [(3, 4)]),
    "take_along_dim_broadcast_neg": (lambda m, x: m.take_along_dim(x, m.tensor([[0, 3, -1]]), 1), [(3, 4)]),
    "take_along_dim_broadcast_input": (lambda m, x: m.take_along_dim(x, m.tensor([[0], [1], [0]]), 0), [(2, 1)]),
    "take_along_dim_flat": (lambda m, x: x.take_along_dim(m.tensor([5, 0, 5])), [(2, 3)]),
    "take_along_dim_argsort_like": (lambda m, x: m.take_along_dim(x, m.tensor([[2, 0, 1], [1, 2, 0]]), dim=-1),
                                    [(2, 3)]),
    "masked_fill_": (_inplace("masked_fill_", lambda m: m.tensor(MASK_34), 2.0), [(3, 4)]),
    "scatter_add_": (_inplace("scatter_add_", 0, lambda m, s: m.tensor(IDX_3x4), lambda m, s: s), [(3, 4), (2, 4)]),
    "scatter_": (_inplace("scatter_", 0, lambda m, s: m.tensor([[1, 0, 2, 2]]), lambda m, s: s), [(3, 4), (1, 4)]),
    "scatter_value_": (_inplace("scatter_", 1, lambda m: m.tensor([[1], [0], [3]]), -4.0), [(3, 4)]),
    "index_add_": (_inplace("index_add_", 1, lambda m, s: m.tensor([3, 3]), lambda m, s: s, alpha=2.0),
                   [(3, 4), (3, 2)]),
    "index_fill_": (_inplace("index_fill_", 0, lambda m: m.tensor([2]), 1.5), [(3, 4)]),
    "index_put_": (_inplace("index_put_", lambda m, v: (m.tensor([1, 1]),), lambda m, v: v, accumulate=True),
                   [(3, 4), (2, 4)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_indexing_ops(name, rng):
    fn, shapes = OPS[name]
    run_case(fn, shapes, rng)


def test_scatter_add_reads_the_corner_of_a_bigger_src(rng):
    # PyTorch's own backward fails here (it returns a src gradient of index's shape), so the forward
    # is compared with PyTorch and the gradients with finite differences.
    x, s = rng.standard_normal((3, 4)), rng.standard_normal((3, 3))
    idx = [[0, 0], [1, 3]]
    expected = torch.tensor(x).scatter_add(1, torch.tensor(idx), torch.tensor(s))
    got = glassgrad.tensor(x).scatter_add(1, glassgrad.tensor(idx), glassgrad.tensor(s))
    np.testing.assert_allclose(got.array, expected.numpy(), rtol=1e-12)
    xs = [glassgrad.tensor(a, requires_grad=True) for a in (x, s)]
    fn = lambda a, b: glassgrad.scatter_add(a, 1, glassgrad.tensor(idx), b)  # noqa: E731
    assert gradcheck(fn, xs) and gradgradcheck(fn, xs)


def test_inplace_ops_update_self_and_version():
    x = glassgrad.zeros(2, 3)
    for op, args in [("masked_fill_", (glassgrad.tensor([True, False, True]), 1.0)),
                     ("scatter_add_", (1, glassgrad.tensor([[0, 0], [2, 2]]), glassgrad.ones(2, 2))),
                     ("index_add_", (0, glassgrad.tensor([1]), glassgrad.ones(1, 3))),
                     ("scatter_", (0, glassgrad.tensor([[1, 0, 1]]), 7.0))]:
        version = x._version
        assert getattr(x, op)(*args) is x and x._version == version + 1
    t = torch.zeros(2, 3)
    t.masked_fill_(torch.tensor([True, False, True]), 1.0)
    t.scatter_add_(1, torch.tensor([[0, 0], [2, 2]]), torch.ones(2, 2))
    t.index_add_(0, torch.tensor([1]), torch.ones(1, 3))
    t.scatter_(0, torch.tensor([[1, 0, 1]]), 7.0)
    np.testing.assert_array_equal(x.array, t.numpy())


def test_inplace_on_leaf_requiring_grad_is_an_error():
    w = glassgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.masked_fill_(glassgrad.tensor([True, False, True]), 1.0)
    with glassgrad.no_grad():
        w.index_add_(0, glassgrad.tensor([0, 0]), glassgrad.ones(2))
    assert w.tolist() == [2.0, 0.0, 0.0] and w.is_leaf


def test_inplace_masked_fill_cannot_grow_self():
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        glassgrad.zeros(3).masked_fill_(glassgrad.ones(2, 3, dtype=glassgrad.bool), 1.0)


def test_scatter_add_accumulates_and_gather_double_backward():
    x = glassgrad.zeros(3, dtype=glassgrad.float64)
    src = glassgrad.tensor([1.0, 2.0, 3.0, 4.0], dtype=glassgrad.float64)
    out = x.scatter_add(0, glassgrad.tensor([0, 0, 2, 0]), src)
    assert out.tolist() == [7.0, 0.0, 3.0]
    w = glassgrad.tensor([1.0, 2.0, 3.0], dtype=glassgrad.float64, requires_grad=True)
    y = (w.gather(0, glassgrad.tensor([2, 2, 0])) ** 2).sum()
    (g,) = glassgrad.autograd.grad(y, [w], create_graph=True)
    assert g.tolist() == [2.0, 0.0, 12.0]  # d/dw of w0² + 2 w2²
    (h,) = glassgrad.autograd.grad(g.sum(), [w])
    assert h.tolist() == [2.0, 0.0, 4.0]


# ---- integer results ---------------------------------------------------------------------------
@pytest.mark.parametrize("data", [[[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], [0, 3, 0, 4], 3.0, 0.0, [[]], [True, False]])
def test_nonzero(data):
    t, g = torch.tensor(data), glassgrad.tensor(data)
    for a, b in [(glassgrad.nonzero(g), torch.nonzero(t)), (g.argwhere(), torch.argwhere(t))]:
        assert a.dtype == glassgrad.int64 and a.shape == tuple(b.shape)
        np.testing.assert_array_equal(a.array, b.numpy())
    gt, tt = g.nonzero(as_tuple=True), torch.nonzero(t, as_tuple=True)
    assert len(gt) == len(tt)
    for a, b in zip(gt, tt):
        np.testing.assert_array_equal(a.array, b.numpy())


@pytest.mark.parametrize("data,n", [([0, 2, 1], -1), ([0, 2], 5), ([[1, 0], [3, 3]], -1), (2, 3), ([], 3)])
def test_one_hot(data, n):
    expected = TF.one_hot(torch.tensor(data, dtype=torch.long), n)
    got = glassgrad.one_hot(glassgrad.tensor(data, dtype=glassgrad.int64), n)
    assert got.dtype == glassgrad.int64 and got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.array, expected.numpy())


# ---- bad input ---------------------------------------------------------------------------------
X = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("key,exc,match", [
    (slice(None, None, -1), ValueError, "step must be greater than zero"),
    ((slice(None), slice(None, None, 0)), ValueError, "step must be greater than zero"),
    (2, IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
    (-3, IndexError, "index -3 is out of bounds for dimension 0 with size 2"),
    ((0, 3), IndexError, "index 3 is out of bounds for dimension 1 with size 3"),
    ("int_tensor_oob", IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
    ("float_tensor", IndexError, "tensors used as indices must be long, int, byte or bool"),
    (1.5, IndexError, "only integers, slices"),
    ((0, 0, 0), IndexError, "too many indices for tensor of dimension 2"),
    ((Ellipsis, 0, Ellipsis), IndexError, "single ellipsis"),
    ("bad_mask", IndexError, "The shape of the mask \\[3\\] at index 0 does not match"),
])
def test_getitem_errors(key, exc, match):
    x = glassgrad.tensor(X)
    key = {"int_tensor_oob": (0, glassgrad.tensor([0, 5])), "float_tensor": glassgrad.tensor([0.0, 1.0]),
           "bad_mask": glassgrad.tensor([True, False, True])}.get(key, key) if isinstance(key, str) else key
    with pytest.raises(exc, match=match):
        x[key]
    with pytest.raises(exc, match=match):
        x[key] = 1.0


def test_setitem_errors():
    x = glassgrad.tensor(X)
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape \\[2\\] cannot be broadcast"):
        x[[0, 1]] = glassgrad.tensor([1.0, 2.0], dtype=glassgrad.float64)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        x[0] = glassgrad.ones(2)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        x[x > 2] = glassgrad.ones(2, dtype=glassgrad.float64)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        x[[0, 1]] = glassgrad.tensor([[1, 2, 3]])
    y = (glassgrad.tensor(X, requires_grad=True) * 1)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        y[0] = glassgrad.ones(2, dtype=glassgrad.float64, requires_grad=True)


@pytest.mark.parametrize("call,exc,match", [
    (lambda x: x.gather(0, glassgrad.tensor([0, 1])), RuntimeError, "same number of dimensions"),
    (lambda x: x.gather(0, glassgrad.tensor([[0, 1, 1, 0]])), RuntimeError, "Size does not match at dimension 1"),
    (lambda x: x.gather(0, glassgrad.tensor([[0, 2]])), RuntimeError, "index 2 is out of bounds for dimension 0"),
    (lambda x: x.gather(0, glassgrad.tensor([[0, -1]])), RuntimeError, "index -1 is out of bounds"),
    (lambda x: x.gather(2, glassgrad.tensor([[0]])), IndexError, "Dimension out of range"),
    (lambda x: x.gather(0, glassgrad.tensor([[0.0]])), RuntimeError, "Expected dtype int64 for index"),
    (lambda x: x.scatter_add(0, glassgrad.tensor([[0, 1, 1]]), glassgrad.ones(1, 2, dtype=glassgrad.float64)),
     RuntimeError, "no larger size than src"),
    (lambda x: x.scatter(0, glassgrad.tensor([[0]]), glassgrad.ones(1, 1)), RuntimeError,
     "Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.index_select(1, glassgrad.tensor([[2]])), IndexError, "Index is supposed to be a vector"),
    (lambda x: x.index_select(1, glassgrad.tensor([3])), RuntimeError, "index 3 is out of bounds"),
    (lambda x: x.index_add(1, glassgrad.tensor([0, 0]), glassgrad.ones(2, 3, dtype=glassgrad.float64)),
     RuntimeError, "Number of indices \\(2\\) should be equal to source.size\\(dim\\)"),
    (lambda x: x.masked_fill(glassgrad.tensor([1, 0, 1]), 1.0), RuntimeError, "only supports boolean masks"),
    (lambda x: x.masked_fill(glassgrad.tensor([True, False, True]), glassgrad.tensor([1.0, 2.0])), RuntimeError,
     "0-dimensional value tensor"),
    (lambda x: x.masked_fill(glassgrad.tensor([True, False]), 1.0), RuntimeError, "cannot be broadcast"),
    (lambda x: x.masked_select(glassgrad.tensor([True, False])), RuntimeError, "cannot be broadcast"),
    (lambda x: glassgrad.take_along_dim(x, glassgrad.tensor([[0, 1]]), 0), RuntimeError,
     "The size of tensor a \\(3\\) must match the size of tensor b \\(2\\) at non-singleton dimension 1"),
    (lambda x: glassgrad.take_along_dim(x, glassgrad.tensor([[[0]]]), 1), RuntimeError, "same number of dimensions"),
    (lambda x: glassgrad.one_hot(glassgrad.tensor([0, 2]), 2), RuntimeError, "smaller than num_classes"),
    (lambda x: glassgrad.one_hot(glassgrad.tensor([0, -1])), RuntimeError, "non-negative"),
    (lambda x: glassgrad.one_hot(glassgrad.tensor([0, 1], dtype=glassgrad.int32)), RuntimeError, "LongTensor"),
    (lambda x: glassgrad.one_hot(glassgrad.tensor([], dtype=glassgrad.int64)), RuntimeError, "empty tensor"),
])
def test_op_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(glassgrad.tensor(X))

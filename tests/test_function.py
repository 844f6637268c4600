"""The public Function API for user-defined ops, checked against PyTorch's torch.autograd.Function."""
import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad.autograd import Function, gradcheck, gradgradcheck, once_differentiable


class ScaledCube(Function):
    """y = k x³;  dx = 3 k x² dy (written with glassgrad ops: differentiable again)"""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x.array ** 3 * k

    @staticmethod
    def backward(ctx, dy):
        x, = ctx.saved_tensors
        return dy * 3 * x * x * ctx.k, None


class TorchScaledCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, dy):
        x, = ctx.saved_tensors
        return dy * 3 * x * x * ctx.k, None


def test_custom_function_forward_backward_and_double_backward_match_torch():
    a = np.array([0.5, -1.5, 2.0])
    x = gg.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = ScaledCube.apply(x, 2.0), TorchScaledCube.apply(tx, 2.0)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    assert y.grad_fn.name() == "ScaledCubeBackward" and not y.is_leaf
    g, = gg.autograd.grad(y.sum(), x, create_graph=True)
    tg, = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    g.sum().backward()
    tg.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert gradcheck(lambda t: ScaledCube.apply(t, 2.0), (x.detach().requires_grad_(),))
    assert gradgradcheck(lambda t: ScaledCube.apply(t, 2.0), (x.detach().requires_grad_(),))


class Recorder(Function):
    """z = x * y, recording what ctx saw"""
    seen = []

    @staticmethod
    def forward(ctx, x, y, flag=False):
        Recorder.seen.append(("forward", ctx.needs_input_grad, gg.is_grad_enabled()))
        ctx.save_for_backward(x, y)
        return x * y                      # a forward may return a Tensor as well as an array

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        Recorder.seen.append(("backward", ctx.needs_input_grad))
        return (dz * y if ctx.needs_input_grad[0] else None,
                dz * x if ctx.needs_input_grad[1] else None)


def test_needs_input_grad_and_grad_mode_inside_forward():
    Recorder.seen.clear()
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = gg.tensor([3.0, 4.0])
    z = Recorder.apply(x, y, True)
    z.sum().backward()
    assert Recorder.seen == [("forward", (True, False, False), False), ("backward", (True, False, False))]
    assert x.grad.tolist() == [3.0, 4.0] and y.grad is None


def test_function_without_grad_inputs_records_nothing():
    z = Recorder.apply(gg.ones(2), gg.ones(2))
    assert z.grad_fn is None and not z.requires_grad
    with gg.no_grad():
        z = Recorder.apply(gg.ones(2, requires_grad=True), gg.ones(2))
    assert z.grad_fn is None


class Square(Function):
    """y = x²;  a fused backward on raw arrays"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.array ** 2

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        x, = ctx.saved_tensors
        return 2 * x.array * dy.array


def test_once_differentiable_works_once_and_refuses_double_backward():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    g, = gg.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [2.0, 4.0] and g.requires_grad
    with pytest.raises(RuntimeError, match="SquareBackward is once-differentiable"):
        g.sum().backward()


class SortValues(Function):
    """(values, indices) = sort(x);  dx = dvalues scattered back; indices get no gradient"""

    @staticmethod
    def forward(ctx, x):
        idx = np.argsort(x.array, kind="stable")
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return x.array[idx], idx

    @staticmethod
    def backward(ctx, dvalues, dindices):
        idx, = ctx.saved_tensors
        out = np.zeros_like(dvalues.array)
        out[idx.array] = dvalues.array
        return out


class ScaleAndCopy(Function):
    """(2x, a copy of x marked non-differentiable)"""

    @staticmethod
    def forward(ctx, x):
        copy = x.array.copy()
        ctx.mark_non_differentiable(copy)
        return x.array * 2, copy

    @staticmethod
    def backward(ctx, d2x, dcopy):
        assert dcopy.tolist() == [0.0, 0.0, 0.0]   # PyTorch passes zeros for non-differentiable outputs
        return d2x * 2


def test_mark_non_differentiable():
    x = gg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = SortValues.apply(x)
    assert values.requires_grad and not idx.requires_grad and idx.grad_fn is None
    assert idx.tolist() == [1, 2, 0]
    (values * gg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 2.0]
    y, copy = ScaleAndCopy.apply(x)
    assert y.requires_grad and not copy.requires_grad and copy.is_leaf
    x.grad = None
    (y.sum() + copy.sum()).backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


class TwoOutputs(Function):
    """(x + y, x * y)"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x.array + y.array, x.array * y.array

    @staticmethod
    def backward(ctx, ds, dp):
        x, y = ctx.saved_tensors
        return ds + dp * y, ds + dp * x


def test_multiple_outputs_and_unused_output_gets_zero_gradient():
    x = gg.tensor([1.0, 2.0], dtype=gg.float64, requires_grad=True)
    y = gg.tensor([3.0, -1.0], dtype=gg.float64, requires_grad=True)
    s, p = TwoOutputs.apply(x, y)
    assert (s.grad_fn is p.grad_fn) and s._output_nr == 0 and p._output_nr == 1
    p.sum().backward()          # s got no gradient: backward receives zeros for it
    assert x.grad.tolist() == [3.0, -1.0] and y.grad.tolist() == [1.0, 2.0]
    assert gradcheck(lambda a, b: TwoOutputs.apply(a, b), (x.detach().requires_grad_(), y.detach().requires_grad_()))


class SavesOutput(Function):
    """y = exp(x);  dx = dy * y (saves its output)"""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x.array)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        y, = ctx.saved_tensors
        return dy * y


def test_saved_output_is_differentiable_and_version_checked():
    x = gg.tensor([0.5, 1.0], dtype=gg.float64, requires_grad=True)
    assert gradgradcheck(SavesOutput.apply, (x,))
    y = SavesOutput.apply(x)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_tensors_after_backward_is_an_error():
    x = gg.tensor([1.0], requires_grad=True)
    y = SavesOutput.apply(x)
    node = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        node.saved_tensors


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x.array + y.array

    @staticmethod
    def backward(ctx, dz):
        return (dz,)


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.array.sum()

    @staticmethod
    def backward(ctx, dz):
        return gg.ones(5)


def test_bad_backward_results_are_clear_errors():
    x = gg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="WrongCountBackward: backward returned 1 gradients"):
        WrongCount.apply(x, gg.ones(2, requires_grad=True)).sum().backward()
    with pytest.raises(RuntimeError, match=r"shape \(5,\).*shape \(2,\)"):
        WrongShape.apply(x).backward()


def test_next_functions_links_the_graph():
    x = gg.ones(2, requires_grad=True)
    y = x.exp()
    z = y * 2
    (node, nr), (none, _) = z.grad_fn.next_functions
    assert node is y.grad_fn and nr == 0 and none is None
    assert y.grad_fn.next_functions[0][0] is x

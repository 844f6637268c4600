"""gradcheck / gradgradcheck (finite differences) and detect_anomaly (NaN/Inf, named op and line)."""
import inspect

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd import Function, GradcheckError, detect_anomaly, gradcheck, gradgradcheck


def rand64(*shape, seed=0):
    return gg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# ---- gradcheck ----------------------------------------------------------------------------------
def test_gradcheck_passes_on_correct_composite_ops():
    x, w = rand64(3, 4), rand64(4, 2, seed=1)
    assert gradcheck(lambda a, b: (a @ b).tanh() * a.sum(), (x, w))
    assert gradcheck(lambda a: a.exp() / (1 + a * a), rand64(5))
    assert gradcheck(lambda a: a * 2, rand64())  # 0-d input


def test_gradcheck_handles_non_contiguous_inputs():
    base = np.random.default_rng(0).standard_normal((4, 3))
    x = gg.from_numpy(base.T).requires_grad_()  # a transposed view
    assert not x.is_contiguous()
    assert gradcheck(lambda a: (a * a).sum(dim=0), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), base.T)  # perturbations were undone


class WrongSin(Function):
    """y = sin x, with a deliberately wrong backward where x > 1.5"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x.array)

    @staticmethod
    def backward(ctx, dy):
        x, = ctx.saved_tensors
        wrong = gg.tensor((x.array > 1.5) * 0.1)
        return dy * (x.cos() + wrong)


def test_gradcheck_reports_the_worst_element_of_a_wrong_backward():
    x = gg.tensor([[1.0, 2.0], [0.5, 1.2]], dtype=gg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSin.apply, (x,))
    msg = str(info.value)
    assert "output 0 with respect to input 0" in msg and "1 of 16 entries differ" in msg
    # the worst entry: cos(2.0) vs cos(2.0) + 0.1 at d output[0, 1] / d input[0, 1]
    assert "d output[0, 1] / d input[0, 1]" in msg
    assert repr(float(np.cos(2.0) + 0.1))[:8] in msg and repr(float(np.cos(2.0)))[:8] in msg
    assert gradcheck(WrongSin.apply, (x,), raise_exception=False) is False
    assert gradcheck(WrongSin.apply, (x,), atol=0.2)  # tolerances are honored


def test_gradcheck_catches_a_missing_gradient():
    # the function depends on x, but its output is detached: backward gives nothing
    x = rand64(3)
    with pytest.raises(GradcheckError, match="numerical"):
        gradcheck(lambda a: (a * 2).detach() + 0 * gg.ones(3, dtype=gg.float64), (x,))


def test_gradcheck_needs_float64_and_a_grad_input():
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda a: a * 2, (gg.ones(2, requires_grad=True),))
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, (gg.ones(2, dtype=gg.float64),))


class FirstOrderOnly(Function):
    """y = x³, whose backward is right but whose gradient formula is treated as a constant in x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.array ** 3

    @staticmethod
    def backward(ctx, dy):
        x, = ctx.saved_tensors
        return dy * gg.tensor(3 * x.array ** 2)   # detached from x: wrong second derivative


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = gg.tensor([0.5, -1.0, 2.0], dtype=gg.float64, requires_grad=True)
    assert gradgradcheck(lambda a: (a.tanh() * a).sum() + (a ** 3), (x,))
    assert gradcheck(FirstOrderOnly.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(FirstOrderOnly.apply, (x,))


# ---- detect_anomaly -----------------------------------------------------------------------------
def test_anomaly_forward_nan_names_the_op_and_the_user_line():
    x = gg.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with detect_anomaly():
            line = inspect.currentframe().f_lineno + 1
            x.log()
    msg = str(info.value)
    assert "Function 'Log' returned nan/inf values in its output 0 (forward" in msg
    assert f"{__file__}\", line {line}" in msg and "x.log()" in msg


def test_anomaly_backward_inf_names_the_node_and_where_it_was_created():
    x = gg.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        line = inspect.currentframe().f_lineno + 1
        y = x.sqrt()                         # finite forward; d sqrt / dx at 0 is inf
        z = (y * 2).sum()
        with pytest.raises(RuntimeError) as info:
            z.backward()
    msg = str(info.value)
    assert "Function 'SqrtBackward' returned nan/inf values in its output 0" in msg
    assert f"line {line}" in msg and "y = x.sqrt()" in msg


def test_anomaly_backward_nan_when_the_graph_was_built_outside():
    x = gg.tensor([-1.0, 4.0], requires_grad=True)
    y = (x * 0).sqrt()                       # sqrt(-0) = -0, gradient 1/(2·0): inf
    with detect_anomaly():
        with pytest.raises(RuntimeError, match="(?s)SqrtBackward.*created outside detect_anomaly"):
            y.sum().backward()


def test_without_anomaly_mode_nan_passes_silently_and_mode_is_restored():
    x = gg.tensor([-1.0], requires_grad=True)
    assert np.isnan(x.log().item())
    with detect_anomaly():
        pass
    assert np.isnan(x.log().item())
    with detect_anomaly(check_nan=False):
        assert np.isnan(x.log().item())


def test_anomaly_mode_is_quiet_on_finite_values():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        (x.log() * x.sqrt()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log([1, 2]) / (2 * np.sqrt([1, 2])) + np.sqrt([1, 2]) / [1, 2],
                               rtol=1e-6)

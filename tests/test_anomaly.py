"""set_detect_anomaly / detect_anomaly: a NaN made in backward names the forward op and the
traceback of where it was created; set_detect_anomaly works as a call and as a context manager."""
import pytest
import torch

import glassgrad as gg
from glassgrad import autograd


def _root(t):
    return t.sqrt()          # the op whose backward makes NaN at 0


def _model(t):
    return (_root(t) * 0).sum()


def test_backward_nan_names_the_forward_op_and_its_creation_traceback():
    x = gg.tensor([0.0, 1.0], requires_grad=True)
    with autograd.set_detect_anomaly(True):
        y = _model(x)
        with pytest.raises(RuntimeError) as err:
            y.backward()
    msg = str(err.value)
    assert "SqrtBackward" in msg and "returned nan/inf" in msg
    assert "return t.sqrt()" in msg and "return (_root(t) * 0).sum()" in msg   # inner and outer frames
    assert msg.index("_root(t) * 0") < msg.index("t.sqrt()")                   # innermost last
    # PyTorch also names SqrtBackward for this graph
    tx = torch.tensor([0.0, 1.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True), pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            (tx.sqrt() * 0).sum().backward()


def test_set_detect_anomaly_as_a_call_and_a_context():
    assert not autograd.is_anomaly_enabled()
    with autograd.set_detect_anomaly(True):
        assert autograd.is_anomaly_enabled()
        with autograd.set_detect_anomaly(False):
            assert not autograd.is_anomaly_enabled()
            x = gg.tensor([0.0], requires_grad=True)
            (x.sqrt() * 0).sum().backward()            # no check: NaN gradient passes
            assert x.grad.isnan().all()
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled()
    finally:
        autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()
    assert gg.autograd.set_detect_anomaly is autograd.anomaly.set_detect_anomaly

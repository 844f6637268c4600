"""glassgrad.onnx.export: every exported layer run in onnxruntime matches glassgrad to 1e-5."""
import io

import numpy as np
import onnx
import onnxruntime
import pytest

import glassgrad as gg
import glassgrad.nn as nn
from onnx_cases import cases, max_difference, sequence_cases

CASES = [(label, model, x, 0) for label, model, x in cases()] + sequence_cases()


@pytest.mark.parametrize("label,model,x,batch_axis", CASES, ids=[c[0] for c in CASES])
def test_onnxruntime_matches_glassgrad(label, model, x, batch_axis):
    assert max_difference(model, x, batch_axis) <= 1e-5


def test_file_names_and_shapes(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    path = tmp_path / "model.onnx"
    gg.onnx.export(model, (gg.randn(4, 3),), str(path), input_names=["features"], output_names=["scores"],
                   dynamic_axes={"features": {0: "batch"}, "scores": [0]})
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["scores"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3
    assert proto.opset_import[0].version == 17
    assert model.training                                  # restored after the eval-mode trace
    assert not list(tmp_path.glob(".onnx-*"))              # no temporary file left
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = gg.randn(7, 3)
    np.testing.assert_allclose(session.run(None, {"features": x.numpy()})[0], model(x).detach().numpy(), atol=1e-6)


def test_what_cannot_be_exported_says_so():
    class Picks(nn.Module):
        def forward(self, x):
            return x[:, 0]
    with pytest.raises(NotImplementedError, match="op Index .* no ONNX export rule"):
        gg.onnx.export(Picks(), gg.randn(2, 3), io.BytesIO())
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        gg.onnx.export(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), gg.randn(1, 1, 5, 5), io.BytesIO())
    with pytest.raises(ValueError, match="opset_version 13 is too old"):
        gg.onnx.export(nn.Linear(2, 2), gg.randn(1, 2), io.BytesIO(), opset_version=13)
    with pytest.raises(TypeError, match="pass example inputs as Tensors"):
        gg.onnx.export(nn.Linear(2, 2), [np.ones((1, 2))], io.BytesIO())


def test_missing_onnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "glassgrad\[onnx\]"'):
        gg.onnx.export(nn.Linear(2, 2), gg.randn(1, 2), io.BytesIO())

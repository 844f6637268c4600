"""glassgrad.save / glassgrad.load: tensors, state_dicts (model and optimizer) and nested
containers round trip through safetensors; files written by PyTorch's safetensors load; PyTorch
pickles are refused with the way to convert them; nothing half-written on failure."""
import collections
import io
import math
import os

import numpy as np
import pytest
import torch
from safetensors.torch import save_file as torch_save_file

import glassgrad
from glassgrad.io.safetensors import read_metadata


def _model():
    glassgrad.manual_seed(0)
    return glassgrad.nn.Sequential(glassgrad.nn.Linear(3, 4), glassgrad.nn.BatchNorm1d(4), glassgrad.nn.Linear(4, 2))


def test_tensor_round_trip_keeps_dtype_shape_and_values(tmp_path):
    for t in [glassgrad.randn(3, 4, dtype=glassgrad.float64), glassgrad.tensor(7), glassgrad.zeros(0, 5),
              glassgrad.tensor([True, False]), glassgrad.arange(12).reshape(3, 4)[:, 1:], glassgrad.tensor(2.5)]:
        path = tmp_path / "t.safetensors"
        glassgrad.save(t, path)
        back = glassgrad.load(path)
        assert isinstance(back, glassgrad.Tensor) and back.dtype == t.dtype and back.shape == t.shape
        np.testing.assert_array_equal(back.array, t.array)


def test_nested_structure_round_trips(tmp_path):
    shared = glassgrad.ones(2)
    obj = {
        "a": [glassgrad.tensor([1.0, 2.0]), (3, "x", None), {"deep": shared}], "b": shared,
        1: 0.5, "nan": math.nan, "inf": -math.inf, "flag": True, "arr": np.arange(3.0),
        "od": collections.OrderedDict([("z", 1), ("y", 2)]), None: "none key"}
    glassgrad.save(obj, tmp_path / "n.pt")
    back = glassgrad.load(tmp_path / "n.pt")
    assert list(back) == list(obj)
    assert back["a"][1] == (3, "x", None) and back[1] == 0.5 and math.isnan(back["nan"])
    assert back["inf"] == -math.inf and back["flag"] is True and back[None] == "none key"
    assert isinstance(back["od"], collections.OrderedDict) and list(back["od"]) == ["z", "y"]
    assert back["a"][2]["deep"] is back["b"]  # a tensor saved twice loads as one object
    assert isinstance(back["arr"], np.ndarray) and back["arr"].tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(back["a"][0].array, [1.0, 2.0])
    assert len(glassgrad.io.load_file(tmp_path / "n.pt")) == 3  # three distinct tensors in the file


def test_model_and_optimizer_state_dicts_resume_identically(tmp_path):
    model = _model()
    opt = glassgrad.optim.Adam(model.parameters(), lr=0.01)
    x, y = glassgrad.randn(8, 3), glassgrad.randn(8, 2)

    def step(m, o):
        o.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss.item()

    for _ in range(3):
        step(model, opt)
    glassgrad.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, tmp_path / "ck.pt")
    ck = glassgrad.load(tmp_path / "ck.pt", map_location="cpu")
    model2 = _model()
    model2.load_state_dict(ck["model"])
    opt2 = glassgrad.optim.Adam(model2.parameters(), lr=0.01)
    opt2.load_state_dict(ck["optim"])
    assert ck["epoch"] == 3 and sorted(ck["optim"]["state"]) == list(range(6))
    for _ in range(3):
        assert step(model, opt) == step(model2, opt2)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.array, b.array)


def test_scheduler_state_dict_round_trips(tmp_path):
    opt = glassgrad.optim.SGD([glassgrad.nn.Parameter(glassgrad.ones(1))], lr=0.1)
    sched = glassgrad.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5], gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    glassgrad.save(sched.state_dict(), tmp_path / "s.pt")
    state = glassgrad.load(tmp_path / "s.pt")
    assert state == sched.state_dict() and isinstance(state["milestones"], collections.Counter)
    sched.load_state_dict(state)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(7)  # (the closed form reads the Counter's elements)
    assert sched.get_last_lr() == [0.1 * 0.5 ** 3]


def test_parameters_load_as_parameters(tmp_path):
    p = glassgrad.nn.Parameter(glassgrad.ones(3))
    q = glassgrad.ones(2).requires_grad_()
    glassgrad.save([p, q, glassgrad.ones(1)], tmp_path / "p.pt")
    a, b, c = glassgrad.load(tmp_path / "p.pt")
    assert isinstance(a, glassgrad.nn.Parameter) and a.requires_grad
    assert b.requires_grad and not isinstance(b, glassgrad.nn.Parameter) and not c.requires_grad


def test_file_objects_and_map_location_callable():
    buf = io.BytesIO()
    glassgrad.save({"w": glassgrad.arange(4)}, buf)
    buf.seek(0)
    seen = []
    out = glassgrad.load(buf, map_location=lambda t, loc: seen.append(loc) or t * 2)
    assert out["w"].tolist() == [0, 2, 4, 6] and seen == ["cpu"]


def test_loads_safetensors_written_by_pytorch(tmp_path):
    tm = torch.nn.Linear(3, 2).double()
    sd = {k: v.contiguous() for k, v in tm.state_dict().items()}
    sd["half"] = torch.arange(4, dtype=torch.float16)
    sd["long"] = torch.arange(5)
    torch_save_file(sd, tmp_path / "torch.safetensors")
    back = glassgrad.load(tmp_path / "torch.safetensors")
    assert sorted(back) == sorted(sd)
    for k, v in sd.items():
        assert str(back[k].dtype) == str(v.numpy().dtype)
        np.testing.assert_array_equal(back[k].array, v.numpy())
    gm = glassgrad.nn.Linear(3, 2).double()
    gm.load_state_dict({k: back[k] for k in ("weight", "bias")})
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(gm(glassgrad.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-14)


def test_pytorch_reads_what_glassgrad_saved(tmp_path):
    from safetensors.torch import load_file
    glassgrad.save({"w": glassgrad.arange(6.0).reshape(2, 3)}, tmp_path / "g.safetensors")
    tensors = load_file(tmp_path / "g.safetensors")
    assert list(tensors) == ["0"] and tensors["0"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert read_metadata(tmp_path / "g.safetensors")["format"] == "glassgrad.save/1"


@pytest.mark.parametrize("legacy", [False, True])
def test_pytorch_pickles_are_refused_with_how_to_convert(tmp_path, legacy):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(ValueError, match=r"(?s)model\.pt is a .*pickle.*never unpickles.*safetensors\.torch import "
                                         r"save_file"):
        glassgrad.load(path)


def test_bad_input_is_named_and_nothing_is_half_written(tmp_path):
    path = tmp_path / "x.pt"
    glassgrad.save({"ok": glassgrad.ones(1)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['m'\] is a Linear.*state_dict"):
        glassgrad.save({"ok": glassgrad.ones(1), "m": glassgrad.nn.Linear(1, 1)}, path)
    with pytest.raises(TypeError, match="key of type"):
        glassgrad.save({("a", 1): glassgrad.ones(1)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["x.pt"]
    with pytest.raises(ValueError, match="never pickles"):
        glassgrad.save({}, path, pickle_module=object())
    (tmp_path / "trunc.pt").write_bytes(before[:-3])
    with pytest.raises(ValueError, match="trunc.pt"):
        glassgrad.load(tmp_path / "trunc.pt")
    with pytest.raises(FileNotFoundError):
        glassgrad.load(tmp_path / "missing.pt")

"""Saving a monitored run and reading it back (also with pandas), TensorBoard event files read back
with TensorBoard's own EventAccumulator, and the monitor inside fit."""
import os
import sys

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad import optim
from glassgrad.data import DataLoader, TensorDataset
from glassgrad.train import InspectCallback, fit


def _monitored(every=2, steps=6):
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = gg.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = gg.tensor((x.array[:, 0] > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    mon = gi.Monitor(model, opt, every=every)
    for step in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        mon.record(loss, accuracy=0.5 + step / 100)
    mon.log(val_loss=0.25)
    mon.close()
    return mon


def test_save_load_round_trip_and_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    mon = _monitored()
    run_dir = mon.save(str(tmp_path / "run"))
    assert sorted(os.listdir(run_dir)) == ["events.jsonl", "graph.dot", "histograms.npz", "inputs.csv", "layers.csv",
                                           "meta.json", "steps.jsonl"]  # no temporary files left
    run = gi.load_run(run_dir)
    assert run.meta == mon.run.meta
    assert run.graph_dot == mon.run.graph_dot and '"0.weight\\n(8, 4) float32' in run.graph_dot
    assert run.steps == mon.run.steps
    assert len(run.layers) == len(mon.run.layers)
    for a, b in zip(run.layers, mon.run.layers):
        for k, v in b.items():
            assert run.layers and (a[k] == v if isinstance(v, str) else a[k] == pytest.approx(v))
    for key, entries in mon.run.hist.items():
        for (s1, c1, e1), (s2, c2, e2) in zip(entries, run.hist[key]):
            assert s1 == s2 and np.array_equal(c1, c2) and np.allclose(e1, e2)
    assert [str(f) for f in gi.diagnose(run_dir)] == [str(f) for f in gi.diagnose(mon)]
    steps = pd.read_json(os.path.join(run_dir, "steps.jsonl"), lines=True)
    assert list(steps["step"]) == list(range(6)) and steps["val_loss"].iloc[-1] == 0.25
    layers = pd.read_csv(os.path.join(run_dir, "layers.csv"))
    assert set(layers["layer"].astype(str)) == {"0", "1", "2"}
    assert layers.loc[layers["layer"].astype(str) == "0", "grad_norm"].notna().all()


def test_load_run_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        gi.load_run(str(tmp_path / "nope"))
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "meta.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="missing steps.jsonl, layers.csv"):
        gi.load_run(str(tmp_path / "half"))
    run_dir = _monitored().save(str(tmp_path / "run"))
    with open(os.path.join(run_dir, "meta.json"), "w") as f:
        f.write('{"format_version": 99}')
    with pytest.raises(ValueError, match="format version 99"):
        gi.load_run(run_dir)


def test_summary_writer_files_read_back_with_event_accumulator(tmp_path):
    pytest.importorskip("tensorboardX")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from glassgrad.utils.tensorboard import SummaryWriter
    values = np.random.default_rng(0).standard_normal(1000)
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(3):
            w.add_scalar("loss", gg.tensor(1.0 / (step + 1)), step)
        w.add_histogram("weights", gg.tensor(values), 0)
        w.add_text("note", "hello glass box", 0)
        w.flush()
    acc = ea_mod.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    h = acc.Histograms("weights")[0].histogram_value
    assert h.num == 1000 and h.sum == pytest.approx(values.sum(), rel=1e-6)
    assert h.min == pytest.approx(values.min()) and h.max == pytest.approx(values.max())
    assert "note/text_summary" in acc.Tags()["tensors"]
    with pytest.raises(ValueError, match="one number"):
        SummaryWriter(str(tmp_path / "x")).add_scalar("bad", [1.0, 2.0])


def test_add_hparams_writes_its_plugin_data(tmp_path):
    pytest.importorskip("tensorboardX")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from glassgrad.utils.tensorboard import SummaryWriter
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.01, "opt": "adam"}, {"hparam/accuracy": 0.9}, run_name="r1")
    acc = ea_mod.EventAccumulator(str(tmp_path / "r1"))
    acc.Reload()
    assert [e.value for e in acc.Scalars("hparam/accuracy")] == [pytest.approx(0.9)]
    assert "hparams" in acc.PluginTagToContent("hparams") or acc.PluginTagToContent("hparams")


def test_monitor_to_tensorboard(tmp_path):
    pytest.importorskip("tensorboardX")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    mon = _monitored()
    mon.write_tensorboard(str(tmp_path))
    acc = ea_mod.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    assert [e.value for e in acc.Scalars("train/loss")] == pytest.approx([s["loss"] for s in mon.run.steps])
    norms = [r["grad_norm"] for r in mon.run.layers if r["layer"] == "0"]
    assert [e.value for e in acc.Scalars("grad_norm/0")] == pytest.approx(norms, rel=1e-6)
    hist = acc.Histograms("weight/0")
    assert [h.step for h in hist] == [0, 2, 4]
    assert hist[0].histogram_value.num == mon.run.hist[("weight", "0")][0][1].sum()


def test_missing_tensorboardx_says_how_to_install(monkeypatch):
    from glassgrad.utils import tensorboard as tb
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install 'glassgrad\[tensorboard\]'"):
        tb.SummaryWriter("unused")


def test_inspect_callback_in_fit(tmp_path):
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    ds = TensorDataset(gg.tensor(x), gg.tensor(y))
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2), nn.Softmax(dim=1))  # double softmax
    cb = InspectCallback(str(tmp_path / "run"), every=2)
    fit(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), DataLoader(ds, batch_size=32),
        val_loader=DataLoader(ds, batch_size=64), epochs=3, callbacks=[cb], verbose=False)
    run = gi.load_run(str(tmp_path / "run"))
    assert [s["step"] for s in run.steps] == list(range(12))
    assert {"val_loss", "val_accuracy", "accuracy", "epoch_loss"} <= set(run.steps[3])
    assert any(f.kind == "double_softmax" and f.layer == "3" and f.step == 0 for f in cb.findings)
    assert not model._forward_hooks  # detached at the end
    with pytest.raises(ValueError, match="every"):
        InspectCallback(every=0)

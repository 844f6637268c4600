"""`glassgrad train ... --inspect RUN_DIR` records a run; `glassgrad doctor RUN_DIR` prints its report."""
import json

import numpy as np

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad import optim
from glassgrad.cli import main


def test_train_inspect_then_doctor(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    rc = main(["train", "--dataset", "digits", "--epochs", "1", "--batch-size", "256", "--quiet", "--inspect", run_dir,
               "--inspect-every", "2", "--out", str(tmp_path / "m.safetensors")])
    assert rc == 0
    run = gi.load_run(run_dir)
    assert len(run.steps) == 6 and sorted({r["step"] for r in run.layers}) == [0, 2, 4]
    assert "val_loss" in run.steps[-1]
    capsys.readouterr()
    assert main(["doctor", run_dir]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run: 6 steps (every 2)") and "Linear" in out and "loss share" in out


def _bad_run(tmp_path):
    gg.manual_seed(0)
    x = gg.tensor(np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32))
    y = gg.tensor(np.arange(32) % 3)
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    with gi.Monitor(model, opt, every=1) as mon:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        mon.record(loss)
    return mon.save(str(tmp_path / "bad"))


def test_doctor_fail_on_and_json(tmp_path, capsys):
    run_dir = _bad_run(tmp_path)
    assert main(["doctor", run_dir, "--fail-on", "error"]) == 1
    assert "[error] double_softmax in layer '1' from step 0" in capsys.readouterr().out
    assert main(["doctor", run_dir, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["kind"] == "double_softmax" and lines[0]["layer"] == "1"


def test_doctor_bad_directory(tmp_path, capsys):
    assert main(["doctor", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["doctor", str(tmp_path / "empty")]) == 2
    assert "not a complete glassgrad run directory" in capsys.readouterr().err

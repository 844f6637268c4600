"""The benchmark harness: the suites build the same models in both frameworks, each framework's
worker imports nothing of the other, and ``glassgrad bench --json`` writes the figures other
tools read."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import glassgrad
from glassgrad import nn, optim
from glassgrad.bench import harness, layers, tiny
from glassgrad.bench.workloads import WORKLOADS, make_step
from glassgrad.cli import main


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_workloads_match_between_frameworks(workload):
    ours = WORKLOADS[workload].glassgrad(glassgrad, nn, optim)
    theirs = WORKLOADS[workload].torch(torch, torch.nn, torch.optim)
    shapes = [tuple(p.shape) for p in ours[0].parameters()]
    assert shapes == [tuple(p.shape) for p in theirs[0].parameters()]
    assert tuple(ours[0](ours[3]).shape) == tuple(theirs[0](theirs[3]).shape)


def test_a_step_lowers_the_loss():
    step = make_step(glassgrad, nn, optim, "W_TINY")
    first = step().item()
    for _ in range(50):
        last = step().item()
    assert last < first


def test_raw_tiny_does_the_same_work_in_both_frameworks():
    ours = tiny.make_step(glassgrad, nn, optim)
    theirs = tiny.make_step(torch, torch.nn, torch.optim)
    for _ in range(3):
        np.testing.assert_allclose(ours().item(), theirs().item(), rtol=1e-5)


@pytest.mark.parametrize("case", ["pool1", "pool2"])
def test_layer_cases_do_the_same_work_in_both_frameworks(case):
    results = []
    for fw in (glassgrad, torch):
        layer, x, g = layers.build(fw, fw.nn, case)
        layer(x).backward(g)
        results.append(x.grad.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def _worker_imports(framework, env=None):
    """The worker's JSON result and the modules its process imported (``python -X importtime``)."""
    cmd = [sys.executable, "-X", "importtime", harness.WORKER, "--framework", framework, "--suite", "workloads",
           "--case", "W_TINY", "--warmup", "0", "--steps", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return json.loads(done.stdout.strip().splitlines()[-1]), modules


def test_the_torch_worker_imports_nothing_of_glassgrad_even_with_its_malloc_settings():
    result, modules = _worker_imports("torch", dict(os.environ, GLASSGRAD_BENCH_MALLOC="glassgrad"))
    assert result["malloc"] == "glassgrad" and result["ms"] > 0
    assert "torch" in modules
    assert not [m for m in modules if m == "glassgrad" or m.startswith("glassgrad.")]


def test_the_glassgrad_worker_imports_no_torch():
    result, modules = _worker_imports("glassgrad")
    assert "glassgrad" in modules and result["ms"] > 0
    assert not [m for m in modules if m == "torch" or m.startswith("torch.")]


def test_bench_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "W_TINY", "--repeats", "1", "--warmup", "1", "--steps", "2", "--threads", "1",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["threads"] == 1
    row = report["workloads"]["W_TINY"]
    assert set(row) == {"glassgrad_ms", "torch_ms", "ratio", "glassgrad_peak_rss_mb", "torch_peak_rss_mb"}
    assert row["ratio"] == pytest.approx(row["glassgrad_ms"] / row["torch_ms"])
    assert "W_TINY" in capsys.readouterr().out


def test_table_columns_stay_apart_for_big_figures():
    from glassgrad.bench.command import HEADER, _row
    r = {"glassgrad_ms": 64.045, "torch_ms": 2862.1, "ratio": 0.17, "gemm_lower_bound_ms": 1395.959,
         "glassgrad_peak_rss_mb": 76.0, "torch_peak_rss_mb": 366.0, "glassgrad_tokens_per_s": 18312.0,
         "torch_tokens_per_s": 716.0}
    line = _row("W_CNN", r)
    assert line.split() == ["W_CNN", "64.045", "2862.100", "0.17", "1395.959", "76", "366", "18312", "716"]
    assert len(line) == len(HEADER)


def test_bench_compiled_rows(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "W_TINY", "--compiled", "--repeats", "1", "--warmup", "3", "--steps", "2",
                 "--threads", "1", "--json", str(out)]) == 0
    row = json.loads(out.read_text())["compiled"]["W_TINY"]
    assert row["compiled_vs_eager"] == pytest.approx(row["compiled_ms"] / row["eager_ms"])
    assert row["compiled_vs_torch"] == pytest.approx(row["compiled_ms"] / row["torch_ms"])
    assert "glassgrad.compile" in capsys.readouterr().out

"""The benchmark harness: the workloads build the same models in both frameworks, and
``glassgrad bench --json`` writes the figures other tools read."""
import json

import pytest
import torch

import glassgrad
from glassgrad import nn, optim
from glassgrad.bench.workloads import WORKLOADS, make_step
from glassgrad.cli import main


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_workloads_match_between_frameworks(workload):
    ours = WORKLOADS[workload](glassgrad, nn, optim)
    theirs = WORKLOADS[workload](torch, torch.nn, torch.optim)
    shapes = [tuple(p.shape) for p in ours[0].parameters()]
    assert shapes == [tuple(p.shape) for p in theirs[0].parameters()]
    assert tuple(ours[0](ours[3]).shape) == tuple(theirs[0](theirs[3]).shape)


def test_a_step_lowers_the_loss():
    step = make_step(glassgrad, nn, optim, "W_TINY")
    first = step().item()
    for _ in range(50):
        last = step().item()
    assert last < first


def test_bench_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "W_TINY", "--repeats", "1", "--warmup", "1", "--steps", "2", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    row = report["workloads"]["W_TINY"]
    assert set(row) == {"glassgrad_ms", "torch_ms", "ratio", "glassgrad_peak_rss_mb", "torch_peak_rss_mb"}
    assert row["ratio"] == pytest.approx(row["glassgrad_ms"] / row["torch_ms"])
    assert "W_TINY" in capsys.readouterr().out

"""benchmarks/api_coverage.py: names are read from PyTorch and counted only when they resolve in
glassgrad under the same path."""
import importlib.util
import pathlib

import torch

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "api_coverage.py"
_spec = importlib.util.spec_from_file_location("api_coverage", _PATH)
api_coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_coverage)


def test_reference_names_come_from_torch():
    assert api_coverage.reference_names("torch.autograd.functional") == sorted(torch.autograd.functional.__all__)
    nn_names = api_coverage.reference_names("torch.nn")   # no __all__: public callables from dir()
    assert "Linear" in nn_names and "Module" in nn_names and "functional" not in nn_names
    everyday = api_coverage.reference_names("torch")
    assert "matmul" in everyday and "Tensor" in everyday
    assert not {"abs_", "cudnn_convolution", "FloatTensor", "parse_ir", "view_copy"} & set(everyday)


def test_a_present_name_counts_and_a_missing_one_does_not():
    names = {"torch.nn": ["Linear", "NoSuchLayer"], "torch.optim": ["SGD", "NoSuchOptimizer"]}
    report = api_coverage.measure(list(names), names_of=names.__getitem__)
    assert report["torch.nn"] == {"total": 2, "covered": 1, "missing": ["NoSuchLayer"]}
    assert report["torch.optim"] == {"total": 2, "covered": 1, "missing": ["NoSuchOptimizer"]}


def test_resolves_attributes_and_submodules():
    assert api_coverage.resolves("glassgrad.nn.functional.relu")
    assert api_coverage.resolves("glassgrad.nn.utils.rnn")
    assert not api_coverage.resolves("glassgrad.nn.no_such_module.relu")
    table = api_coverage.format_table(api_coverage.measure(["torch.autograd.functional"]))
    assert table.splitlines()[1].startswith("torch.autograd.functional")

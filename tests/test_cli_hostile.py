"""Hostile input to the ``glassgrad`` command gives one clear line on stderr and exit status 2 (never
a traceback, an out-of-memory kill or a silent wrong result), and is refused before any training."""
import json
import os
import stat
import struct
import subprocess
import sys

import numpy as np
import pytest

import glassgrad
from glassgrad import nn
from glassgrad.cli import main
from glassgrad.cli.optimizers import make_optimizer
from glassgrad.train import save_checkpoint


def _fails(argv, capsys, *fragments):
    assert main([str(a) for a in argv]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("glassgrad") and "Traceback" not in err, err
    for f in fragments:
        assert str(f) in err, err
    assert "training " not in captured.out  # refused before any training
    return err


@pytest.fixture
def csv_file(tmp_path):
    def make(text, name="t.csv", mode="w"):
        p = tmp_path / name
        (p.write_bytes if mode == "wb" else p.write_text)(text)
        return p
    return make


GOOD = "a,b,y\n" + "".join(f"{i},{i * 2 % 7},{i % 2}\n" for i in range(20))


# ---- --out -----------------------------------------------------------------------------------------

def test_out_that_is_not_a_regular_file_is_refused_before_training(tmp_path, capsys):
    digits = ["train", "--dataset", "digits", "--epochs", "1", "--out"]
    _fails(digits + [tmp_path], capsys, "--out", "is a directory")
    target = tmp_path / "real.safetensors"
    target.write_bytes(b"keep")
    (tmp_path / "link.safetensors").symlink_to(target)
    _fails(digits + [tmp_path / "link.safetensors"], capsys, "--out", "is a symbolic link")
    assert target.read_bytes() == b"keep"
    os.mkfifo(tmp_path / "fifo")
    _fails(digits + [tmp_path / "fifo"], capsys, "--out", "is a FIFO")
    _fails(digits + ["/dev/null"], capsys, "--out /dev/null is a device file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    ro = tmp_path / "ro.safetensors"
    ro.write_bytes(b"old")
    ro.chmod(0o444)
    _fails(digits + [ro], capsys, "--out", "is write-protected")
    assert ro.read_bytes() == b"old"
    _fails(digits + [tmp_path / "missing" / "m.safetensors"], capsys, "--out", "does not exist")
    _fails(digits + [tmp_path / "real.safetensors" / "m.safetensors"], capsys, "--out", "Not a directory")
    (tmp_path / "m-interrupted.safetensors").mkdir()
    _fails(digits + [tmp_path / "m.safetensors"], capsys, "--out (its Ctrl-C checkpoint)", "is a directory")


def test_unwritable_out_folder_is_refused_before_training(tmp_path, capsys, monkeypatch):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if os.fspath(p) == str(tmp_path) else real(p, mode))
    _fails(["train", "--dataset", "digits", "--out", tmp_path / "m.safetensors"], capsys, "--out",
           f"the folder {tmp_path} is not writable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_unwritable_out_folder_for_real(tmp_path, capsys):
    tmp_path.chmod(0o555)
    try:
        _fails(["train", "--dataset", "digits", "--out", tmp_path / "m.safetensors"], capsys, "is not writable")
    finally:
        tmp_path.chmod(0o755)


# ---- arguments --------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag, value, message", [
    ("--seed", "-1", "argument --seed: must be an integer from 0 to 2**63-1, got -1"),
    ("--seed", str(2 ** 64), "argument --seed: must be an integer from 0 to 2**63-1"),
    ("--lr", "inf", "argument --lr: must be a finite positive number, got inf"),
    ("--lr", "nan", "argument --lr: must be a finite positive number, got nan"),
    ("--lr=-1e-3", None, "argument --lr: must be a finite positive number, got -1e-3"),
    ("--momentum", "nan", "argument --momentum: must be a finite number >= 0, got nan"),
    ("--weight-decay=-inf", None, "argument --weight-decay: must be a finite number >= 0, got -inf"),
    ("--weight-decay", "-inf", "argument --weight-decay: expected one argument"),
    ("--batch-size", "0", "argument --batch-size: must be a positive integer, got 0"),
])
def test_bad_numbers_name_the_flag(flag, value, message, capsys):
    _fails(["train", "--dataset", "digits", flag] + ([value] if value is not None else []), capsys, message)


def test_explicit_optimizer_settings_are_used_as_given():
    params = [nn.Parameter(glassgrad.zeros(2))]
    assert make_optimizer("rmsprop", params, momentum=0.9).param_groups[0]["momentum"] == 0.9
    assert make_optimizer("rmsprop", params).param_groups[0]["momentum"] == 0.0     # PyTorch's default
    assert make_optimizer("adamw", params, weight_decay=0.0).param_groups[0]["weight_decay"] == 0.0
    assert make_optimizer("adamw", params).param_groups[0]["weight_decay"] == 1e-2  # PyTorch's default
    assert make_optimizer("sgd", params, lr=0.5, momentum=0.0).param_groups[0]["momentum"] == 0.0


def test_a_setting_the_optimizer_does_not_take_is_refused(capsys):
    _fails(["train", "--dataset", "digits", "--optimizer", "adam", "--momentum", "0.5"], capsys,
           "--momentum does not apply to --optimizer adam")


def test_a_diverging_run_exits_2_and_keeps_no_nan_checkpoint(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", "digits", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e30",
                 "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "training diverged: the training loss is nan" in err and "--lr" in err
    assert not out.exists()


# ---- data -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, fragments", [
    (GOOD + "1,2,1e9\n", ["row 22", "class label 1e9 is beyond the limit of 100000 classes"]),
    (GOOD.replace("3,6,1", "3,nan,1"), ["row 5, column 'b': 'nan' is not a finite float32 number"]),
    (GOOD.replace("3,6,1", "inf,6,1"), ["row 5, column 'a': 'inf' is not a finite float32 number"]),
    (GOOD.replace("3,6,1", "3,1e39,1"), ["row 5, column 'b': '1e39' is not a finite float32 number"]),
    ("y\n" + "".join(f"{i % 2}\n" for i in range(20)), ["has 1 column", "at least one feature column"]),
    (GOOD.replace("3,6,1", "3,6,inf"), ["class labels in column 'y' must be non-negative integers"]),
])
def test_hostile_csv_is_refused_naming_file_row_and_column(text, fragments, csv_file, capsys):
    p = csv_file(text)
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, str(p), *fragments)


def test_non_utf8_and_binary_csv_name_the_file(csv_file, capsys):
    p = csv_file("name,x,y\ncaf\xe9,1,0\n".encode("latin-1"), "latin1.csv", "wb")
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, str(p), "not utf-8 text (byte 0xe9")
    p = csv_file(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(), "bin.csv", "wb")
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, str(p), "not utf-8 text")
    p = csv_file(b"a,b,y\n1,\x00,0\n2,3,1\n", "nul.csv", "wb")
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, str(p))


def test_too_many_text_classes_are_refused(csv_file, capsys, monkeypatch):
    from glassgrad.data import CSVDataset
    monkeypatch.setattr(CSVDataset, "MAX_CLASSES", 5)
    p = csv_file("x,y\n" + "".join(f"{i},c{i}\n" for i in range(6)))
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, "6 distinct labels, more than the limit of 5")


def test_permission_errors_are_one_line(csv_file, capsys, monkeypatch, tmp_path):
    p = csv_file(GOOD)
    real = os.access
    monkeypatch.setattr(os, "access", lambda q, mode: False if os.fspath(q) == str(p) else real(q, mode))
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, f"--data-dir {p} is not readable")
    monkeypatch.setattr(os, "access", real)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(p))
    import glassgrad.data as D
    monkeypatch.setattr(D, "CSVDataset", denied)
    _fails(["train", "--dataset", "csv", "--data-dir", p], capsys, f"glassgrad: error: {p}: Permission denied")
    ck = tmp_path / "ck.safetensors"
    ck.write_bytes(b"x")
    monkeypatch.setattr("builtins.open", denied)
    _fails(["evaluate", ck], capsys, "Permission denied")


# ---- checkpoints ---------------------------------------------------------------------------------------

def _checkpoint(path, model_spec, **extra):
    model = nn.Sequential(nn.Linear(2, 2))
    save_checkpoint(path, model, extra={"dataset": "digits", "model": model_spec, **extra})
    return path


@pytest.mark.parametrize("spec, message", [
    ("mlp", "the model description must be a dict"),
    ({"name": "mlp", "input_shape": [], "num_classes": 10}, "input_shape must be a list of 1 to 4 sizes"),
    ({"name": "mlp", "input_shape": [0], "num_classes": 10}, "input_shape must be a list of 1 to 4 sizes"),
    ({"name": "mlp", "input_shape": ["64"], "num_classes": 10}, "input_shape must be a list of 1 to 4 sizes"),
    ({"name": "cnn", "input_shape": [1, 8], "num_classes": 10}, "the cnn model needs square images"),
    ({"name": "mlp", "input_shape": [64], "num_classes": 10, "hidden": [200000, 200000]},
     f"the model would have {65 * 200000 + 200001 * 200000 + 200001 * 10:,} parameters"),
    ({"name": "mlp", "input_shape": [64], "num_classes": 10 ** 9}, "num_classes must be an integer from 1 to 100000"),
    ({"name": "mlp", "input_shape": [64], "num_classes": 10, "hidden": [-5]}, "hidden must be a list"),
    ({"name": "rnn", "input_shape": [64], "num_classes": 10}, "unknown model 'rnn'"),
])
def test_hostile_model_descriptions_are_refused_before_allocating(spec, message, tmp_path, capsys):
    path = _checkpoint(tmp_path / "ck.safetensors", spec)
    err = _fails(["evaluate", path], capsys, str(path), "invalid model description", message)
    if isinstance(spec, dict) and spec.get("hidden") == [200000, 200000]:
        assert "more than the limit of 100,000,000" in err


def _raw_file(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("header, data, message", [
    ({"w": {"dtype": "F32", "shape": [2 ** 64], "data_offsets": [0, 8]}}, b"\0" * 8, "needs 73786976294838206464 bytes"),
    ({"w": {"dtype": "F32", "shape": [2 ** 32, 2 ** 32], "data_offsets": [0, 0]}}, b"", "needs 73786976294838206464 bytes"),
    ({"w": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4, "invalid shape"),
    ({"w": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}}, b"\0" * 4, "invalid shape"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2 ** 70]}}, b"\0" * 4, "ends at byte"),
    ({"w": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "unknown dtype"),
])
def test_hostile_tensor_headers_are_refused(header, data, message, tmp_path, capsys):
    p = tmp_path / "ck.safetensors"
    p.write_bytes(_raw_file(header, data))
    _fails(["evaluate", p], capsys, str(p), "not a valid safetensors file", message)


def test_deeply_nested_headers_are_refused(tmp_path, capsys):
    p = tmp_path / "deep.safetensors"
    deep = "[" * 100_000 + "]" * 100_000
    text = ('{"w": {"dtype": "F32", "shape": ' + deep + ', "data_offsets": [0, 0]}}').encode()
    p.write_bytes(struct.pack("<Q", len(text)) + text)
    _fails(["evaluate", p], capsys, str(p), "nests deeper than 64 levels")
    q = tmp_path / "deep-meta.safetensors"
    save_checkpoint(q, nn.Linear(2, 2), extra={"dataset": "digits"})
    from glassgrad.io import load_file_with_metadata, save_file
    tensors, meta = load_file_with_metadata(q)
    save_file(tensors, q, metadata=dict(meta, extra="[" * 200 + "]" * 200))
    _fails(["evaluate", q], capsys, str(q), "nests")


def test_hostile_checkpoint_metadata_is_refused(tmp_path, capsys):
    from glassgrad.io import load_file_with_metadata, save_file
    q = _checkpoint(tmp_path / "ck.safetensors", {"name": "mlp", "input_shape": [64], "num_classes": 10})
    tensors, meta = load_file_with_metadata(q)
    for key, value, message in [("epoch", "-1", "'epoch' must be a non-negative integer"),
                                ("epoch", '"x"', "'epoch' must be a non-negative integer"),
                                ("extra", '{"dataset": "digits", "model": {"__tensor__": [1], "dtype": "V9999"}}',
                                 "dtype 'V9999'"),
                                ("extra", '{"dataset": "digits", "model": {"__tensor__": [1], "dtype": "float32", '
                                          '"shape": [2]}}', "holds 1 values"),
                                ("extra", "{", "corrupt checkpoint metadata 'extra'")]:
        save_file(tensors, q, metadata=dict(meta, **{key: value}))
        _fails(["evaluate", q], capsys, str(q), message)


def test_hostile_resume_settings_are_refused(tmp_path, capsys):
    q = tmp_path / "ck.safetensors"
    good = {"dataset": "digits", "epochs": 2}
    for settings, message in [({"dataset": "imagenet"}, "dataset = 'imagenet' is out of range"),
                              (dict(good, batch_size=0), "batch_size = '0' is out of range"),
                              (dict(good, lr=float("inf")), "lr"),
                              (dict(good, shell="rm -rf"), "unknown setting 'shell'"),
                              ("digits", "not a JSON object")]:
        _checkpoint(q, {"name": "mlp", "input_shape": [64], "num_classes": 10}, settings=settings,
                    out=str(tmp_path / "o.safetensors"))
        _fails(["train", "--resume", q], capsys, str(q), message)
    _fails(["train", "--resume", tmp_path / "none.safetensors"], capsys, "--resume", "does not exist")
    plain = tmp_path / "plain.safetensors"
    save_checkpoint(plain, nn.Linear(2, 2))
    _fails(["train", "--resume", plain], capsys, "does not record the settings of its run")


def test_resume_refuses_changed_settings(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", "digits", "--epochs", "1", "--schedule", "cosine", "--out", str(out),
                 "--quiet"]) == 0
    capsys.readouterr()
    _fails(["train", "--resume", out, "--lr", "0.5"], capsys, "--lr 0.5 differs from the run being resumed")
    _fails(["train", "--resume", out, "--epochs", "3"], capsys, "its cosine schedule depends on the number of epochs")


# ---- the fused optimizer ---------------------------------------------------------------------------------

def test_fused_adam_runs_when_no_cache_folder_is_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(blocker / "cache"), NUMBA_CACHE_LOCATOR_CLASSES="UserProvidedCacheLocator")
    code = ("import numpy as np, glassgrad\nfrom glassgrad import optim\nfrom glassgrad.optim import _fused\n"
            "p = glassgrad.nn.Parameter(glassgrad.ones(1000))\nopt = optim.Adam([p], lr=0.1)\n"
            "for _ in range(3):\n    p.grad = glassgrad.ones(1000)\n    opt.step()\n"
            "assert _fused._kernels['adam'] is not None\nprint(float(p.detach().numpy()[0]))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert abs(float(done.stdout) - 0.7) < 1e-5   # three Adam steps of lr 0.1 on a constant gradient

"""How checkpoint files are written: permissions under the umask, temporary files of our own naming
cleaned up after a killed save, destinations that are not regular files refused, the final
checkpoint of ``glassgrad train`` keeping the scheduler, and model descriptions checked without
building the model."""
import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from glassgrad import nn
from glassgrad.io import load_file, read_metadata, save_file
from glassgrad.io.safetensors import remove_stale_temp_files
from glassgrad.train import build_model, count_parameters, model_config


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_permissions_the_umask_allows(tmp_path, umask, mask, mode):
    umask(mask)
    save_file({"a": np.ones(2)}, tmp_path / "f.safetensors")
    assert stat.S_IMODE(os.stat(tmp_path / "f.safetensors").st_mode) == mode


def test_a_replaced_file_keeps_its_permissions(tmp_path, umask):
    p = tmp_path / "f.safetensors"
    save_file({"a": np.ones(2)}, p)
    p.chmod(0o640)
    save_file({"a": np.zeros(2)}, p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640 and load_file(p)["a"].tolist() == [0.0, 0.0]


def _dead_pid():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_temp_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    p = tmp_path / "ck.safetensors"
    dead = tmp_path / f".ck.safetensors.glassgrad-{_dead_pid()}-0123456789abcdef.tmp"
    live = tmp_path / f".ck.safetensors.glassgrad-{os.getppid()}-0123456789abcdef.tmp"  # a running writer
    other = tmp_path / ".ck.safetensors.abcdefgh.tmp"       # not of our naming: left alone
    theirs = tmp_path / f".other.safetensors.glassgrad-{_dead_pid()}-0123456789abcdef.tmp"  # another file's
    for f in (dead, live, other, theirs):
        f.write_bytes(b"partial")
    save_file({"a": np.ones(2)}, p)
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(["ck.safetensors", live.name, other.name, theirs.name])
    assert remove_stale_temp_files(tmp_path / "other.safetensors") == [str(theirs)]


def test_a_save_killed_midway_leaves_the_old_file_and_a_temp_file_of_ours(tmp_path):
    p = tmp_path / "ck.safetensors"
    save_file({"a": np.ones(4)}, p)
    code = (f"import os, numpy as np\nfrom glassgrad.io import safetensors as s\n"
            f"real = os.replace\nos.replace = lambda *a: os._exit(9)\n"   # dies between writing and renaming
            f"s.save_file({{'a': np.zeros(4)}}, {str(p)!r})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    temps = [f.name for f in tmp_path.iterdir() if f.name != "ck.safetensors"]
    assert len(temps) == 1 and temps[0].startswith(".ck.safetensors.glassgrad-") and temps[0].endswith(".tmp")
    assert load_file(p)["a"].tolist() == [1.0] * 4
    save_file({"a": np.zeros(4)}, p)
    assert [f.name for f in tmp_path.iterdir()] == ["ck.safetensors"]


def test_save_file_refuses_what_is_not_a_regular_file(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save_file({"a": np.ones(1)}, tmp_path / "d")
    target = tmp_path / "t"
    target.write_bytes(b"keep")
    (tmp_path / "l").symlink_to(target)
    with pytest.raises(ValueError, match="is a symbolic link"):
        save_file({"a": np.ones(1)}, tmp_path / "l")
    os.mkfifo(tmp_path / "f")
    with pytest.raises(ValueError, match="is a FIFO"):
        save_file({"a": np.ones(1)}, tmp_path / "f")
    with pytest.raises(ValueError, match="/dev/null is a device file"):
        save_file({"a": np.ones(1)}, "/dev/null")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="write-protected"):
        save_file({"a": np.ones(1)}, target)
    assert target.read_bytes() == b"keep" and os.path.islink(tmp_path / "l")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["d", "f", "l", "t"]  # no temp files left


def test_write_errors_name_the_destination_not_the_temp_file(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(28, "No space left on device", "/x/.ck.glassgrad-1-0.tmp")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as e:
        save_file({"a": np.ones(1)}, tmp_path / "ck.safetensors")
    assert f"cannot write {tmp_path / 'ck.safetensors'}: No space left on device" in str(e.value)
    assert ".tmp" not in str(e.value) and e.value.errno == 28
    assert list(tmp_path.iterdir()) == []


def test_the_final_checkpoint_keeps_the_scheduler(tmp_path, capsys):
    from glassgrad.cli import main
    out = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", "digits", "--epochs", "2", "--schedule", "cosine", "--out", str(out),
                 "--quiet"]) == 0
    meta = read_metadata(out)
    scheduler = json.loads(meta["scheduler"])
    assert scheduler["class"] == "CosineAnnealingLR" and scheduler["state"]["last_epoch"] == 2 * 12  # 2 epochs of 12 batches of 128
    assert json.loads(meta["epoch"]) == 2 and "test_accuracy" in json.loads(meta["extra"])


@pytest.mark.parametrize("args", [("mlp", [64], 10, None), ("mlp", [1, 28, 28], 10, [300, 100, 50]),
                                  ("cnn", [1, 28, 28], 10, None), ("cnn", [3, 32, 32], 7, None)])
def test_count_parameters_equals_the_built_model(args):
    config = model_config(*args)
    assert count_parameters(config) == sum(p.numel() for p in build_model(config).parameters())
    assert isinstance(build_model(config), nn.Module)

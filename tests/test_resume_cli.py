"""``glassgrad train --resume``: a run stopped cleanly, killed with SIGKILL or interrupted with Ctrl-C
and then resumed ends with bit for bit the weights and optimizer state of a run that never stopped,
with one glassgrad thread and with the default number. Each run is a real ``glassgrad`` process."""
import os
import signal
import subprocess
import sys
import time

import pytest

from glassgrad.io import read_metadata
from checkpoint_state import assert_same_checkpoint

EPOCHS = 3
RUN = ["train", "--dataset", "digits", "--batch-size", "64", "--optimizer", "adam", "--lr", "2e-3", "--seed", "5",
       "--quiet"]


def _env(threads):
    env = dict(os.environ)
    env.pop("GLASSGRAD_NUM_THREADS", None)
    if threads is not None:
        env["GLASSGRAD_NUM_THREADS"] = str(threads)
    return env


def _glassgrad(args, threads, **kw):
    return subprocess.Popen([sys.executable, "-m", "glassgrad.cli", *args], env=_env(threads),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _finish(proc, timeout=240):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _train(args, threads):
    code, out, err = _finish(_glassgrad(args, threads))
    assert code == 0, err
    return out


def _wait_for(path, proc, timeout=120):
    start = time.monotonic()
    while not os.path.exists(path):
        assert proc.poll() is None, f"the run ended before writing {path}: {proc.communicate()}"
        assert time.monotonic() - start < timeout
        time.sleep(0.002)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted runs, one per thread setting, made once."""
    made = {}

    def get(threads):
        if threads not in made:
            path = tmp_path_factory.mktemp("reference") / "straight.safetensors"
            _train(RUN + ["--epochs", str(EPOCHS), "--out", str(path)], threads)
            made[threads] = path
        return made[threads]
    return get


THREADS = [pytest.param(1, id="1-thread"), pytest.param(None, id="default-threads")]


@pytest.mark.parametrize("threads", THREADS)
def test_clean_stop_then_resume(tmp_path, reference, threads):
    out = tmp_path / "run.safetensors"
    _train(RUN + ["--epochs", "1", "--out", str(out)], threads)
    text = _train(["train", "--resume", str(out), "--epochs", str(EPOCHS), "--quiet"], threads)
    assert "resuming after epoch 1" in text
    assert_same_checkpoint(out, reference(threads))


@pytest.mark.parametrize("threads", THREADS)
def test_kill_9_then_resume(tmp_path, reference, threads):
    out = tmp_path / "run.safetensors"
    proc = _glassgrad(RUN + ["--epochs", str(EPOCHS), "--out", str(out)], threads)
    _wait_for(out, proc)  # the first per-epoch checkpoint is there (written whole, then renamed)
    proc.send_signal(signal.SIGKILL)
    code, _, _ = _finish(proc)
    assert code == -signal.SIGKILL
    epoch = int(read_metadata(out)["epoch"])
    assert 1 <= epoch < EPOCHS
    _train(["train", "--resume", str(out), "--quiet"], threads)
    assert_same_checkpoint(out, reference(threads))
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]  # a killed save's temp file is cleaned up


@pytest.mark.parametrize("threads", THREADS)
def test_ctrl_c_then_resume(tmp_path, reference, threads):
    out = tmp_path / "run.safetensors"
    interrupted = tmp_path / "run-interrupted.safetensors"
    proc = _glassgrad(RUN + ["--epochs", str(EPOCHS), "--out", str(out)], threads)
    _wait_for(out, proc)
    proc.send_signal(signal.SIGINT)
    code, text, err = _finish(proc)
    assert code == 130, err
    assert f"the run so far is saved to {interrupted}" in text and "Traceback" not in err
    clean, stopped = read_metadata(out), read_metadata(interrupted)
    assert "position" not in clean                       # the clean per-epoch checkpoint is left as it was
    assert int(stopped["epoch"]) >= int(clean["epoch"]) and "position" in stopped
    _train(["train", "--resume", str(interrupted), "--quiet"], threads)
    assert_same_checkpoint(out, reference(threads))
    assert not interrupted.exists()  # the finished run supersedes its Ctrl-C checkpoint

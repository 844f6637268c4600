"""Ctrl-C in an application recipe: the run stops at the end of a batch, saves itself mid-epoch to
``<stem>-interrupted<suffix>``, and ``glassgrad train --resume`` of that file ends with bit for bit
the weights and optimizer state of the run that never stopped."""
import os
import signal

import numpy as np
import pytest

from glassgrad import nn
from glassgrad.cli import main
from glassgrad.io import read_metadata
from glassgrad.train.recipes import regression, text
from checkpoint_state import assert_same_checkpoint

pytest.importorskip("sklearn")


def _stop_at(monkeypatch, cls, method, call, action):
    """Patch ``cls.method`` so that its ``call``-th call (1-based) first does ``action()``."""
    original, calls = getattr(cls, method), [0]

    def patched(self, *args, **kw):
        calls[0] += 1
        if calls[0] == call:
            action()
        return original(self, *args, **kw)
    monkeypatch.setattr(cls, method, patched)


def _raise():
    raise KeyboardInterrupt


# diabetes: 353 training patients in batches of 32 = 12 batches an epoch
RUN = ["train", "--dataset", "diabetes", "--batch-size", "32", "--epochs", "3", "--quiet"]


def test_keyboard_interrupt_mid_epoch_then_resume(tmp_path, monkeypatch, capsys):
    straight, out = tmp_path / "straight.safetensors", tmp_path / "run.safetensors"
    interrupted = tmp_path / "run-interrupted.safetensors"
    assert main(RUN + ["--out", str(straight)]) == 0
    with monkeypatch.context() as m:
        # raised in the forward pass of the 17th batch: the run stands after 16 (epoch 2, batch 4)
        _stop_at(m, nn.MSELoss, "forward", 17, _raise)
        assert main(RUN + ["--out", str(out)]) == 130
    printed = capsys.readouterr().out
    assert f"the run so far is saved to {interrupted}" in printed and f"--resume {interrupted}" in printed
    meta = read_metadata(interrupted)
    assert not out.exists() and meta["epoch"] == "1" and '"batch":4' in meta["position"]
    assert main(["train", "--resume", str(interrupted), "--quiet"]) == 0
    assert "test MSE" in capsys.readouterr().out
    assert_same_checkpoint(out, straight)
    assert not interrupted.exists()  # the finished run supersedes its Ctrl-C checkpoint


def test_interrupt_inside_the_optimizer_step_saves_nothing(tmp_path, monkeypatch, capsys):
    from glassgrad import optim
    out = tmp_path / "run.safetensors"
    _stop_at(monkeypatch, optim.Adam, "step", 5, _raise)
    assert main(RUN + ["--out", str(out)]) == 130
    assert "no mid-epoch checkpoint" in capsys.readouterr().out
    assert not os.path.exists(tmp_path / "run-interrupted.safetensors")


def test_sigint_finishes_the_batch_then_resume_matches(sample_dir, tmp_path, monkeypatch):
    data = sample_dir / "sms-spam-collection"
    straight, out = tmp_path / "straight.safetensors", tmp_path / "run.safetensors"
    _, _, done = text.train(data, epochs=2, lr=1e-3, batch_size=32, verbose=False, out=straight)
    assert "test_accuracy" in done
    monkeypatch.setattr(signal, "getsignal", lambda sig: signal.default_int_handler)  # as outside pytest
    with monkeypatch.context() as m:
        # Ctrl-C arrives during the forward pass of batch 3: that batch still completes
        _stop_at(m, nn.Linear, "forward", 5, lambda: os.kill(os.getpid(), signal.SIGINT))
        _, _, result = text.train(data, epochs=2, lr=1e-3, batch_size=32, verbose=False, out=out)
    assert result["interrupted"] and result["checkpoint"] == str(tmp_path / "run-interrupted.safetensors")
    position = read_metadata(result["checkpoint"])["position"]
    assert '"epoch":0' in position and '"batch":3' in position
    _, _, resumed = text.train(data, epochs=2, lr=1e-3, batch_size=32, verbose=False, out=out,
                               resume=result["checkpoint"])
    assert resumed["test_accuracy"] == done["test_accuracy"]
    assert_same_checkpoint(out, straight)


def test_resuming_a_mid_epoch_checkpoint_into_fewer_epochs_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "run.safetensors"
    _stop_at(monkeypatch, nn.MSELoss, "forward", 3, _raise)
    _, _, result = regression.train(None, epochs=2, lr=1e-2, batch_size=32, verbose=False, out=out)
    monkeypatch.undo()
    with pytest.raises(ValueError, match="holds 0 epochs and part of the next"):
        regression.train(None, epochs=0, lr=1e-2, batch_size=32, verbose=False, out=out, resume=result["checkpoint"])


def test_the_shared_loop_puts_back_what_a_partial_batch_drew(tmp_path):
    """A KeyboardInterrupt after a forward pass whose dropout drew from the default generator: the
    checkpoint holds the stream as the last completed batch left it, so the resumed run matches."""
    import glassgrad
    from glassgrad import optim
    from glassgrad.train import load_checkpoint, save_checkpoint
    from glassgrad.train.recipes.loop import train_epochs
    x = np.random.default_rng(1).standard_normal((40, 4)).astype(np.float32)
    y = x[:, :1] * 2 - x[:, 1:2]

    def build():
        glassgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
        return model, optim.Adam(model.parameters(), lr=1e-2)

    def run(model, opt, loss_fn=nn.MSELoss(), **kw):
        train_epochs(model, opt, loss_fn, x, y, 3, 8, seed=3, verbose=False, **kw)  # 5 batches an epoch

    straight = build()
    run(*straight)
    calls, saved = [0], tmp_path / "stopped.safetensors"

    def loss_then_stop(out, target):  # the 8th batch's forward pass (dropout drew) completes, then Ctrl-C
        calls[0] += 1
        loss = nn.functional.mse_loss(out, target)
        if calls[0] == 8:
            raise KeyboardInterrupt
        return loss
    model, opt = build()
    with pytest.raises(KeyboardInterrupt):
        run(model, opt, loss_then_stop,
            on_interrupt=lambda where, _: save_checkpoint(saved, model, opt, epoch=where["epoch"], position=where))
    model, opt = build()
    info = load_checkpoint(saved, model, opt)
    assert (info["epoch"], info["position"]["batch"]) == (1, 2)
    run(model, opt, position=info["position"])
    for (name, a), (_, b) in zip(straight[0].state_dict().items(), model.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)

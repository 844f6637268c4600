"""The application recipes (L_TEXT, L_SPEECH, L_REGRESSION) on the committed samples, through the
``glassgrad`` command: train, checkpoint, predict."""
import io

import numpy as np
import pytest

from glassgrad.cli import main
from glassgrad.data.fsdd import wav_features
from glassgrad.train import load_checkpoint
from glassgrad.train.recipes import regression, speech, text
from glassgrad.train.recipes.loop import predict_arrays

pytest.importorskip("sklearn")


def test_text_recipe_beats_majority_and_predicts(sample_dir, tmp_path, capsys):
    out = tmp_path / "spam.safetensors"
    assert main(["train", "--dataset", "sms-spam", "--data-dir", str(sample_dir / "sms-spam-collection"),
                 "--epochs", "8", "--quiet", "--out", str(out)]) == 0
    accuracy = float(capsys.readouterr().out.split("test accuracy ")[1].split("%")[0]) / 100
    vocab, _, (xte, yte) = text.prepare(sample_dir / "sms-spam-collection")
    majority = max(yte.mean(), 1 - yte.mean())
    assert accuracy > majority + 0.03  # learned something beyond "always ham"
    assert main(["predict", str(out), "--text", "URGENT! You have WON a free prize, call now to claim"]) == 0
    label_line = capsys.readouterr().out
    model, vocab2 = text.load_for_predict(load_checkpoint(out, restore_rng=False)["extra"])
    load_checkpoint(out, model, restore_rng=False)
    assert vocab2.tokens == vocab.tokens
    expected = text.predict_text(model, vocab2, "URGENT! You have WON a free prize, call now to claim")
    assert label_line.strip() == f"{expected[0]} (probability {expected[1]:.3f})"


def test_speech_recipe_trains_and_predicts_a_wav(sample_dir, tmp_path, capsys):
    out = tmp_path / "digits.safetensors"
    model, opt, result = speech.train(sample_dir / "fsdd", epochs=1, lr=1e-3, batch_size=10, verbose=False)
    assert result["extra"]["model"] == {"name": "logmel-cnn", "n_mels": 40, "frames": 65}
    assert main(["train", "--dataset", "fsdd", "--data-dir", str(sample_dir / "fsdd"), "--epochs", "2",
                 "--batch-size", "10", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    wav = sample_dir / "fsdd" / "recordings" / "7_theo_0.wav"
    assert main(["predict", str(out), str(wav)]) == 0
    printed = capsys.readouterr().out.strip()
    extra = load_checkpoint(out, restore_rng=False)["extra"]
    model = speech.build_model()
    load_checkpoint(out, model, restore_rng=False)
    x = (wav_features(wav) - extra["feature_mean"]) / extra["feature_std"]
    logits = predict_arrays(model, x[None, None].astype(np.float32))[0]
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert printed == f"{int(p.argmax())} (probability {p.max():.3f})"
    assert main(["predict", str(out), "--text", "hi"]) == 2
    assert "give a WAV file" in capsys.readouterr().err


def test_regression_recipe_against_ridge_and_the_mean():
    _, _, result = regression.train(None, **regression.DEFAULTS, verbose=False)
    ridge = result["ridge"]
    (xtr, ytr), (xte, yte) = regression.prepare()
    from sklearn.linear_model import Ridge
    expected = Ridge(alpha=regression.RIDGE_ALPHA).fit(xtr, ytr.ravel()).predict(xte)
    assert ridge["mse"] == pytest.approx(np.mean((expected - yte.ravel()) ** 2))
    # the MLP explains about half the variance, as a linear model does on this data (R2 0.51 and 0.52)
    assert result["r2"] > 0.45 and abs(result["mse"] - ridge["mse"]) < 0.05 * ridge["mse"]
    assert abs(xtr.mean()) < 1e-6 and abs(ytr.std() - 1) < 1e-5  # standardized on the training split


def test_regression_hyperparameters_come_from_the_validation_split(monkeypatch):
    from glassgrad.train.recipes import regression_tuning
    calls = []
    prepare = regression.prepare
    monkeypatch.setattr(regression, "prepare", lambda validation=False: calls.append(validation) or prepare(validation))
    rows = regression_tuning.tune_mlp({"hidden": (regression.HIDDEN,), "lr": (regression.DEFAULTS["lr"],),
                                       "weight_decay": (regression.WEIGHT_DECAY,), "epochs": (50, 100)})
    assert calls and all(calls)  # only the validation split was read, never the test split
    assert [r[0] for r in rows] == sorted(r[0] for r in rows) and len(rows) == 2
    # the recipe's epochs are the better of these on the validation split (the full grid chose them)
    assert rows[0][1]["epochs"] == regression.DEFAULTS["epochs"]
    (fit, val), (xtr, _) = prepare(validation=True), prepare()[0]
    assert len(fit[0]) + len(val[0]) == len(xtr) and abs(fit[0].mean()) < 1e-6
    assert regression_tuning.tune_ridge()[0][1] == regression.RIDGE_ALPHA
    # the ensemble stage retrains the best rows from seeds 0..members-1: one member is the row itself
    again = regression_tuning.tune_ensembles(rows, top=1, members=1)
    assert again == [(rows[0][0], rows[0][1])] and all(calls)


def test_regression_metrics_closed_form():
    m = regression.regression_metrics([1.0, 2.0, 4.0], [1.0, 3.0, 2.0])
    assert m["mse"] == pytest.approx(5 / 3) and m["mae"] == pytest.approx(1.0)
    assert m["r2"] == pytest.approx(1 - 5 / 2)


def test_recipe_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["train", "--dataset", "sms-spam", "--data-dir", str(tmp_path / "none"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none does not exist" in err
    assert main(["train", "--dataset", "fsdd", "--quiet"]) == 2
    assert "--data-dir is required" in capsys.readouterr().err
    assert main(["train", "--dataset", "fsdd", "--model", "bow-mlp", "--data-dir", "x"]) == 2
    assert "trains the logmel-cnn model" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.safetensors"), "--text", "x"]) == 2
    assert "missing.safetensors does not exist" in capsys.readouterr().err


def test_recipe_resume_continues_like_the_run_that_never_stopped(tmp_path, capsys):
    straight, part = tmp_path / "straight.safetensors", tmp_path / "part.safetensors"
    assert main(["train", "--dataset", "diabetes", "--epochs", "100", "--quiet", "--out", str(straight)]) == 0
    assert main(["train", "--dataset", "diabetes", "--epochs", "60", "--quiet", "--out", str(part)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(part), "--epochs", "100", "--quiet"]) == 0
    assert "test MSE" in capsys.readouterr().out
    a, b = load_checkpoint(straight, restore_rng=False), load_checkpoint(part, restore_rng=False)
    assert a["epoch"] == b["epoch"] == 100
    assert a["extra"]["mse"] == b["extra"]["mse"]  # the same weights, bit for bit
    wa, wb = regression.build_model(), regression.build_model()
    load_checkpoint(straight, wa, restore_rng=False)
    load_checkpoint(part, wb, restore_rng=False)
    for (name, x), (_, y) in zip(wa.state_dict().items(), wb.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)
    # a resumed run keeps its settings; a file that is not a recipe run's says so in one line
    assert main(["train", "--resume", str(part), "--lr", "0.5"]) == 2
    assert "differs from the run being resumed" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(part.read_bytes()[:64])
    assert main(["train", "--resume", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "corrupt.safetensors" in err


def test_recipe_progress_is_live_on_a_terminal_and_brief_otherwise(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    regression.train(None, epochs=100, lr=3e-3, batch_size=512, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(epochs) == 10 and epochs[-1].startswith("epoch 100/100 - loss")  # no bar, ten lines
    assert all("samples/s" in line for line in epochs) and not any("\r" in line for line in lines)

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    regression.train(None, epochs=2, lr=3e-3, batch_size=32, verbose=True)
    shown = screen.getvalue()
    assert "\r" in shown and "epoch 2/2" in shown and "samples/s" in shown and "loss" in shown


@pytest.mark.parametrize("dataset,content", [("sms-spam", b"ham\tok\nnot a label line\n"),
                                             ("tinyshakespeare", b"\xff\xfe bad bytes" * 10),
                                             ("fsdd", b"RIFF....WAVEjunk")])
def test_recipe_corrupt_data_is_one_line_naming_the_file(sample_dir, tmp_path, capsys, dataset, content):
    name = {"sms-spam": "SMSSpamCollection", "tinyshakespeare": "input.txt", "fsdd": "0_jackson_6.wav"}[dataset]
    if dataset == "fsdd":  # among good recordings of both splits
        for good in ("0_jackson_0.wav", "0_jackson_5.wav"):
            (tmp_path / good).write_bytes((sample_dir / "fsdd" / "recordings" / good).read_bytes())
    (tmp_path / name).write_bytes(content)
    assert main(["train", "--dataset", dataset, "--data-dir", str(tmp_path), "--quiet",
                 "--out", str(tmp_path / "m.safetensors")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("glassgrad: error:") and name in err
    assert not (tmp_path / "m.safetensors").exists()

"""The application recipes (L_TEXT, L_SPEECH, L_REGRESSION) on the committed samples, through the
``glassgrad`` command: train, checkpoint, predict."""
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


def test_regression_recipe_beats_ridge():
    _, _, result = regression.train(None, **regression.DEFAULTS, verbose=False)
    ridge = result["ridge"]
    assert result["mse"] < ridge["mse"] and result["r2"] > ridge["r2"]
    (xtr, ytr), (xte, yte) = regression.prepare()
    assert abs(xtr.mean()) < 1e-6 and abs(ytr.std() - 1) < 1e-5  # standardized on the training split


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

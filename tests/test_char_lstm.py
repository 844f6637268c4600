"""L_CHAR_LSTM on a slice of the committed tiny Shakespeare sample: train a few steps through the
``glassgrad`` command, the vocabulary and model in the checkpoint, sampling, and the model against
PyTorch's LSTM with the same weights."""
import numpy as np
import torch

import glassgrad
from glassgrad.cli import main
from glassgrad.train import load_checkpoint
from glassgrad.train.recipes import char_lm, char_lstm


def _slice(sample_dir, tmp_path, n=4000):
    text = (sample_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")[:n]
    (tmp_path / "input.txt").write_text(text, encoding="utf-8")
    return text


def test_char_lstm_learns_samples_and_keeps_its_vocabulary(sample_dir, tmp_path, capsys):
    text = _slice(sample_dir, tmp_path)
    out = tmp_path / "lstm.safetensors"
    assert main(["train", "--dataset", "tinyshakespeare", "--model", "char-lstm", "--data-dir", str(tmp_path),
                 "--epochs", "2", "--lr", "1e-2", "--batch-size", "16", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    extra = load_checkpoint(out, restore_rng=False)["extra"]
    assert extra["recipe"] == "L_CHAR_LSTM" and extra["vocabulary"] == "".join(sorted(set(text)))
    assert extra["model"] == {"name": "char-lstm", "vocab_size": len(set(text)), "embed": 64, "hidden": 256}
    assert f"validation loss {extra['val_loss']:.4f} nats/char" in printed and "per epoch" in printed
    # 8 steps take it well below the uniform guess over the vocabulary (log V = 4.06 nats)
    assert extra["val_loss"] < np.log(len(extra["vocabulary"])) - 0.7
    model = char_lstm.build_model(extra["model"])
    load_checkpoint(out, model, restore_rng=False)
    vocab = glassgrad.data.char_text.CharVocabulary(extra["vocabulary"])
    _, _, val_ids = glassgrad.data.char_text.read_char_text(tmp_path)
    assert char_lm.validation_loss(model, val_ids) == extra["val_loss"]
    assert main(["sample", str(out), "--prompt", "ROMEO:", "--length", "40", "--temperature", "0.8", "--seed", "0"]) == 0
    sampled = capsys.readouterr().out
    assert sampled == char_lm.sample(model, vocab, "ROMEO:", 40, 0.8, 0) + "\n"
    assert sampled.startswith("ROMEO:") and len(sampled) == 47 and set(sampled[:-1]) <= set(text)
    assert main(["sample", str(out), "--prompt", "ROMEO:", "--length", "40", "--seed", "1"]) == 0
    assert capsys.readouterr().out != sampled  # another seed, another text


def test_sampling_state_matches_reading_the_whole_text_and_pytorch():
    glassgrad.manual_seed(0)
    model = char_lstm.CharLSTM(11, embed=5, hidden=7)
    ids = np.random.default_rng(0).integers(0, 11, 9)
    whole = model(glassgrad.from_numpy(ids[None])).detach().numpy()[0]
    logits, state = model.sample_step(ids[:4], None)  # the sampler reads a prompt, then one id at a time
    np.testing.assert_allclose(logits, whole[3], rtol=1e-5, atol=1e-6)
    for k in range(4, 9):
        logits, state = model.sample_step(ids[k:k + 1], state)
        np.testing.assert_allclose(logits, whole[k], rtol=1e-5, atol=1e-6)

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.lstm, self.head = (torch.nn.Embedding(11, 5), torch.nn.LSTM(5, 7, batch_first=True),
                                                torch.nn.Linear(7, 11))
    ref = Ref()
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    with torch.no_grad():
        h, _ = ref.lstm(ref.embed(torch.from_numpy(ids[None])))
        np.testing.assert_allclose(whole, ref.head(h)[0].numpy(), rtol=1e-5, atol=1e-6)


def test_sample_refuses_other_checkpoints_and_bad_prompts(sample_dir, tmp_path, capsys):
    _slice(sample_dir, tmp_path, 1500)
    out = tmp_path / "lstm.safetensors"
    assert main(["train", "--dataset", "tinyshakespeare", "--data-dir", str(tmp_path), "--epochs", "1",
                 "--batch-size", "32", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["sample", str(out), "--prompt", "\u00e9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not in the vocabulary" in err
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(out.read_bytes()[:100])
    assert main(["sample", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "corrupt.safetensors" in err
    assert main(["sample", str(tmp_path)]) == 2
    assert "is not a regular file" in capsys.readouterr().err

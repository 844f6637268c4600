"""L_CHAR_GPT on a slice of the committed tiny Shakespeare sample: train, checkpoint, sample."""
import numpy as np

from glassgrad.cli import main
from glassgrad.train import load_checkpoint
from glassgrad.train.recipes import char_gpt, char_lm


def test_char_gpt_learns_and_samples(sample_dir, tmp_path, capsys):
    text = (sample_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")[:12000]
    (tmp_path / "input.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "lm.safetensors"
    assert main(["train", "--dataset", "tinyshakespeare", "--model", "char-gpt", "--data-dir", str(tmp_path), "--epochs", "1",
                 "--lr", "3e-3", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    extra = load_checkpoint(out, restore_rng=False)["extra"]
    assert extra["vocabulary"] == "".join(sorted(set(text)))
    # better than the uniform guess over the vocabulary after one short epoch
    assert extra["val_loss"] < np.log(len(extra["vocabulary"])) - 0.5
    assert main(["sample", str(out), "--prompt", "ROMEO:", "--length", "30", "--temperature", "0.8",
                 "--seed", "0"]) == 0
    printed = capsys.readouterr().out
    model, vocab = char_gpt.build_model(extra["model"]), extra["vocabulary"]
    load_checkpoint(out, model, restore_rng=False)
    assert printed == char_lm.sample(model, vocab, "ROMEO:", 30, 0.8, 0) + "\n"
    assert printed.startswith("ROMEO:") and len(printed) == 37
    assert main(["sample", str(out), "--prompt", "\u00e9"]) == 2
    assert "not in the vocabulary" in capsys.readouterr().err

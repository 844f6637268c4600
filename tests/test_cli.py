"""The glassgrad command: demo, train, evaluate, --help, and one-line errors with exit status 2."""
import re

import pytest

from glassgrad.cli import main


def test_demo_trains_to_95_percent_and_saves(tmp_path, capsys):
    out = tmp_path / "demo.safetensors"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch 1/30" in text and "epoch 30/30" in text
    acc = float(re.search(r"test accuracy ([\d.]+)%", text).group(1))
    assert acc >= 95.0
    assert f"checkpoint saved to {out}" in text and out.is_file()
    # the demo ends with the doctor's verdict on the monitored run and its HTML report, beside --out
    assert f"doctor: the doctor found nothing wrong (details: glassgrad doctor {tmp_path / 'demo-run'})" in text
    report = tmp_path / "demo-report.html"
    assert text.rstrip().endswith(f"report: {report} (open it in a browser)") and report.is_file()
    assert main(["evaluate", str(out)]) == 0
    assert f"accuracy {acc:.2f}%" in capsys.readouterr().out


def test_train_digits_cnn_and_evaluate(tmp_path, capsys):
    out = tmp_path / "cnn.safetensors"
    assert main(["train", "--dataset", "digits", "--model", "cnn", "--epochs", "2", "--optimizer", "sgd",
                 "--lr", "0.05", "--batch-size", "64", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "training cnn on digits" in text and "epoch 1/2" not in text
    acc = float(re.search(r"test accuracy ([\d.]+)%", text).group(1))
    assert main(["evaluate", str(out)]) == 0
    assert f"cnn on digits (359 test samples): accuracy {acc:.2f}%" in capsys.readouterr().out


def test_train_csv_with_named_target(tmp_path, capsys):
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)) * [1, 10, 100] + [0, 50, -20]
    label = np.where(x[:, 0] + x[:, 1] / 10 > 5, "yes", "no")
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,label,c\n" + "".join(f"{r[0]},{r[1]},{lab},{r[2]}\n" for r, lab in zip(x, label)))
    out = tmp_path / "csv.safetensors"
    assert main(["train", "--dataset", "csv", "--data-dir", str(csv), "--target-column", "label", "--epochs", "15",
                 "--lr", "0.01", "--batch-size", "32", "--out", str(out), "--quiet"]) == 0
    acc = float(re.search(r"test accuracy ([\d.]+)%", capsys.readouterr().out).group(1))
    assert acc >= 90.0  # linearly separable once standardized
    assert main(["evaluate", str(out)]) == 0


def test_train_mnist_sample_then_evaluate(tmp_path, sample_dir, capsys):
    """The committed MNIST sample (2k train, 500 test), 2 epochs of W_MLP: 86.6% measured."""
    out = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", "mnist", "--data-dir", str(sample_dir / "mnist"), "--epochs", "2",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2000 train / 500 test" in text and "epoch 2/2 - loss" in text
    acc = float(re.search(r"test accuracy ([\d.]+)%", text).group(1))
    assert acc >= 82.0
    assert main(["evaluate", str(out)]) == 0  # reads the test split again from the recorded folder
    assert f"(500 test samples): accuracy {acc:.2f}%" in capsys.readouterr().out


def test_train_mnist_reads_the_real_files(tmp_path, data_dir, capsys, monkeypatch):
    import glassgrad.cli as cli
    import glassgrad.data as D
    real = D.MNIST

    def small(root, train=True, **kw):  # keep the run short: 2k train, 500 test images
        ds = real(root, train=train, **kw)
        ds.data, ds.targets = ds.data[:2000 if train else 500], ds.targets[:2000 if train else 500]
        return ds
    monkeypatch.setattr(D, "MNIST", small)
    out = tmp_path / "m.safetensors"
    assert cli.main(["train", "--dataset", "mnist", "--data-dir", str(data_dir / "mnist"), "--epochs", "1",
                     "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2000 train / 500 test" in text and "epoch 1/1 - loss" in text
    assert float(re.search(r"test accuracy ([\d.]+)%", text).group(1)) >= 80.0


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--dataset", "imagenet"], "invalid choice: 'imagenet'"),
    (["train", "--dataset", "digits", "--epochs", "0"], "must be a positive integer"),
    (["train", "--dataset", "digits", "--lr", "abc"], "invalid number 'abc'"),
    (["train", "--dataset", "mnist"], "--data-dir is required"),
    (["train", "--dataset", "mnist", "--data-dir", "/nonexistent/dir"], "does not exist"),
    (["train", "--dataset", "csv", "--data-dir", "/nonexistent.csv"], "must be a CSV file"),
    (["evaluate", "/nonexistent.safetensors"], "does not exist"),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err
    assert err.startswith("glassgrad")


def test_missing_and_corrupt_data_exit_2(tmp_path, capsys):
    assert main(["train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "train-images-idx3-ubyte.gz" in err and str(tmp_path) in err
    (tmp_path / "test_batch.bin").write_bytes(b"\x00" * 100)
    (tmp_path / "data_batch_1.bin").write_bytes(b"\x00" * 100)
    assert main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "data_batch_1.bin" in err and "truncated" in err
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x01\x02")
    assert main(["evaluate", str(bad)]) == 2
    assert "not a valid safetensors file" in capsys.readouterr().err
    assert main(["train", "--dataset", "csv", "--data-dir", str(tmp_path / "test_batch.bin"),
                 "--model", "cnn"]) == 2


def test_cnn_on_csv_is_a_usage_error(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(20)))
    assert main(["train", "--dataset", "csv", "--data-dir", str(csv), "--model", "cnn"]) == 2
    assert "use --model mlp" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["train", "--help"], ["evaluate", "--help"]])
def test_help_everywhere(argv, capsys):
    assert main(argv) == 0
    assert "usage: glassgrad" in capsys.readouterr().out

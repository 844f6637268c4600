"""The Free Spoken Digit Dataset: ``{digit}_{speaker}_{index}.wav`` recordings, as log-mel features.

The standard split: recordings 0-4 of each speaker and digit are the test set, the rest train.
"""
import os
import re

import numpy as np

from .mel import log_mel_spectrogram
from .wav import load_audio

__all__ = ["FSDD_FEATURES", "fsdd_files", "fsdd_features", "load_fsdd", "wav_features"]

_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")
# 8 kHz audio padded/cut to 8192 samples, 32 ms frames every 16 ms, 40 mel bands: (40, 65) per clip
FSDD_FEATURES = {"sample_rate": 8000, "samples": 8192, "n_fft": 256, "hop_length": 128, "n_mels": 40}


def fsdd_files(root):
    """[(path, digit, speaker, index)] of the recordings under ``root`` (or ``root/recordings``)."""
    root = os.fspath(root)
    folder = os.path.join(root, "recordings") if os.path.isdir(os.path.join(root, "recordings")) else root
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"FSDD folder {root} does not exist")
    out = []
    for name in sorted(os.listdir(folder)):
        m = _NAME.match(name)
        if m:
            out.append((os.path.join(folder, name), int(m.group(1)), m.group(2), int(m.group(3))))
    if not out:
        raise FileNotFoundError(f"no FSDD recordings named digit_speaker_index.wav in {folder}")
    return out


def wav_features(path, settings=None):
    """(n_mels, frames) float32 log-mel features of one WAV file (mono, resampled, padded/cut)."""
    s = dict(FSDD_FEATURES if settings is None else settings)
    y, rate = load_audio(path, sample_rate=s["sample_rate"])
    n = s["samples"]
    y = np.pad(y, (0, max(0, n - len(y))))[:n]
    return log_mel_spectrogram(y, rate, s["n_fft"], s["hop_length"], s["n_mels"])


def fsdd_features(files, settings=None):
    """(N, 1, n_mels, frames) features and int64 digit labels of ``fsdd_files`` rows."""
    x = np.stack([wav_features(path, settings) for path, *_ in files])[:, None]
    return x, np.array([digit for _, digit, _, _ in files], dtype=np.int64)


def load_fsdd(root, test_indices=range(5), settings=None):
    """((x_train, y_train), (x_test, y_test)): recordings whose index is in ``test_indices`` are test."""
    files = fsdd_files(root)
    test = set(test_indices)
    train_rows = [r for r in files if r[3] not in test]
    test_rows = [r for r in files if r[3] in test]
    if not train_rows or not test_rows:
        raise ValueError(f"FSDD in {root}: the split left {len(train_rows)} train and {len(test_rows)} test "
                         "recordings; both need some")
    return fsdd_features(train_rows, settings), fsdd_features(test_rows, settings)

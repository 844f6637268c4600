"""L_SPEECH: spoken digits (FSDD): log-mel features (40 bands x 65 frames) into a small CNN;
recordings 0-4 of each speaker and digit are the test split."""
import sys

import numpy as np

from ... import nn, optim
from ...data.fsdd import FSDD_FEATURES, load_fsdd, wav_features
from .loop import predict_arrays
from .runner import RecipeSetup, run_recipe

__all__ = ["RECIPE", "DATASET", "MODEL", "DEFAULTS", "build_model", "setup", "train", "load_for_predict", "predict_wav"]

RECIPE, DATASET, MODEL = "L_SPEECH", "fsdd", "logmel-cnn"
DEFAULTS = {"epochs": 15, "lr": 1e-3, "batch_size": 32}


def build_model(n_mels=40, frames=65, num_classes=10):
    """Conv(1,16,3)-ReLU-MaxPool(2)-Conv(16,32,3)-ReLU-MaxPool(2)-Flatten-Linear(.,64)-ReLU-Linear(64,10)."""
    flat = 32 * (n_mels // 4) * (frames // 4)
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(flat, 64), nn.ReLU(), nn.Linear(64, num_classes))


def setup(data_dir, lr, verbose=True):
    """The recipe's data (normalized with training statistics only), model and Adam optimizer."""
    (xtr, ytr), (xte, yte) = load_fsdd(data_dir)
    mean, std = float(xtr.mean()), float(xtr.std())
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    model = build_model(xtr.shape[2], xtr.shape[3])
    if verbose:
        print(f"L_SPEECH: {len(xtr)} train / {len(xte)} test recordings, features {xtr.shape[1:]}", flush=True)
    info = {"model": {"name": MODEL, "n_mels": int(xtr.shape[2]), "frames": int(xtr.shape[3])},
            "features": dict(FSDD_FEATURES), "feature_mean": mean, "feature_std": std}
    return RecipeSetup(model, optim.Adam(model.parameters(), lr=lr), nn.CrossEntropyLoss(), xtr, ytr,
                       evaluate=lambda m: {"test_accuracy": float((predict_arrays(m, xte).argmax(1) == yte).mean())},
                       info=info)


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True, out=None, resume=None):
    """Train; returns (model, optimizer, result dict with test_accuracy, seconds, extra for the checkpoint)."""
    return run_recipe(sys.modules[__name__], data_dir, epochs, lr, batch_size, seed, verbose, out, resume)


def load_for_predict(extra):
    """(model, extra) from a checkpoint's ``extra`` (weights not yet loaded)."""
    return build_model(extra["model"]["n_mels"], extra["model"]["frames"]), extra


def predict_wav(model, extra, path):
    """(digit, probability) for one WAV file (any rate/channels: resampled and mixed down)."""
    x = (wav_features(path, extra["features"]) - extra["feature_mean"]) / extra["feature_std"]
    logits = predict_arrays(model, x[None, None].astype(np.float32))[0]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    k = int(p.argmax())
    return k, float(p[k])

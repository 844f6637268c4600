"""L_CHAR_LSTM: a character language model on tiny Shakespeare (last 10% validation): the W_LSTM
model of benchmarks/WORKLOADS.md (Embedding(V, 64) - LSTM(64 -> 256) - Linear(256, V) at every
step) on windows of 64 characters, Adam with gradient-norm clipping. The character vocabulary is
saved with the checkpoint."""
import sys

import numpy as np

from ... import nn, optim
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from .char_lm import DATASET, lm_setup
from .runner import run_recipe

__all__ = ["RECIPE", "DATASET", "MODEL", "DEFAULTS", "CLIP", "CharLSTM", "build_model", "setup", "train"]

RECIPE, MODEL = "L_CHAR_LSTM", "char-lstm"
DEFAULTS = {"epochs": 10, "lr": 2e-3, "batch_size": 32}
CLIP = 5.0  # max gradient norm


class CharLSTM(nn.Module):
    """Embedding(V, embed) - LSTM(embed -> hidden, batch_first) - Linear(hidden, V): (N, T) ids in,
    (N, T, V) next-character logits out."""

    def __init__(self, vocab_size, embed=64, hidden=256):
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, state=None):
        h, _ = self.lstm(self.embed(idx), state)
        return self.head(h)

    def sample_step(self, ids, state):
        """(logits of the next character as a NumPy vector, (h, c)) after reading ``ids`` from ``state``."""
        with no_grad():
            h, state = self.lstm(self.embed(wrap_array(np.asarray(ids, dtype=np.int64)[None])), state)
            return self.head(h[:, -1]).numpy()[0], state


def build_model(info):
    """CharLSTM from a checkpoint's ``model`` record."""
    return CharLSTM(info["vocab_size"], info["embed"], info["hidden"])


def setup(data_dir, lr, verbose=True):
    """The recipe's data, model and Adam optimizer (see ``runner.RecipeSetup``)."""
    def build(vocab_size):
        return CharLSTM(vocab_size), {"name": MODEL, "vocab_size": vocab_size, "embed": 64, "hidden": 256}
    return lm_setup(RECIPE, data_dir, build, lambda params: optim.Adam(params, lr=lr), verbose, clip=CLIP)


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True, out=None, resume=None):
    """Train; returns (model, optimizer, result with val_loss (nats/char), seconds, extra)."""
    return run_recipe(sys.modules[__name__], data_dir, epochs, lr, batch_size, seed, verbose, out, resume)

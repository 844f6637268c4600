"""L_CHAR_GPT: a character language model on tiny Shakespeare (last 10% validation): a small
decoder-only transformer (the W_GPT model of benchmarks/WORKLOADS.md: 2 pre-LayerNorm blocks,
d_model 128, 4 heads, context 64). The character vocabulary is saved with the checkpoint."""
import sys

import numpy as np

from ... import nn, optim
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ...ops.creation import arange
from .char_lm import DATASET, SEQ_LEN, lm_setup
from .runner import run_recipe

__all__ = ["RECIPE", "DATASET", "MODEL", "DEFAULTS", "CharGPT", "build_model", "setup", "train"]

RECIPE, MODEL = "L_CHAR_GPT", "char-gpt"
DEFAULTS = {"epochs": 3, "lr": 1e-3, "batch_size": 32}


class CharGPT(nn.Module):
    """Token + position embeddings, pre-LayerNorm TransformerEncoder blocks with a causal mask, a
    final LayerNorm and a linear head. Input (N, T) ids with T <= context; output (N, T, vocab) logits."""

    def __init__(self, vocab_size, context=SEQ_LEN, d_model=128, heads=4, layers=2):
        super().__init__()
        self.vocab_size, self.context = vocab_size, context
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(context, d_model)
        block = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx):
        t = idx.shape[1]
        if t > self.context:
            raise ValueError(f"CharGPT: sequence of {t} tokens is longer than the context {self.context}")
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        h = self.tok(idx) + self.pos(arange(t))
        return self.head(self.ln_f(self.blocks(h, mask=mask, is_causal=True)))

    def sample_step(self, ids, state):
        """(logits of the next character as a NumPy vector, state): the state is the ids so far;
        the last ``context`` of them condition the prediction."""
        seen = list(state or []) + list(ids)
        window = np.array(seen[-self.context:], dtype=np.int64)[None]
        with no_grad():
            return self(wrap_array(window)).numpy()[0, -1], seen


def build_model(info):
    """CharGPT from a checkpoint's ``model`` record."""
    return CharGPT(info["vocab_size"], info["context"])


def setup(data_dir, lr, verbose=True):
    """The recipe's data, model and Adam optimizer (see ``runner.RecipeSetup``)."""
    def build(vocab_size):
        return CharGPT(vocab_size), {"name": MODEL, "vocab_size": vocab_size, "context": SEQ_LEN}
    return lm_setup(RECIPE, data_dir, build, lambda params: optim.Adam(params, lr=lr), verbose)


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True, out=None, resume=None):
    """Train; returns (model, optimizer, result with val_loss (nats/char), seconds, extra)."""
    return run_recipe(sys.modules[__name__], data_dir, epochs, lr, batch_size, seed, verbose, out, resume)

"""L_CHAR_GPT: a character language model on tiny Shakespeare (last 10% validation): a small
decoder-only transformer (the W_GPT model of benchmarks/WORKLOADS.md: 2 pre-LayerNorm blocks,
d_model 128, 4 heads, context 64). The character vocabulary is saved with the checkpoint, and
``sample`` generates text from a prompt."""
import math

import numpy as np

from ... import manual_seed, nn, optim
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ...data.char_text import CharVocabulary, read_char_text
from ...ops.creation import arange
from .loop import train_epochs

__all__ = ["DATASET", "MODEL", "DEFAULTS", "CONTEXT", "CharGPT", "windows", "train", "validation_loss",
           "load_for_sample", "sample"]

DATASET, MODEL = "tinyshakespeare", "char-gpt"
DEFAULTS = {"epochs": 3, "lr": 1e-3, "batch_size": 32}
CONTEXT = 64


class CharGPT(nn.Module):
    """Token + position embeddings, pre-LayerNorm TransformerEncoder blocks with a causal mask, a
    final LayerNorm and a linear head. Input (N, T) ids with T <= context; output (N, T, vocab) logits."""

    def __init__(self, vocab_size, context=CONTEXT, d_model=128, heads=4, layers=2):
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


class _FlatLoss:
    """Cross-entropy of (N, T, V) logits against (N, T) next characters."""

    def __init__(self):
        self.ce = nn.CrossEntropyLoss()

    def __call__(self, logits, target):
        return self.ce(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def windows(ids, context=CONTEXT):
    """(x, y): non-overlapping windows of ``context`` ids and the same windows shifted by one."""
    n = (len(ids) - 1) // context
    idx = np.arange(n)[:, None] * context + np.arange(context)
    return ids[idx], ids[idx + 1]


def validation_loss(model, ids, batch_size=64):
    """Mean next-character cross-entropy (nats/char) over the non-overlapping windows of ``ids``."""
    x, y = windows(ids, model.context)
    ce = nn.CrossEntropyLoss(reduction="sum")
    total = 0.0
    model.eval()
    with no_grad():
        for lo in range(0, len(x), batch_size):
            logits = model(wrap_array(x[lo:lo + batch_size]))
            total += float(ce(logits.reshape(-1, model.vocab_size), wrap_array(y[lo:lo + batch_size].reshape(-1))).item())
    return total / y.size


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True):
    """Train; returns (model, optimizer, result dict with val_loss (nats/char), seconds, extra)."""
    manual_seed(seed)
    vocab, train_ids, val_ids = read_char_text(data_dir)
    model = CharGPT(len(vocab))
    opt = optim.Adam(model.parameters(), lr=lr)
    x, y = windows(train_ids)
    if verbose:
        print(f"L_CHAR_GPT: {len(train_ids)} train / {len(val_ids)} validation characters, vocabulary {len(vocab)}",
              flush=True)
    seconds = train_epochs(model, opt, _FlatLoss(), x, y, epochs, batch_size, seed, verbose, unit="tokens",
                           items_per_sample=CONTEXT)
    val = validation_loss(model, val_ids)
    extra = {"recipe": "L_CHAR_GPT", "dataset": DATASET, "model": {"name": MODEL, "vocab_size": len(vocab),
             "context": CONTEXT}, "vocabulary": vocab.chars, "val_loss": val, "train_seconds": seconds,
             "seconds_per_epoch": seconds / epochs}
    return model, opt, {"val_loss": val, "seconds": seconds, "extra": extra}


def load_for_sample(extra):
    """(model, vocabulary) from a checkpoint's ``extra`` (weights not yet loaded)."""
    return CharGPT(extra["model"]["vocab_size"], extra["model"]["context"]), CharVocabulary(extra["vocabulary"])


def sample(model, vocab, prompt, length, temperature=1.0, seed=0):
    """``prompt`` followed by ``length`` sampled characters (softmax(logits / temperature), NumPy
    PCG64 with ``seed``; the last ``context`` characters condition each step)."""
    if not temperature > 0:
        raise ValueError(f"sample: temperature must be positive, got {temperature}")
    if not prompt:
        raise ValueError("sample: the prompt must hold at least one character")
    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prompt))
    model.eval()
    with no_grad():
        for _ in range(length):
            window = np.array(ids[-model.context:], dtype=np.int64)[None]
            logits = model(wrap_array(window)).numpy()[0, -1].astype(np.float64) / temperature
            p = np.exp(logits - logits.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
    return vocab.decode(ids)

"""The standard workloads of ``benchmarks/WORKLOADS.md``: the workload table.

Each entry of ``WORKLOADS`` names, side by side, the function that builds the workload in each
framework: ``builder(fw, nn, optim) -> (model, loss_fn, optimizer, x, y)``, where ``fw`` is the
``glassgrad`` or ``torch`` module. glassgrad follows PyTorch's API, so most workloads use one
function for both; a workload that needs framework-specific lines gives two. To add a workload,
add one ``Workload`` entry (and its GEMM shapes, if ``glassgrad bench`` should show its GEMM lower
bound).

This module imports neither framework: the benchmark workers (``worker.py``) load it in a process
that imports only the framework being timed.
"""
from typing import Callable, NamedTuple, Optional

import numpy as np


def _mlp_tiny(fw, nn, optim):
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    x, y = _data(fw, (100, 2)), _data(fw, (100, 1))
    return model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), x, y


def _mlp(fw, nn, optim):
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = _data(fw, (128, 784)), _labels(fw, 128, 10)
    return model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), x, y


def _cnn(fw, nn, optim):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    x, y = _data(fw, (64, 1, 28, 28)), _labels(fw, 64, 10)
    return model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y


def _char_lstm(fw, nn, optim):
    class CharLSTM(nn.Module):
        """Embedding(65, 64) - LSTM(64 -> 256) - Linear(256, 65) at every step."""

        def __init__(self):
            super().__init__()
            self.embed, self.lstm, self.head = nn.Embedding(65, 64), nn.LSTM(64, 256), nn.Linear(256, 65)

        def forward(self, tokens):                      # (T, B) ids -> (T·B, 65) logits
            h, _ = self.lstm(self.embed(tokens))
            return self.head(h).reshape(-1, 65)
    model = CharLSTM()
    ids = np.random.default_rng(1).integers(0, 65, (65, 32)).astype(np.int64)
    x, y = fw.from_numpy(ids[:-1].copy()), fw.from_numpy(ids[1:].reshape(-1).copy())  # next character
    return model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), x, y


def _gpt(fw, nn, optim, vocab=65, context=64, d_model=128, heads=4, layers=2, batch=32):
    """A decoder-only transformer: token + position embeddings, pre-LayerNorm blocks with causal
    self-attention and a 4x GELU MLP (nn.TransformerEncoderLayer, norm_first), a final LayerNorm and
    a linear head; next-token cross-entropy on random tokens."""

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d_model)
            self.pos = nn.Embedding(context, d_model)
            block = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=0.0, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
            self.ln_f = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context))
            self.register_buffer("positions", fw.arange(context))

        def forward(self, idx):
            h = self.tok(idx) + self.pos(self.positions)
            h = self.blocks(h, mask=self.mask, is_causal=True)
            return self.head(self.ln_f(h)).reshape(-1, vocab)

    model = GPT()
    tokens = np.random.default_rng(2).integers(0, vocab, (batch, context + 1))
    x = fw.from_numpy(np.ascontiguousarray(tokens[:, :-1]))
    y = fw.from_numpy(np.ascontiguousarray(tokens[:, 1:]).reshape(-1))
    return model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), x, y


def _data(fw, shape):
    return fw.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def _labels(fw, n, classes):
    return fw.from_numpy(np.random.default_rng(1).integers(0, classes, n).astype(np.int64))


class Workload(NamedTuple):
    """One workload: its builder in each framework (``(fw, nn, optim) -> (model, loss_fn,
    optimizer, x, y)``), and for sequence workloads the tokens one step processes (batch x
    sequence; the table then shows tokens/s)."""
    glassgrad: Callable
    torch: Callable
    tokens_per_step: Optional[int] = None


WORKLOADS = {
    "W_TINY": Workload(glassgrad=_mlp_tiny, torch=_mlp_tiny),
    "W_MLP": Workload(glassgrad=_mlp, torch=_mlp),
    "W_CNN": Workload(glassgrad=_cnn, torch=_cnn),
    "W_LSTM": Workload(glassgrad=_char_lstm, torch=_char_lstm, tokens_per_step=64 * 32),
    "W_GPT": Workload(glassgrad=_gpt, torch=_gpt, tokens_per_step=32 * 64),
}

# The matrix products one training step needs, as (m, k, n) for an (m, k) @ (k, n) product; the
# first layer needs no input gradient. Convolutions count as their im2col GEMMs.
GEMMS = {
    "W_MLP": [  # forward, weight gradients, input gradients of layers 2 and 3
        (128, 784, 512), (128, 512, 256), (128, 256, 10),
        (784, 128, 512), (512, 128, 256), (256, 128, 10),
        (128, 10, 256), (128, 256, 512)],
    "W_CNN": [
        (64 * 28 * 28, 9, 32), (64 * 14 * 14, 288, 64), (64, 3136, 128), (64, 128, 10),
        (9, 64 * 28 * 28, 32), (288, 64 * 14 * 14, 64), (3136, 64, 128), (128, 64, 10),
        (64 * 14 * 14, 64, 288), (64, 128, 3136), (64, 10, 128)],
}


def make_step(fw, nn, optim, workload):
    """Build ``workload`` in framework ``fw`` (the glassgrad or torch module) and return a function
    running one training step."""
    fw.manual_seed(0)
    return _training_step(*getattr(WORKLOADS[workload], fw.__name__)(fw, nn, optim))


def _training_step(model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def make_sweep_step(fw, nn, optim, batch, width):
    """W_MLP's recipe with another batch size and hidden width (for the scaling sweep): one
    training step, as ``make_step``."""
    fw.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10))
    x, y = _data(fw, (batch, 784)), _labels(fw, batch, 10)
    return _training_step(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), x, y)

"""Models covering each layer glassgrad exports to ONNX, and a runner comparing onnxruntime with
glassgrad (used by tests/test_onnx.py and benchmarks/onnx_parity.py)."""
import io

import numpy as np

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F


def _settle(model):
    """Give BatchNorm running statistics that are not 0 and 1 (a few training passes)."""
    if any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in model.modules()):
        model.train()
        for _ in range(3):
            model(gg.randn(*EXAMPLE_SHAPE[id(model)]) * 2 + 0.5)
    model.eval()
    return model


EXAMPLE_SHAPE = {}


class Residual(nn.Module):
    """Glue ops outside the layers: add, view, permute, cat, mean, matmul, F.relu, softmax."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(6, 6), nn.Linear(6, 4)

    def forward(self, x):
        h = F.relu(self.a(x)) + x * 0.5 - 1.0
        h = gg.cat([h, h.tanh()], dim=1).view(x.shape[0], 2, 6).permute(0, 2, 1)
        s = (h @ gg.ones(2, 3)).mean(dim=2) / 2
        return F.softmax(self.b(s.sigmoid()), dim=-1), s.exp().sum(dim=1, keepdim=True)


def cases():
    """(label, model, example input) for every exported layer kind."""
    out = []

    def add(label, model, *shape, ints=None):
        gg.manual_seed(len(out))
        x = gg.randint(0, ints, shape) if ints else gg.randn(*shape)
        EXAMPLE_SHAPE[id(model)] = shape
        out.append((label, _settle(model), x))

    add("Linear + ReLU", nn.Sequential(nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3, bias=False)), 4, 7)
    add("Linear on 3-d input", nn.Linear(5, 3), 2, 4, 5)
    add("Conv2d (padding, stride, dilation, groups, 'same')",
        nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, stride=2), nn.Conv2d(4, 4, 3, dilation=2, groups=2),
                      nn.Conv2d(4, 3, (3, 1), padding="same", bias=False)), 2, 2, 13, 12)
    add("Conv1d", nn.Sequential(nn.Conv1d(3, 5, 4, stride=2, padding=2), nn.Conv1d(5, 2, 3, padding="same")),
        2, 3, 17)
    add("MaxPool2d / AvgPool2d (padding, ceil_mode, count_include_pad)",
        nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), nn.AvgPool2d(2, padding=1),
                      nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False)), 2, 3, 11, 10)
    add("MaxPool1d / AvgPool1d", nn.Sequential(nn.MaxPool1d(2, dilation=2), nn.AvgPool1d(3, stride=2, padding=1)),
        2, 3, 15)
    add("AdaptiveAvgPool2d(1)", nn.Sequential(nn.Conv2d(2, 3, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()), 2, 2, 8, 8)
    add("BatchNorm2d (eval)", nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.BatchNorm2d(3, affine=False)),
        3, 2, 6, 6)
    add("BatchNorm1d (eval)", nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5)), 6, 4)
    add("LayerNorm", nn.Sequential(nn.LayerNorm(6), nn.LayerNorm([3, 6], elementwise_affine=False)), 2, 3, 6)
    add("activations: ReLU LeakyReLU ELU GELU GELU(tanh) SiLU Sigmoid Tanh Softplus",
        nn.Sequential(nn.LeakyReLU(0.2), nn.ELU(0.7), nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(),
                      nn.Softplus(beta=2.0), nn.Sigmoid(), nn.Tanh(), nn.ReLU()), 3, 8)
    add("Softmax / LogSoftmax / Softmin", nn.Sequential(nn.Softmax(dim=1), nn.LogSoftmax(dim=0), nn.Softmin(dim=-1)),
        3, 5)
    add("Dropout (eval) + Flatten + Identity",
        nn.Sequential(nn.Dropout2d(0.5), nn.Dropout(0.5), nn.Flatten(), nn.Identity(), nn.Linear(12, 2)), 3, 3, 2, 2)
    add("Embedding", nn.Sequential(nn.Embedding(11, 4), nn.Flatten(), nn.Linear(12, 3)), 5, 3, ints=11)
    add("ops in a custom forward (add, mul, view, permute, cat, matmul, mean, sum, exp, softmax)", Residual(), 4, 6)
    add("W_CNN model", nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                     nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)), 2, 1, 28, 28)
    return out


class WithState(nn.Module):
    """A recurrent layer given an initial state (h0, or (h0, c0) for an LSTM)."""

    def __init__(self, layer):
        super().__init__()
        self.rnn = layer

    def forward(self, x):
        layers = (2 if self.rnn.bidirectional else 1) * self.rnn.num_layers
        # (layers, batch, hidden) computed from x by traced ops, so it follows the batch size
        h = x.mean(dim=0, keepdim=True).mean(dim=2, keepdim=True) * gg.ones(layers, 1, self.rnn.hidden_size) + 0.3
        if isinstance(self.rnn, nn.LSTM):
            return self.rnn(x, (h, h * -0.5))
        return self.rnn(x, h)


class SelfAttention(nn.Module):
    """MultiheadAttention on (x, x/2, x), optionally with a causal bool mask and the weights."""

    def __init__(self, batch_first, causal, need_weights):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=batch_first)
        self.causal, self.need_weights = causal, need_weights

    def forward(self, x):
        length = x.shape[1] if self.attn.batch_first else x.shape[0]
        mask = gg.tensor(np.triu(np.ones((length, length), bool), 1)) if self.causal else None
        out = self.attn(x, x * 0.5, x, attn_mask=mask, need_weights=self.need_weights)
        return out if self.need_weights else out[0]


class CharLSTM(nn.Module):
    """W_LSTM's model, smaller: Embedding - LSTM - Linear at every step."""

    def __init__(self):
        super().__init__()
        self.embed, self.lstm, self.head = nn.Embedding(65, 16), nn.LSTM(16, 32, batch_first=True), nn.Linear(32, 65)

    def forward(self, x):
        return self.head(self.lstm(self.embed(x))[0])


def sequence_cases():
    """(label, model, example input, batch axis) for the recurrent and attention layers."""
    out = []

    def add(label, model, x, axis=1):
        out.append((label, model.eval(), x, axis))

    gg.manual_seed(100)
    if hasattr(nn, "LSTM"):
        add("LSTM", nn.LSTM(5, 6), gg.randn(7, 3, 5))
        add("LSTM (2 layers, bidirectional, batch_first)",
            nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True), gg.randn(3, 7, 5), 0)
        add("LSTM given (h0, c0)", WithState(nn.LSTM(5, 6, num_layers=2)), gg.randn(4, 3, 5))
        add("GRU (2 layers, bidirectional)", nn.GRU(5, 6, num_layers=2, bidirectional=True), gg.randn(7, 3, 5))
        add("GRU given h0", WithState(nn.GRU(5, 6, bidirectional=True)), gg.randn(4, 3, 5))
        add("RNN (relu, 2 layers)", nn.RNN(5, 6, nonlinearity="relu", num_layers=2), gg.randn(7, 3, 5))
        add("W_LSTM-style model (Embedding-LSTM-Linear)", CharLSTM(), gg.randint(0, 65, (2, 9)), 0)
    if hasattr(nn, "MultiheadAttention"):
        add("MultiheadAttention (with weights)", SelfAttention(False, False, True), gg.randn(6, 3, 8))
        add("MultiheadAttention (batch_first, causal mask)", SelfAttention(True, True, False), gg.randn(3, 6, 8), 0)
        add("TransformerEncoderLayer", nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), gg.randn(6, 3, 8))
        add("TransformerEncoderLayer (norm_first, gelu, batch_first)",
            nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
            gg.randn(3, 6, 8), 0)
        add("TransformerEncoder (2 layers)", nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2),
            gg.randn(6, 3, 8))
    return out


def _flat(value):
    if value is None:
        return []
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flat(v)]
    return [value]


def max_difference(model, x, batch_axis=0, other_batch=5):
    """Export with a dynamic batch axis, run in onnxruntime at the example's batch size and another
    one; the largest |onnxruntime - glassgrad| over the outputs and both batches."""
    import onnxruntime
    buffer = io.BytesIO()
    first = _flat(model(x))
    names = [f"out{i}" for i in range(len(first))]
    gg.onnx.export(model, x, buffer, input_names=["x"], output_names=names,
                   dynamic_axes={"x": {batch_axis: "batch"}, **{n: list(range(t.ndim)) for n, t in zip(names, first)}})
    session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    worst = 0.0
    for xb in (x, _other_batch(x, batch_axis, other_batch)):
        ours = _flat(model(xb))
        theirs = session.run(None, {"x": xb.numpy()})
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert a.shape == b.shape, (a.shape, b.shape)
            worst = max(worst, float(np.abs(a.detach().numpy() - b).max()))
    return worst


def _other_batch(x, axis, n):
    shape = list(x.shape)
    shape[axis] = n
    if x.dtype.kind in "iu":
        return gg.tensor(np.resize(x.numpy(), shape))
    return gg.randn(*shape)

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


def max_difference(model, x, other_batch=5):
    """Export with a dynamic batch, run in onnxruntime at the example's batch and another one;
    the largest |onnxruntime - glassgrad| over outputs and batches."""
    import onnxruntime
    buffer = io.BytesIO()
    first = model(x)
    n_out = len(first) if isinstance(first, tuple) else 1
    names = [f"out{i}" for i in range(n_out)]
    gg.onnx.export(model, x, buffer, input_names=["x"], output_names=names,
                   dynamic_axes={"x": {0: "batch"}, **{n: {0: "batch"} for n in names}})
    session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    worst = 0.0
    for xb in (x, _other_batch(x, other_batch)):
        ours = model(xb)
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = session.run(None, {"x": xb.numpy()})
        for a, b in zip(ours, theirs):
            assert a.shape == b.shape, (a.shape, b.shape)
            worst = max(worst, float(np.abs(a.detach().numpy() - b).max()))
    return worst


def _other_batch(x, n):
    if x.dtype.kind in "iu":
        return gg.tensor(np.resize(x.numpy(), (n,) + tuple(x.shape[1:])))
    return gg.randn(n, *x.shape[1:])

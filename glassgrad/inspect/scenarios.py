"""Small training runs that show each pathology on purpose, and healthy runs of several kinds.

For learning what each finding looks like (``glassgrad.inspect.scenarios.run('dead_units')``), and
for measuring the doctor: each pathology run returns what the doctor should find (kind, layer and
step, derived from how the run was built), each healthy run should give no error or warning
(``python -m glassgrad.bench.doctor_accuracy`` runs them all over several seeds; the tests run one seed).
Data is synthetic (a random teacher network labels Gaussian inputs; 12x12 images with a bright
quadrant), so every run takes well under a second.
"""
import warnings

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn import functional as F
from ..random import manual_seed
from . import thresholds as T
from .monitor import Monitor

__all__ = ["PATHOLOGIES", "HEALTHY", "run", "Outcome"]


class Outcome:
    """A finished scenario: its ``monitor``, the expected ``(kind, layer, step)`` (None for a
    healthy run) and the per-step ``losses``."""

    def __init__(self, name, monitor, expect, losses):
        self.name, self.monitor, self.expect, self.losses = name, monitor, expect, losses


# ---- data ---------------------------------------------------------------------------------------
def _teacher(n, seed, d=20, classes=4, teacher=0):
    rng = np.random.default_rng(teacher + 1000)
    w1, w2 = rng.standard_normal((d, 6)), rng.standard_normal((6, classes))
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    y = np.argmax(np.tanh(x @ w1) @ w2, axis=1).astype(np.int64)
    return x, y


def _images(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.standard_normal((n, 1, 12, 12)).astype(np.float32) * 0.5
    for i, c in enumerate(y):
        r, q = divmod(int(c), 2)
        x[i, 0, r * 6:(r + 1) * 6, q * 6:(q + 1) * 6] += 1.5
    return x, y.astype(np.int64)


def _xor(n, seed):
    x = np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


# ---- the loop -----------------------------------------------------------------------------------
def _train(model, opt, data, steps=100, every=1, batch=64, loss_fn=F.cross_entropy, zero_grad=True, val=None,
           epoch=16, before_step=None, target=None):
    x, y = data
    xt, yt = Tensor(x), Tensor(y if target is None else target(y))
    mon = Monitor(model, opt, every=every)
    losses = []
    n = x.shape[0]
    order = np.random.default_rng(0).permutation(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the broadcast scenario makes mse_loss warn, as PyTorch does
        for step in range(steps):
            lo = (step * batch) % n
            idx = order[lo:lo + batch] if lo + batch <= n else order[:batch]
            xb = Tensor(x[idx])
            if before_step is not None:
                xb = before_step(step, model, xb) or xb
            out = model(xb)
            loss = loss_fn(out, Tensor(yt.array[idx]))
            if zero_grad:
                opt.zero_grad()
            loss.backward()
            opt.step()
            metrics = {}
            if (step + 1) % epoch == 0 and target is None:
                metrics = _epoch_metrics(model, xt, yt, val, loss_fn)
            losses.append(mon.record(loss, **metrics)["loss"])
    mon.close()
    return mon, losses


def _epoch_metrics(model, xt, yt, val, loss_fn):
    was = model.training
    model.eval()
    with no_grad():
        m = {"accuracy": float((model(xt).argmax(1) == yt).float().mean().item())}
        if val is not None:
            vx, vy = Tensor(val[0]), Tensor(val[1])
            m["val_loss"] = float(loss_fn(model(vx), vy).item())
    model.train(was)
    return m


def _mlp(act=nn.ReLU, d=20, width=64, classes=4, depth=2, dropout=0.0, bn=False):
    layers, w = [], d
    for _ in range(depth):
        layers.append(nn.Linear(w, width))
        if bn:
            layers.append(nn.BatchNorm1d(width))
        layers.append(act())
        if dropout:
            layers.append(nn.Dropout(dropout))
        w = width
    layers.append(nn.Linear(w, classes))
    return nn.Sequential(*layers)


def _cnn(bn=False):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1)] + ([nn.BatchNorm2d(cout)] if bn else []) + [nn.ReLU(),
                                                                                              nn.MaxPool2d(2)]
    return nn.Sequential(*block(1, 8), *block(8, 16), nn.Flatten(), nn.Linear(16 * 9, 32), nn.ReLU(),
                         nn.Linear(32, 4))


class _Gain(nn.Module):
    """Multiplies by a factor the scenario can change mid-run (an overflowing layer)."""

    def __init__(self):
        super().__init__()
        self.gain = 1.0

    def forward(self, x):
        return x * self.gain


class _DetachedFirst(nn.Module):
    """A two-layer net whose first layer's output is detached by mistake."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(20, 64), nn.Linear(64, 4)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)).detach())


# ---- pathologies --------------------------------------------------------------------------------
def _nan(seed):
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), _Gain(), nn.ReLU(), nn.Linear(64, 4))

    def blow(step, m, xb):
        if step == 7:
            m[3].gain = 1e39  # float32 overflows to inf in this layer
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), _teacher(512, seed), steps=30,
                         before_step=blow)
    return mon, ("nan_or_inf", "3", 7), losses


def _exploding(seed):
    model = _mlp(depth=8, width=32)
    with no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 3.0 * (2.0 / m.in_features) ** 0.5)
    mon, losses = _train(model, optim.SGD(model.parameters(), 1e-6), _teacher(512, seed), steps=10)
    return mon, ("exploding_gradients", "0", 0), losses


def _vanishing(seed):
    model = _mlp(act=nn.Sigmoid, depth=10, width=32)
    mon, losses = _train(model, optim.SGD(model.parameters(), 0.01), _teacher(512, seed), steps=30)
    return mon, ("vanishing_gradients", "0", 0), losses


def _dead(seed):
    model = _mlp()
    with no_grad():
        model[0].bias.fill_(-6.0)  # every unit of the first ReLU starts (and stays) off
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), _teacher(512, seed), steps=40, every=2)
    return mon, ("dead_units", "1", (T.DEAD_WINDOW - 1) * 2), losses


def _saturated(seed):
    model = _mlp(act=nn.Tanh)
    with no_grad():
        model[0].weight.mul_(30.0)
    mon, losses = _train(model, optim.SGD(model.parameters(), 0.01), _teacher(512, seed), steps=30)
    return mon, ("saturated_units", "1", 0), losses


def _lr_high(seed):
    model = _mlp()
    mon, losses = _train(model, optim.SGD(model.parameters(), 8.0), _teacher(512, seed), steps=40)
    return mon, ("lr_too_high", None, 0), losses


def _lr_low(seed):
    model = _mlp()
    mon, losses = _train(model, optim.SGD(model.parameters(), 1e-6), _teacher(512, seed), steps=60, every=5)
    return mon, ("lr_too_low", None, 0), losses


def _unchanged(seed):
    model = _DetachedFirst()
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), _teacher(512, seed), steps=30, every=5)
    return mon, ("unchanged_weights", "fc1", 0), losses


def _flat(seed):
    model, other = _mlp(), _mlp()
    opt = optim.Adam(other.parameters(), 1e-2)  # the optimizer of another model: nothing here moves
    mon, losses = _train(model, opt, _teacher(512, seed), steps=60, every=5, zero_grad=False,
                         before_step=lambda step, m, xb: m.zero_grad())
    return mon, ("loss_not_decreasing", None, 0), losses


def _overfit(seed):
    model = _mlp(width=64)
    x, y = _teacher(48, seed)  # 48 samples for a 20-64-64-4 MLP: it memorizes them
    val = _teacher(512, seed + 7)
    mon, losses = _train(model, optim.Adam(model.parameters(), 3e-3), (x, y), steps=100, batch=48, every=5,
                         val=val, epoch=5)
    vsteps, vloss = mon.run.metric("val_loss")
    return mon, ("overfitting", None, vsteps[int(np.argmin(vloss))]), losses


def _underfit(seed):
    model = nn.Sequential(nn.Linear(2, 2))  # a linear model cannot separate XOR
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-2), _xor(512, seed), steps=300, every=10)
    steps, _ = mon.run.metric("accuracy")
    return mon, ("underfitting", None, steps[len(steps) * 2 // 3]), losses


def _unnormalized(seed):
    x, y = _images(512, seed)
    x = np.clip((x + 1) * 100, 0, 255).astype(np.float32)  # raw 0-255 pixels
    model = nn.Sequential(nn.Flatten(), *_mlp(d=144))
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), (x, y), steps=20)
    return mon, ("unnormalized_inputs", None, 0), losses


def _accumulating(seed):
    model = _mlp()
    mon, losses = _train(model, optim.SGD(model.parameters(), 1e-3), _teacher(512, seed), steps=20, zero_grad=False)
    return mon, ("gradients_accumulating", None, 1), losses


def _double_softmax(seed):
    model = nn.Sequential(*_mlp(), nn.Softmax(dim=1))
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), _teacher(512, seed), steps=20)
    return mon, ("double_softmax", "5", 0), losses


def _broadcast(seed):
    x, y = _teacher(512, seed)
    model = _mlp(classes=1)
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), (x, y), steps=20, loss_fn=F.mse_loss,
                         target=lambda y: y.astype(np.float32))  # output (N, 1) against target (N,)
    return mon, ("loss_shape_broadcast", None, 0), losses


def _bad_init(seed):
    model = _mlp()
    with no_grad():
        nn.init.constant_(model[0].weight, 0.05)  # every unit of layer 0 starts the same
    mon, losses = _train(model, optim.SGD(model.parameters(), 0.05), _teacher(512, seed), steps=20)
    return mon, ("bad_init", "0", 0), losses


def _bad_init_depth(seed):
    model = _mlp(depth=6, width=64)
    with no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.mul_(0.1)  # activations shrink ~25x per layer
    mon, losses = _train(model, optim.Adam(model.parameters(), 1e-3), _teacher(512, seed), steps=20)
    return mon, ("bad_init", "10", 0), losses


PATHOLOGIES = {
    "nan_or_inf": _nan, "exploding_gradients": _exploding, "vanishing_gradients": _vanishing,
    "dead_units": _dead, "saturated_units": _saturated, "lr_too_high": _lr_high, "lr_too_low": _lr_low,
    "unchanged_weights": _unchanged, "loss_not_decreasing": _flat, "overfitting": _overfit,
    "underfitting": _underfit, "unnormalized_inputs": _unnormalized, "gradients_accumulating": _accumulating,
    "double_softmax": _double_softmax, "loss_shape_broadcast": _broadcast, "bad_init": _bad_init,
    "bad_init_depth": _bad_init_depth,
}


# ---- healthy runs -------------------------------------------------------------------------------
def _healthy(make_model, make_opt, data="teacher", steps=96, every=4, val=True):
    def scenario(seed):
        d = _teacher(2048, seed) if data == "teacher" else _images(1024, seed)
        v = (_teacher(1024, seed + 99) if data == "teacher" else _images(512, seed + 99)) if val else None
        model = make_model()
        mon, losses = _train(model, make_opt(model), d, steps=steps, every=every, val=v, epoch=steps // 8)
        return mon, None, losses
    return scenario


HEALTHY = {
    "mlp_adam": _healthy(_mlp, lambda m: optim.Adam(m.parameters(), 3e-3)),
    "mlp_sgd": _healthy(_mlp, lambda m: optim.SGD(m.parameters(), 0.05, momentum=0.9)),
    "mlp_dropout_adam": _healthy(lambda: _mlp(dropout=0.2), lambda m: optim.Adam(m.parameters(), 3e-3)),
    "mlp_batchnorm_sgd": _healthy(lambda: _mlp(bn=True), lambda m: optim.SGD(m.parameters(), 0.05, momentum=0.9)),
    "mlp_tanh_sgd": _healthy(lambda: _mlp(act=nn.Tanh), lambda m: optim.SGD(m.parameters(), 0.05, momentum=0.9)),
    "mlp_deep_adam": _healthy(lambda: _mlp(depth=4), lambda m: optim.Adam(m.parameters(), 3e-3)),
    "cnn_sgd": _healthy(_cnn, lambda m: optim.SGD(m.parameters(), 0.02, momentum=0.9), data="images", steps=64),
    "cnn_batchnorm_adam": _healthy(lambda: _cnn(bn=True), lambda m: optim.Adam(m.parameters(), 1e-3), data="images",
                                   steps=64),
}


def run(name, seed=0):
    """Run the scenario ``name`` (a key of ``PATHOLOGIES`` or ``HEALTHY``) and return its ``Outcome``."""
    table = PATHOLOGIES if name in PATHOLOGIES else HEALTHY if name in HEALTHY else None
    if table is None:
        raise KeyError(f"scenarios.run: unknown scenario {name!r}; choose one of "
                       f"{', '.join(list(PATHOLOGIES) + list(HEALTHY))}")
    manual_seed(seed)
    mon, expect, losses = table[name](seed)
    return Outcome(name, mon, expect, losses)

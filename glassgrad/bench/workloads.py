"""The standard workloads of ``benchmarks/WORKLOADS.md``, written once for both frameworks.

glassgrad follows PyTorch's API, so each workload is one function of a framework namespace
(``glassgrad`` or ``torch``): the same lines build the same model and training step in both.
"""
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


def _data(fw, shape):
    return fw.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def _labels(fw, n, classes):
    return fw.from_numpy(np.random.default_rng(1).integers(0, classes, n).astype(np.int64))


WORKLOADS = {"W_TINY": _mlp_tiny, "W_MLP": _mlp, "W_CNN": _cnn}

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
    """Build ``workload`` in framework ``fw`` and return a function running one training step."""
    fw.manual_seed(0)
    return _training_step(*WORKLOADS[workload](fw, nn, optim))


def _training_step(model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def gemm_lower_bound_ms(workload, repeats=20):
    """The time of the step's GEMMs alone at NumPy's float32 speed, measured in this process with
    the BLAS's own threads (glassgrad holds them while it splits GEMMs itself)."""
    from glassgrad import parallel
    threads = parallel.get_num_threads()
    parallel.set_num_threads(1)  # gives the BLAS its threads back
    try:
        return _gemm_ms(workload, repeats)
    finally:
        parallel.set_num_threads(threads)


def _gemm_ms(workload, repeats):
    from .worker import median_ms
    rng = np.random.default_rng(0)
    total = 0.0
    for m, k, n in GEMMS[workload]:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        total += median_ms(lambda: a @ b, 1, repeats)
    return total


def make_sweep_step(fw, nn, optim, batch, width):
    """W_MLP's recipe with another batch size and hidden width (for the scaling sweep)."""
    fw.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10))
    x, y = _data(fw, (batch, 784)), _labels(fw, batch, 10)
    return _training_step(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), x, y)

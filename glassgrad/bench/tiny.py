"""W_TINY (MLP 2-16-16-1, tanh, MSE, SGD, batch 100) written with raw tensors: the per-op overhead
of each engine (W_TINY's arithmetic is negligible). The case ``W_TINY_RAW`` of ``glassgrad bench``.

One training step = forward + loss + backward + SGD update. The weights W1, b1, ... are updated
under no_grad: the lines differ between the frameworks only in that update (glassgrad's works on
``.array``), which sits side by side below. This module imports neither framework: the workers
load it in a process that imports only the one timed.
"""
import numpy as np

CASES = ["W_TINY_RAW"]
SIZES = (2, 16, 16, 1)
BATCH = 100
LR = 0.01


def initial_arrays():
    """Data and weights as float32 NumPy arrays (seed 0), shared by both frameworks. Weights are
    stored (in, out) and drawn like nn.Linear's defaults: U(-1/sqrt(in), 1/sqrt(in))."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = np.sin(x[:, :1] * 2 + x[:, 1:]).astype(np.float32)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (n_out,)).astype(np.float32))
    return x, y, params


def _sgd_torch(params):
    for p in params:
        p -= LR * p.grad
        p.grad = None


def _sgd_glassgrad(params):
    for p in params:
        p.array -= LR * p.grad.array
        p.grad = None


_SGD = {"torch": _sgd_torch, "glassgrad": _sgd_glassgrad}


def make_step(fw, nn, optim, case="W_TINY_RAW"):
    """A function running one W_TINY training step on raw tensors in framework ``fw``."""
    x, y, arrays = initial_arrays()
    params = [fw.tensor(a, requires_grad=True) for a in arrays]
    x, y = fw.from_numpy(x), fw.from_numpy(y)
    sgd = _SGD[fw.__name__]
    w1, b1, w2, b2, w3, b3 = params

    def step():
        h = (x @ w1 + b1).tanh()
        h = (h @ w2 + b2).tanh()
        out = h @ w3 + b3
        loss = ((out - y) ** 2).mean()
        loss.backward()
        with fw.no_grad():
            sgd(params)
        return loss
    return step

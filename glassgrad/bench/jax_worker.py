"""W_TINY, W_MLP and W_CNN as ``jax.jit``-compiled training steps: one JSON line, as ``worker.py``.

    python glassgrad/bench/jax_worker.py --case W_MLP

Run by path, in a process that imports JAX and NumPy only (``glassgrad bench --compiled`` runs it
where JAX is installed). The models, data, losses and optimizers are those of ``workloads.py``
(PyTorch's default initialisation ranges; Adam with PyTorch's defaults; SGD with momentum 0.9 for
W_CNN), written in ``jax.numpy``; the whole step (forward, ``jax.grad``, update) is one jitted
function, as a JAX user writes it. Times are taken after ``block_until_ready``.
"""
import argparse
import json
import resource
import time

import numpy as np


def _linear(rng, n_in, n_out):
    bound = 1 / np.sqrt(n_in)
    return [rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32),
            rng.uniform(-bound, bound, (n_out,)).astype(np.float32)]


def _conv(rng, c_in, c_out):
    bound = 1 / np.sqrt(c_in * 9)
    return [rng.uniform(-bound, bound, (c_out, c_in, 3, 3)).astype(np.float32),
            rng.uniform(-bound, bound, (c_out,)).astype(np.float32)]


def build(case, jnp, lax):
    """(params, x, y, loss(params, x, y), optimizer name) of ``case``."""
    rng = np.random.default_rng(0)
    if case == "W_TINY":
        params = _linear(rng, 2, 16) + _linear(rng, 16, 16) + _linear(rng, 16, 1)
        x = rng.standard_normal((100, 2)).astype(np.float32)
        y = rng.standard_normal((100, 1)).astype(np.float32)

        def loss(p, x, y):
            h = jnp.tanh(x @ p[0] + p[1])
            h = jnp.tanh(h @ p[2] + p[3])
            return jnp.mean((h @ p[4] + p[5] - y) ** 2)
        return params, x, y, loss, "sgd"
    labels = np.random.default_rng(1)
    if case == "W_MLP":
        params = _linear(rng, 784, 512) + _linear(rng, 512, 256) + _linear(rng, 256, 10)
        x = rng.standard_normal((128, 784)).astype(np.float32)
        y = labels.integers(0, 10, 128)

        def logits(p, x):
            h = jnp.maximum(x @ p[0] + p[1], 0)
            h = jnp.maximum(h @ p[2] + p[3], 0)
            return h @ p[4] + p[5]
        opt = "adam"
    else:  # W_CNN
        params = _conv(rng, 1, 32) + _conv(rng, 32, 64) + _linear(rng, 3136, 128) + _linear(rng, 128, 10)
        x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
        y = labels.integers(0, 10, 64)

        def block(h, w, b):
            h = lax.conv_general_dilated(h, w, (1, 1), ((1, 1), (1, 1)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW")) + b[None, :, None, None]
            h = jnp.maximum(h, 0)
            return lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

        def logits(p, x):
            h = block(block(x, p[0], p[1]), p[2], p[3]).reshape(x.shape[0], -1)
            h = jnp.maximum(h @ p[4] + p[5], 0)
            return h @ p[6] + p[7]
        opt = "momentum"

    def loss(p, x, y):
        z = logits(p, x)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - jnp.log(jnp.exp(z).sum(axis=1, keepdims=True))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    return params, x, y, loss, opt


def make_step(case):
    """A jitted ``step(state) -> (state, loss)`` and its initial state."""
    import jax
    import jax.numpy as jnp
    from jax import lax
    params, x, y, loss, opt = build(case, jnp, lax)
    params = [jnp.asarray(p) for p in params]
    x, y = jnp.asarray(x), jnp.asarray(y)
    zeros = [jnp.zeros_like(p) for p in params]
    value_and_grad = jax.value_and_grad(loss)

    @jax.jit
    def step(state):
        p, m, v, t = state
        value, g = value_and_grad(p, x, y)
        if opt == "sgd":
            return ([a - 0.01 * b for a, b in zip(p, g)], m, v, t), value
        if opt == "momentum":
            m = [0.9 * a + b for a, b in zip(m, g)]
            return ([a - 0.01 * b for a, b in zip(p, m)], m, v, t), value
        t = t + 1
        m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
        v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
        c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        p = [a - 1e-3 * (mm / c1) / (jnp.sqrt(vv / c2) + 1e-8) for a, mm, vv in zip(p, m, v)]
        return (p, m, v, t), value
    return step, (params, zeros, list(zeros), jnp.float32(0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=["W_TINY", "W_MLP", "W_CNN"], required=True)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    a = ap.parse_args(argv)
    step, state = make_step(a.case)
    state, first = step(state)
    first.block_until_ready()
    for _ in range(a.warmup):
        state, value = step(state)
    value.block_until_ready()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        state, value = step(state)
        value.block_until_ready()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"ms": float(np.median(times)) * 1e3, "first_loss": float(first),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()

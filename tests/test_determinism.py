"""Results never depend on what ran before in the process: the same inputs give the same bits at
any point of a process and in a fresh one (the GEMM path is a function of the shapes and the thread
setting only). Each case runs in its own process, as a user's script would."""
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import hashlib, sys
import numpy as np
import glassgrad, glassgrad.nn.functional as F
rng = np.random.default_rng(0)
x = glassgrad.tensor(rng.standard_normal((128, 784)).astype(np.float32))
w = glassgrad.tensor(rng.standard_normal((512, 784)).astype(np.float32))
def digest(t):
    return hashlib.sha256(t.detach().numpy().tobytes()).hexdigest()
def products():
    xg = x.detach().requires_grad_()
    y = F.linear(xg, w)
    y.backward(glassgrad.ones_like(y))
    return digest(y) + digest(xg.grad)
if sys.argv[1] == "relu-between":
    first = products()
    F.relu(glassgrad.tensor(rng.standard_normal((4096, 1024)).astype(np.float32)))  # big: split over threads
    print(first, products())
else:  # a fresh process, as a resumed run starts
    print(products(), products())
"""


def _run(mode, threads):
    env = dict(os.environ)
    env.pop("GLASSGRAD_NUM_THREADS", None)
    if threads is not None:
        env["GLASSGRAD_NUM_THREADS"] = str(threads)
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize("threads", [None, 1, 2])  # None: the default (the CPU cores)
def test_linear_gives_the_same_bits_before_and_after_an_unrelated_split_kernel(threads):
    before, after = _run("relu-between", threads)
    assert before == after
    fresh, _ = _run("fresh", threads)
    assert fresh == before

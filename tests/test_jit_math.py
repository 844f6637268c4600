"""ops.jit_math.exp32, the vectorizable float32 exponential of the Numba kernels, against
float64 NumPy: within 3 ulp over its range, 0 below it (e^-inf = 0), inf above it."""
import numpy as np
import pytest

pytest.importorskip("numba", reason="the compiled kernels need the optional numba (in the test extra)")

import numba  # noqa: E402

from glassgrad.ops.jit_math import exp32  # noqa: E402


@numba.njit   # (not jit_math.jit: a test module's kernels are not cached on disk)
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = exp32(x[i])


def test_exp32_is_accurate_over_its_range(rng):
    x = np.concatenate([np.linspace(-87.0, 88.3, 200_001), rng.standard_normal(10_000) * 8]).astype(np.float32)
    out = np.empty_like(x)
    _exp_all(x, out)
    ref = np.exp(x.astype(np.float64))
    assert np.max(np.abs(out - ref) / ref) < 4e-7     # within 3 float32 ulp
    np.testing.assert_allclose(out, np.exp(x), rtol=5e-7, atol=0)


def test_exp32_limits():
    x = np.array([-np.inf, -1000, -87.5, 0, 89, 1000, np.inf], np.float32)
    out = np.empty_like(x)
    _exp_all(x, out)
    np.testing.assert_array_equal(out, [0, 0, 0, 1, np.inf, np.inf, np.inf])

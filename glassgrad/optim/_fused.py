"""Optional fused update kernels (Numba): one pass over the parameters instead of a dozen NumPy
passes. Used automatically when Numba is installed (``pip install numba``, part of the ``demo``
and ``test`` extras); set ``GLASSGRAD_FUSED=0`` or ``glassgrad.optim._fused.enabled = False`` to
use the NumPy path. Both compute float32 updates in float32, in PyTorch's order of operations.
Numba is imported on the first fused update, not with glassgrad.

The compiled kernel is cached on disk when Numba finds a writable cache folder (next to this file,
``$NUMBA_CACHE_DIR`` or the user's cache); when none is writable it is compiled in memory instead,
the same machine code, so the results do not depend on where the cache could be written.
"""

import numpy as np

from .. import backend

enabled = backend.FUSED_KERNELS
_kernels = {}


def _adam(a, g, m, v, decay, wd, one_minus_b1, b2, one_minus_b2, step_size, bc2_sqrt, eps):
    # scalars arrive as the arrays' dtype: the arithmetic stays in float32 for float32 tensors
    for i in range(a.size):
        p = a[i] * decay
        d = g[i] + wd * p
        mi = m[i] + one_minus_b1 * (d - m[i])
        vi = b2 * v[i] + one_minus_b2 * (d * d)
        m[i] = mi
        v[i] = vi
        a[i] = p - step_size * (mi / (np.sqrt(vi) / bc2_sqrt + eps))


def _compile(fn):
    """``fn`` compiled with Numba, cached on disk when a cache folder is writable, else in memory.

    One thread (threads would fight NumPy's BLAS threads); error_model="numpy" drops Python's
    zero-division checks so that the loop compiles to SIMD instructions (~7x faster here)."""
    import numba
    try:
        return numba.njit(error_model="numpy", cache=True)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available": no writable folder
        return numba.njit(error_model="numpy", cache=False)(fn)


def _adam_kernel():
    if "adam" not in _kernels:
        _kernels["adam"] = _compile(_adam)
    return _kernels["adam"]


def _call(name, kernel, *args):
    try:
        kernel(*args)
    except OSError:  # the cache folder stopped being writable between the check and the save
        import numba
        _kernels[name] = numba.njit(error_model="numpy", cache=False)(kernel.py_func)
        _kernels[name](*args)


def adam_update(a, g, m, v, decay, wd, beta1, beta2, step_size, bc2_sqrt, eps):
    """In place: p *= decay (decoupled weight decay); d = g + wd·p; m = lerp(m, d, 1 - β1);
    v = β2·v + (1 - β2)·d²; p -= step_size·m / (√v / bc2_sqrt + eps). Returns False (and changes
    nothing) when the fused kernel cannot run: no Numba, disabled, or non-contiguous arrays."""
    if not enabled or beta1 <= 0.5 or not all(isinstance(x, np.ndarray) and x.flags.c_contiguous
                                              for x in (a, g, m, v)):
        return False  # (PyTorch's lerp takes another formula for weights >= 0.5: left to NumPy)
    t = a.dtype.type
    _call("adam", _adam_kernel(), a.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(decay), t(wd),
          t(1 - beta1), t(beta2), t(1 - beta2), t(step_size), t(bc2_sqrt), t(eps))
    return True

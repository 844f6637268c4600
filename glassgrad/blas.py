"""The process's OpenBLAS, found among the libraries it has loaded (NumPy's own, whatever its symbol
prefix): its thread setting, and its C GEMM for compiled kernels that call it from a loop of their
own (``nn.functional._lstm_numba``). Every lookup answers None where the BLAS is not OpenBLAS
(MKL, Accelerate) or the platform has no ``/proc/self/maps``.
"""
import ctypes

__all__ = ["openblas_threads", "sgemm_address"]

_PREFIXES = ("scipy_", "")   # NumPy's wheels rename OpenBLAS's symbols with scipy_ ... 64_
_SUFFIXES = ("64_", "")      # (64_: the ILP64 build, 64-bit integers in the interface)


def _libraries():
    """The OpenBLAS libraries loaded in this process, as ctypes handles."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return []
    found = []
    for path in sorted(paths):
        try:
            found.append(ctypes.CDLL(path))
        except OSError:
            continue
    return found


def _symbol(name):
    """(function, is_ilp64) for OpenBLAS's ``name`` under any prefix and suffix, or None."""
    for lib in _libraries():
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                fn = getattr(lib, f"{prefix}{name}{suffix}", None)
                if fn is not None:
                    return fn, suffix == "64_"
    return None


def openblas_threads():
    """(set, get) of the process's OpenBLAS thread count, or None."""
    set_fn, get_fn = _symbol("openblas_set_num_threads"), _symbol("openblas_get_num_threads")
    if set_fn is None or get_fn is None:
        return None
    return set_fn[0], get_fn[0]


def sgemm_address():
    """The address of the ILP64 ``cblas_sgemm`` (64-bit sizes) as an int, or None. Its C signature:
    ``(order, trans_a, trans_b: int; m, n, k: int64; alpha: float; a: float*; lda: int64;
    b: float*; ldb: int64; beta: float; c: float*; ldc: int64)``."""
    found = _symbol("cblas_sgemm")
    if found is None or not found[1]:
        return None
    return ctypes.cast(found[0], ctypes.c_void_p).value

"""Host memory: keep freed array buffers in the process, so that the next step reuses them.

A training step allocates and frees the same large buffers (activations, gradients, im2col
columns) every time. glibc's malloc hands buffers over ~128 KB to the kernel with ``munmap`` when
they are freed, so each step maps them again and pays a page fault for every 4 KB page it touches:
about 5,000 faults and a third of the time of W_CNN's step (benchmarks/WORKLOADS.md; 50 ms against
35 ms with them gone).
PyTorch avoids this with its own caching allocator; here we ask malloc to do the same:

* ``M_MMAP_THRESHOLD`` = 32 MiB: buffers below it come from the heap, where a freed buffer stays;
* ``M_TRIM_THRESHOLD`` = ``keep_mb``: free memory at the top of the heap is given back to the
  system only beyond this much.

It is done once, on ``import glassgrad``, on Linux with glibc (elsewhere it does nothing). Set the
environment variable ``GLASSGRAD_HOST_CACHE=0`` to leave malloc as it is.
"""
import ctypes
import ctypes.util
import os
import sys

__all__ = ["cache_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's upper limit on 64-bit systems


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # only glibc has it (musl's mallopt does nothing)
    except (OSError, AttributeError):
        return None
    return libc


def cache_freed_memory(keep_mb=1024):
    """Keep up to ``keep_mb`` MiB of freed host memory in the process for reuse (glibc malloc).

    Returns True when malloc took the settings, False where there is no glibc.
    """
    if not isinstance(keep_mb, int) or keep_mb < 0:
        raise ValueError(f"cache_freed_memory: keep_mb must be a non-negative int, got {keep_mb!r}")
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1
    return libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(keep_mb * 1024 * 1024, 2**31 - 1))) == 1 and ok


if os.environ.get("GLASSGRAD_HOST_CACHE", "1") != "0":
    cache_freed_memory()

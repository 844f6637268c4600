"""glassgrad keeps freed host buffers for reuse (glibc malloc settings made on import)."""
import os
import subprocess
import sys

import pytest

from glassgrad import host_memory

# Allocate, touch and free an 8 MiB buffer 20 times; print the minor page faults this caused.
FAULTS = """
import resource, numpy as np
import glassgrad
np.ones(2 * 2**20, np.float32)  # the first one may grow the heap
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones(2 * 2**20, np.float32)
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""

glibc = pytest.mark.skipif(host_memory._glibc() is None, reason="malloc settings exist only with glibc")


def _faults(cache):
    env = dict(os.environ, GLASSGRAD_HOST_CACHE="1" if cache else "0")
    out = subprocess.run([sys.executable, "-c", FAULTS], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout)


@glibc
def test_freed_buffers_are_reused_without_page_faults():
    # 20 fresh 8 MiB buffers are ~40,000 faults of 4 KiB pages (or ~80 of 2 MiB huge pages) when
    # each is mapped anew; reused, they fault no page at all
    assert _faults(cache=True) < 20
    assert _faults(cache=False) >= 20 * 4


@glibc
def test_cache_freed_memory_takes_the_settings():
    assert host_memory.cache_freed_memory(keep_mb=256) is True
    assert host_memory.cache_freed_memory() is True


def test_bad_keep_mb_is_refused():
    with pytest.raises(ValueError, match="keep_mb must be a non-negative int"):
        host_memory.cache_freed_memory(keep_mb=-1)

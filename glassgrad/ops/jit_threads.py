"""Numba tools for kernels that run as several parts on several threads at once and wait for each
other at every step (``parallel.gang`` starts the parts): a spinning barrier over atomic counters,
and C functions a kernel calls without the GIL — OpenBLAS's ``cblas_sgemm`` and ``sched_yield``.
Imported only by modules that compile kernels (importing it imports Numba).

Why spin: a time loop's step (the LSTM's) takes ~200 µs and needs every part's result of the step
before; waking a sleeping thread costs 50-100 µs on a virtual machine (a futex and an interrupt),
a spinning one sees the counter change in well under a microsecond. A part that has spun for a while
yields its core at every further turn, so a loaded machine loses little to the spinning.

The C functions are passed to kernels as arguments (Numba's first-class function values), not read
as globals: a global address would stop Numba from caching the kernels on disk.
"""
import ctypes

import numba.experimental.function_type  # noqa: F401 (registers the typing of first-class C functions)
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .. import blas
from .jit_math import jit

__all__ = ["load_acquire", "store_release", "fetch_add", "new_flags", "abort", "post", "claim", "wait", "arrive",
           "c_functions"]

_LINE = 8      # int64 counters 64 bytes apart: each part's counter on its own cache line
_SPINS = 4000  # turns of spinning before a waiting part yields its core at every turn


def _element_pointer(context, builder, array_type, array, index):
    return cgutils.get_item_pointer(context, builder, array_type,
                                    context.make_array(array_type)(context, builder, array), [index])


@intrinsic
def load_acquire(typingctx, array, index):
    """``array[index]`` read atomically, with acquire ordering (writes made before the matching
    ``store_release`` are visible after it)."""
    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], *args)
        return builder.load_atomic(ptr, "acquire", array.dtype.bitwidth // 8)
    return array.dtype(array, index), codegen


@intrinsic
def store_release(typingctx, array, index, value):
    """``array[index] = value`` written atomically, with release ordering."""
    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
        value = context.cast(builder, args[2], sig.args[2], sig.args[0].dtype)
        builder.store_atomic(value, ptr, "release", array.dtype.bitwidth // 8)
        return context.get_dummy_value()
    return types.void(array, index, value), codegen


@intrinsic
def fetch_add(typingctx, array, index, value):
    """``array[index] += value`` atomically; returns the value before."""
    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
        value = context.cast(builder, args[2], sig.args[2], sig.args[0].dtype)
        return builder.atomic_rmw("add", ptr, value, "acq_rel")
    return array.dtype(array, index, value), codegen


def new_flags(counters):
    """``counters`` shared counters (all 0), each on its own cache line, and an abort flag."""
    return np.zeros(_LINE * (counters + 1), dtype=np.int64)


def abort(flags):
    """Release every part waiting in ``wait`` or ``arrive`` (a part failed; the others must not
    wait for it)."""
    flags[-_LINE] = 1


@jit
def post(flags, counter, value):
    """Set ``counter`` to ``value``: what this part wrote before is visible to a part that sees it."""
    store_release(flags, _LINE * counter, value)


@jit
def claim(flags, counter):
    """Add 1 to ``counter``; the value before (parts taking work items in turn get distinct ones)."""
    return fetch_add(flags, _LINE * counter, 1)


@jit
def wait(flags, counter, value, yield_):
    """Wait until ``counter`` reaches ``value`` (spinning, then yielding the core at every turn).
    Returns False when some part aborted: the caller returns at once."""
    spins = 0
    while load_acquire(flags, _LINE * counter) < value:
        if load_acquire(flags, flags.shape[0] - _LINE) != 0:
            return False
        spins += 1
        if spins > _SPINS:
            yield_()
    return True


@jit
def arrive(flags, part, parts, step, yield_):
    """Part ``part`` of ``parts`` (counters 0 to parts - 1) has finished step ``step`` (counted
    from 1); wait until every part has. False when some part aborted."""
    post(flags, part, step)
    for other in range(parts):
        if not wait(flags, other, step, yield_):
            return False
    return True


class _CFunction(types.WrapperAddressProtocol):
    """A C function at a fixed address, callable from a kernel that receives it as an argument."""

    def __init__(self, address, signature):
        self._address, self._signature = address, signature

    def __wrapper_address__(self):
        return self._address

    def signature(self):
        return self._signature


# cblas_sgemm of the ILP64 interface (blas.sgemm_address); arrays are passed as addresses
_SGEMM = types.void(types.int32, types.int32, types.int32, types.int64, types.int64, types.int64, types.float32,
                    types.uintp, types.int64, types.uintp, types.int64, types.float32, types.uintp, types.int64)
ROW_MAJOR, NO_TRANS, TRANS = np.int32(101), np.int32(111), np.int32(112)
_found = []


def c_functions():
    """(sgemm, sched_yield) as function values for kernels, or None when the process's BLAS has no
    ILP64 ``cblas_sgemm`` (not OpenBLAS, or a 32-bit-integer build) or libc has no ``sched_yield``."""
    if not _found:
        address = blas.sgemm_address()
        try:
            yield_address = ctypes.cast(ctypes.CDLL(None).sched_yield, ctypes.c_void_p).value
        except (OSError, AttributeError):
            yield_address = None
        _found.append(None if address is None or yield_address is None else
                      (_CFunction(address, _SGEMM), _CFunction(yield_address, types.int32())))
    return _found[0]


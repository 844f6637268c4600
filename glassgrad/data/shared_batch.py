"""Batches from worker processes to the main process through shared memory.

A worker copies each array of a batch into a file under ``/dev/shm`` (memory, not disk) and
sends only its name, dtype and shape through the queue. The main process maps the file, unlinks
its name at once, and wraps the mapping as the tensor's array: no copy on the receiving side,
and the memory goes back to the system when the tensor is freed.
"""
import itertools
import mmap
import os
import tempfile

import numpy as np

from ..autograd.tensor import Tensor, wrap_array

DIRECTORY = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
PREFIX = "glassgrad-loader-"  # then the writer's pid and a counter
_counter = itertools.count()


class SharedArray:
    """The picklable handle of an array that lives in a shared-memory file."""

    __slots__ = ("path", "dtype", "shape", "tensor")

    def __init__(self, path, dtype, shape, tensor):
        self.path, self.dtype, self.shape, self.tensor = path, dtype, shape, tensor

    def open(self):
        """Map the file, remove its name, and return the array (or a tensor wrapping it)."""
        fd = os.open(self.path, os.O_RDWR)
        try:
            size = os.fstat(fd).st_size
            buffer = mmap.mmap(fd, size)
        finally:
            os.close(fd)
            os.unlink(self.path)
        array = np.frombuffer(buffer, self.dtype, count=int(np.prod(self.shape))).reshape(self.shape)
        return wrap_array(array) if self.tensor else array

    def discard(self):
        """Remove the file of a batch nobody will read."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _to_shared(array, tensor):
    array = np.ascontiguousarray(array)
    path = os.path.join(DIRECTORY, f"{PREFIX}{os.getpid()}-{next(_counter)}")
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, array.nbytes)
        with mmap.mmap(fd, array.nbytes) as buffer:
            target = np.frombuffer(buffer, array.dtype, count=array.size)
            target[...] = array.reshape(-1)
            del target
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
    return SharedArray(path, array.dtype, array.shape, tensor)


def share(obj):
    """``obj`` with every CPU array (or tensor's array) of more than a few bytes moved to shared memory."""
    if isinstance(obj, Tensor) and isinstance(obj.array, np.ndarray) and obj.array.nbytes:
        return _to_shared(obj.array, True)
    if isinstance(obj, np.ndarray) and obj.nbytes and obj.dtype.kind not in "OSUV":
        return _to_shared(obj, False)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(share(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(share(v) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, share(v)) for k, v in obj.items())
    return obj


def _walk(obj, leaf):
    if isinstance(obj, SharedArray):
        return leaf(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_walk(v, leaf) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk(v, leaf) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _walk(v, leaf)) for k, v in obj.items())
    return obj


def receive(obj):
    """The batch ``share`` sent, with its arrays mapped from shared memory."""
    return _walk(obj, SharedArray.open)


def discard(obj):
    """Free the shared memory of a batch that will not be used."""
    _walk(obj, SharedArray.discard)

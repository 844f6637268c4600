"""Collective operations on tensors, in place, PyTorch's names: ``all_reduce``, ``broadcast``,
``all_gather``, ``all_gather_into_tensor``, ``reduce_scatter``, ``barrier``.

Each call takes ``async_op``: with True it starts a non-blocking MPI collective and returns a
:class:`Work` whose ``wait()`` finishes it (MPI moves the data while the caller computes, as far
as the MPI library progresses on its own).
"""
import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, wrap_array
from . import mpi
from .process_group import communicator

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter", "reduce_scatter_tensor", "barrier"]


class ReduceOp:
    """How ``all_reduce``/``reduce_scatter`` combine the ranks' values."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


def _mpi_op(op, name, dtype):
    MPI = mpi.load()
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN}
    if op not in table:
        raise ValueError(f"{name}: unknown op {op!r}; use ReduceOp.SUM, AVG, PRODUCT, MAX or MIN")
    if op == ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"{name}: ReduceOp.AVG needs a floating point tensor, got {dtype}; "
                        "use ReduceOp.SUM and divide, or convert with .float()")
    return table[op]


def _check_tensor(t, name, what="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: {what} must be a glassgrad Tensor, got {type(t).__name__}")


def _host(array):
    """A C-contiguous host array holding ``array``'s values (itself when it already is one)."""
    host = backend.move(array, "cpu")
    return host if host.flags.c_contiguous else np.ascontiguousarray(host)


class Work:
    """A collective under way (``async_op=True``); ``wait()`` finishes it."""

    def __init__(self, request=None, finish=None):
        self._request, self._finish, self._done = request, finish, False

    def is_completed(self):
        """True once the collective has finished (and ``wait`` has nothing left to do)."""
        if self._done:
            return True
        if self._request is not None and not self._request.Test():
            return False
        return self._complete()

    def wait(self, timeout=None):
        """Block until the collective has finished and the results are in the tensors."""
        if not self._done:
            if self._request is not None:
                self._request.Wait()
            self._complete()
        return True

    def _complete(self):
        if self._finish is not None:
            self._finish()
        self._done = True
        return True


def _run(start_blocking, start_async, finish, async_op):
    if async_op:
        return Work(start_async(), finish)
    start_blocking()
    finish()
    return None


def _store(tensor, values):
    """Write ``values`` into ``tensor`` in place (copying only when the buffers differ)."""
    if values is not tensor.array:
        tensor.array[...] = backend.move(values, backend.device_of(tensor.array))
    tensor._version += 1


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across all ranks with ``op``; every rank gets the result in place."""
    _check_tensor(tensor, "all_reduce")
    comm = communicator(group, "all_reduce")
    mpi_op = _mpi_op(op, "all_reduce", tensor.dtype)
    MPI = mpi.load()
    buf = _host(tensor.array)

    def finish():
        if op == ReduceOp.AVG:
            np.divide(buf, comm.Get_size(), out=buf)
        _store(tensor, buf)
    return _run(lambda: comm.Allreduce(MPI.IN_PLACE, buf, op=mpi_op),
                lambda: comm.Iallreduce(MPI.IN_PLACE, buf, op=mpi_op), finish, async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank."""
    _check_tensor(tensor, "broadcast")
    comm = communicator(group, "broadcast")
    if not 0 <= src < comm.Get_size():
        raise ValueError(f"broadcast: src={src} is not a rank; ranks are 0..{comm.Get_size() - 1}")
    buf = _host(tensor.array)
    return _run(lambda: comm.Bcast(buf, root=src), lambda: comm.Ibcast(buf, root=src),
                lambda: _store(tensor, buf), async_op)


def _check_per_rank(tensors, list_name, role, like, like_name, size, op):
    """One tensor per rank in ``tensors``, each shaped and typed like ``like``."""
    if len(tensors) != size:
        raise ValueError(f"{op}: {list_name} has {len(tensors)} tensors but the group has {size} "
                         f"ranks; pass one {role} tensor per rank")
    for i, t in enumerate(tensors):
        _check_tensor(t, op, f"{list_name}[{i}]")
        if t.shape != like.shape or t.dtype != like.dtype:
            raise ValueError(f"{op}: {list_name}[{i}] is {tuple(t.shape)} {t.dtype} but {like_name} is "
                             f"{tuple(like.shape)} {like.dtype}; every {role} must match {like_name}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor`` on every rank."""
    _check_tensor(tensor, "all_gather")
    comm = communicator(group, "all_gather")
    size = comm.Get_size()
    _check_per_rank(tensor_list, "tensor_list", "output", tensor, "the input", size, "all_gather")
    send = _host(tensor.array)
    recv = np.empty((size,) + send.shape, send.dtype)

    def finish():
        for t, part in zip(tensor_list, recv):
            _store(t, part)
    return _run(lambda: comm.Allgather(send, recv), lambda: comm.Iallgather(send, recv), finish, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor``."""
    _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    comm = communicator(group, "all_gather_into_tensor")
    size = comm.Get_size()
    if output_tensor.numel() != size * input_tensor.numel() or output_tensor.dtype != input_tensor.dtype:
        raise ValueError(f"all_gather_into_tensor: output {tuple(output_tensor.shape)} {output_tensor.dtype} must "
                         f"hold {size} x input {tuple(input_tensor.shape)} {input_tensor.dtype}")
    send = _host(input_tensor.array)
    recv = np.empty((size * send.size,), send.dtype)
    return _run(lambda: comm.Allgather(send, recv), lambda: comm.Iallgather(send, recv),
                lambda: _store(output_tensor, recv.reshape(output_tensor.shape)), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[r]`` across ranks with ``op`` and put the result in rank ``r``'s ``output``."""
    _check_tensor(output, "reduce_scatter", "output")
    comm = communicator(group, "reduce_scatter")
    size = comm.Get_size()
    _check_per_rank(input_list, "input_list", "input", output, "output", size, "reduce_scatter")
    mpi_op = _mpi_op(op, "reduce_scatter", output.dtype)
    send = np.stack([_host(t.array) for t in input_list])
    recv = np.empty(output.shape, output.dtype)

    def finish():
        if op == ReduceOp.AVG:
            np.divide(recv, size, out=recv)
        _store(output, recv)
    return _run(lambda: comm.Reduce_scatter_block(send, recv, op=mpi_op),
                lambda: comm.Ireduce_scatter_block(send, recv, op=mpi_op), finish, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``reduce_scatter`` with the inputs concatenated along dim 0 in one tensor."""
    _check_tensor(input, "reduce_scatter_tensor", "input")
    size = communicator(group, "reduce_scatter_tensor").Get_size()
    if input.ndim == 0 or output.ndim == 0 or input.shape[0] != size * output.shape[0]:
        raise ValueError(f"reduce_scatter_tensor: input {tuple(input.shape)} must be world_size ({size}) times "
                         f"output {tuple(output.shape)} along dim 0")
    parts = [wrap_array(p) for p in np.split(_host(input.array), size)]
    return reduce_scatter(output, parts, op, group, async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank has reached this call."""
    comm = communicator(group, "barrier")
    return _run(comm.Barrier, comm.Ibarrier, lambda: None, async_op)

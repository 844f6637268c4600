"""``DistributedDataParallel``: the same model on every rank, gradients averaged across ranks.

How the averaging overlaps backward: parameters are grouped into buckets (about
``bucket_cap_mb`` each, in reverse registration order, which is roughly the order backward
produces their gradients). Each parameter has a post-accumulate-grad hook
(``Tensor.register_post_accumulate_grad_hook``); the engine runs it as soon as that parameter's
gradient is final, while the rest of backward still runs. When a bucket's last gradient is in,
the hook copies the bucket into one flat buffer and starts a non-blocking ``MPI_Iallreduce``;
later hooks poke the MPI library (``Test``) so the transfers progress. Buckets start in the same
order on every rank, as MPI requires. The hook that starts the *last* bucket waits for all of
them, divides by the world size and points each ``param.grad`` at its averaged slice of the
bucket, so the gradients are averaged by the time ``loss.backward()`` returns, as in PyTorch.
"""
import contextlib

import numpy as np

from ... import distributed as dist
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.tensor import Tensor, wrap_array
from ...distributed import mpi
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients travel in one all-reduce."""

    def __init__(self, params, dtype):
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.flat = np.empty(self.offsets[-1], dtype)
        self.ready = 0
        self.request = None

    def view(self, i):
        """The slice of the flat buffer that holds parameter ``i``'s gradient."""
        p = self.params[i]
        return self.flat[self.offsets[i]:self.offsets[i + 1]].reshape(p.shape)


class DistributedDataParallel(Module):
    """Data parallelism (PyTorch's ``torch.nn.parallel.DistributedDataParallel``).

    At construction, rank 0's parameters and buffers are copied to every rank. In training, each
    rank runs forward and backward on its own part of the batch, and ``backward`` leaves on
    every rank the gradients averaged over all ranks, so ``optimizer.step()`` keeps the replicas
    identical. ``no_sync()`` skips the averaging (gradient accumulation).

    Args:
        module: the model to replicate; reachable as ``.module``.
        broadcast_buffers: copy rank 0's buffers (BatchNorm statistics) to all ranks at every forward.
        bucket_cap_mb: the size of a gradient bucket in MiB.
        find_unused_parameters: before each backward, find the parameters the output does not
            depend on and count them as ready (contributing this rank's ``.grad``, or zeros),
            so that a model whose forward skips parameters does not stall the reduction.
        device_ids, output_device, dim, process_group, gradient_as_bucket_view, static_graph:
            accepted for PyTorch compatibility (one device per process, the default group,
            gradients always live in the buckets after a synchronized backward).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an nn.Module, got {type(module).__name__}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the default process group has not been initialized; "
                               "call glassgrad.distributed.init_process_group(backend='mpi') first")
        if bucket_cap_mb is None or bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self._world = dist.get_world_size()
        self._sync_broadcast(list(module.parameters()) + list(module.buffers()))
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel: the module has no parameter that requires a gradient")
        self._buckets = self._make_buckets(params[::-1], int(bucket_cap_mb * 2 ** 20))
        self._where = {id(p): (b, i) for b in self._buckets for i, p in enumerate(b.params)}
        self._names = {id(p): n for n, p in module.named_parameters()}
        self._syncing = False   # a synchronized backward is expected (set by forward)
        self._launched = 0      # buckets whose all-reduce has started in this backward
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    @staticmethod
    def _make_buckets(params, cap):
        buckets, current, size = [], [], 0
        for p in params:
            if current and (size >= cap or p.dtype != current[0].dtype):
                buckets.append(_Bucket(current, current[0].dtype))
                current, size = [], 0
            current.append(p)
            size += p.numel() * p.element_size()
        buckets.append(_Bucket(current, current[0].dtype))
        return buckets

    def _sync_broadcast(self, tensors):
        """Copy rank 0's values of ``tensors`` to every rank (one broadcast per dtype)."""
        if self._world == 1:
            return
        comm = dist.process_group.communicator(None, "DistributedDataParallel")
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(np.dtype(t.dtype), []).append(t)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([np.asarray(t.array, dtype).reshape(-1) for t in group])
            comm.Bcast(flat, root=0)
            offset = 0
            for t in group:
                t.array[...] = flat[offset:offset + t.numel()].reshape(t.shape)
                offset += t.numel()

    # ---- forward ---------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        """Run the wrapped module (after syncing buffers from rank 0 when training)."""
        if self._syncing and any(b.ready for b in self._buckets):
            missing = [self._names.get(id(p), "?") for b in self._buckets if b.request is None for p in b.params]
            raise RuntimeError(
                "DistributedDataParallel: expected to have finished reduction in the prior iteration, but "
                f"{len(missing)} parameters got no gradient (e.g. {missing[:5]}); pass "
                "find_unused_parameters=True if forward does not use every parameter, or make sure backward "
                "is called on the model's output")
        self._reset()
        if self.module.training and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                self._sync_broadcast(buffers)
        output = self.module(*inputs, **kwargs)
        self._syncing = self.require_backward_grad_sync and is_grad_enabled()
        if self._syncing and self.find_unused_parameters:
            self._mark_unused(output)
        return output

    def _reset(self):
        for b in self._buckets:
            b.ready, b.request = 0, None
        self._launched = 0

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward keeps the gradients local (they accumulate in ``.grad``); the first
        backward after it averages the accumulated gradients. Run forward inside the context too."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ---- backward: the hooks ---------------------------------------------------------------------
    def _mark_unused(self, output):
        """Count the parameters ``output`` does not depend on as ready now."""
        used, stack, seen = set(), [], set()
        for t in _tensors_in(output):
            if t.grad_fn is not None:
                stack.append(t.grad_fn)
            elif t.requires_grad:
                used.add(id(t))
        while stack:
            for child, _ in stack.pop().next_functions:
                if isinstance(child, Tensor):
                    used.add(id(child))
                elif child is not None and child not in seen:
                    seen.add(child)
                    stack.append(child)
        for b in self._buckets:
            for p in b.params:
                if id(p) not in used:
                    self._grad_ready(p)

    def _grad_ready(self, param):
        if not self._syncing:
            return
        bucket, i = self._where[id(param)]
        view = bucket.view(i)
        if param.grad is None:
            view[...] = 0
        elif not np.may_share_memory(param.grad.array, view):  # (after a sync .grad *is* the view)
            view[...] = param.grad.array
        bucket.ready += 1
        if bucket.ready == len(bucket.params):
            self._launch_ready()
        else:
            self._progress()

    def _launch_ready(self):
        """Start the all-reduce of every full bucket, in bucket order (the same on all ranks)."""
        MPI = mpi.load()
        comm = dist.process_group.communicator(None, "DistributedDataParallel")
        while self._launched < len(self._buckets):
            bucket = self._buckets[self._launched]
            if bucket.ready < len(bucket.params):
                return
            bucket.request = comm.Iallreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
            self._launched += 1
        self._finish()

    def _progress(self):
        """Let MPI move the data of the all-reduces under way (it progresses inside MPI calls)."""
        for b in self._buckets[:self._launched]:
            if b.request is not None:
                b.request.Test()

    def _finish(self):
        """Wait for every bucket, average, and point each ``.grad`` at its slice of the result."""
        MPI = mpi.load()
        MPI.Request.Waitall([b.request for b in self._buckets])
        for b in self._buckets:
            if self._world != 1:
                np.divide(b.flat, self._world, out=b.flat)
            for i, p in enumerate(b.params):
                p.grad = wrap_array(b.view(i))
        self._syncing = False

    def __getstate__(self):
        raise TypeError("DistributedDataParallel cannot be pickled; save .module (or its state_dict) instead")


def _tensors_in(value):
    """The tensors in a forward's output (a tensor, or nested tuples/lists/dicts of them)."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors_in(v)

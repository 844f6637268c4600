"""Run under mpiexec: every collective against NumPy on data each rank can recompute for all ranks."""
import numpy as np

import glassgrad as gg
import glassgrad.distributed as dist
from glassgrad.distributed import ReduceOp

dist.init_process_group(backend="mpi")
rank, size = dist.get_rank(), dist.get_world_size()


def data(r, shape=(3, 5), dtype=np.float32):
    return np.random.default_rng(100 + r).standard_normal(shape).astype(dtype)


every = np.stack([data(r) for r in range(size)])
for op, ref in [(ReduceOp.SUM, every.sum(0)), (ReduceOp.AVG, every.mean(0)), (ReduceOp.MAX, every.max(0)),
                (ReduceOp.MIN, every.min(0)), (ReduceOp.PRODUCT, every.prod(0))]:
    for async_op in (False, True):
        t = gg.tensor(data(rank))
        work = dist.all_reduce(t, op=op, async_op=async_op)
        if async_op:
            work.wait()
            assert work.is_completed()
        np.testing.assert_allclose(t.numpy(), ref, rtol=1e-5, atol=1e-6, err_msg=f"all_reduce {op}")

ints = gg.tensor(np.arange(6, dtype=np.int64) * (rank + 1))
dist.all_reduce(ints)
np.testing.assert_array_equal(ints.numpy(), np.arange(6) * sum(r + 1 for r in range(size)))

strided = gg.tensor(np.tile(data(rank)[:, :, None], (1, 1, 2)))[:, :, 0]   # a non-contiguous view
assert not strided.is_contiguous()
dist.all_reduce(strided)
np.testing.assert_allclose(strided.numpy(), every.sum(0), rtol=1e-5, atol=1e-6)

for src in range(size):
    t = gg.tensor(data(rank))
    dist.broadcast(t, src=src)
    np.testing.assert_array_equal(t.numpy(), data(src))

outs = [gg.zeros(3, 5) for _ in range(size)]
dist.all_gather(outs, gg.tensor(data(rank)))
for r in range(size):
    np.testing.assert_array_equal(outs[r].numpy(), data(r))
big = gg.zeros(size * 3, 5)
dist.all_gather_into_tensor(big, gg.tensor(data(rank)), async_op=True).wait()
np.testing.assert_array_equal(big.numpy(), np.concatenate([data(r) for r in range(size)]))

inputs_of = [[data(10 * r + k, (4,)) for k in range(size)] for r in range(size)]   # rank r's input list
for op, reduce in [(ReduceOp.SUM, np.sum), (ReduceOp.AVG, np.mean), (ReduceOp.MAX, np.max)]:
    out = gg.zeros(4)
    dist.reduce_scatter(out, [gg.tensor(a) for a in inputs_of[rank]], op=op)
    np.testing.assert_allclose(out.numpy(), reduce([inputs_of[r][rank] for r in range(size)], axis=0),
                               rtol=1e-5, atol=1e-6)
out = gg.zeros(4)
dist.reduce_scatter_tensor(out, gg.tensor(np.concatenate(inputs_of[rank])))
np.testing.assert_allclose(out.numpy(), np.sum([inputs_of[r][rank] for r in range(size)], axis=0), rtol=1e-5)

for call, message in [(lambda: dist.all_reduce(gg.tensor([1, 2]), op=ReduceOp.AVG), "floating point"),
                      (lambda: dist.broadcast(gg.zeros(2), src=size), "not a rank"),
                      (lambda: dist.all_gather([gg.zeros(2)] * (size + 1), gg.zeros(2)), "one output tensor"),
                      (lambda: dist.all_reduce(gg.zeros(2), group="other"), "default group")]:
    try:
        call()
    except (TypeError, ValueError) as e:
        assert message in str(e), str(e)
    else:
        raise AssertionError(f"expected an error mentioning {message!r}")

dist.barrier()
dist.barrier(async_op=True).wait()
print(f"collectives ok on rank {rank} of {size}", flush=True)
dist.destroy_process_group()

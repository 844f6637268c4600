"""Run under mpiexec: N ranks with batch B/N each (DistributedDataParallel) end with the weights of
one process with batch B, for an MLP and a CNN over 20 SGD-momentum steps; also no_sync gradient
accumulation and find_unused_parameters. Rank 0 prints the largest weight difference."""
import numpy as np

import glassgrad as gg
import glassgrad.distributed as dist
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group(backend="mpi")
rank, size = dist.get_rank(), dist.get_world_size()
B, STEPS = 24, 20


def mlp():
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 5))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3),
                         nn.ReLU(), nn.Flatten(), nn.Linear(6 * 2 * 2, 5))


def batches(shape):
    rng = np.random.default_rng(7)
    return [(rng.standard_normal((B,) + shape).astype(np.float32), rng.integers(0, 5, B)) for _ in range(STEPS)]


def flat(model):
    return np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])


def gathered(vector):
    parts = [gg.zeros(vector.size) for _ in range(size)]
    dist.all_gather(parts, gg.tensor(vector))
    return [p.numpy() for p in parts]


def train(make, shape, accumulate=False):
    gg.manual_seed(0)
    reference = make()
    gg.manual_seed(0 if rank == 0 else 1000 + rank)   # different on other ranks: DDP copies rank 0's
    model = DDP(make(), bucket_cap_mb=0.0005)   # tiny buckets: several all-reduces per backward
    assert len(model._buckets) > 1
    if rank == 0:
        np.testing.assert_array_equal(flat(model.module), flat(reference))
    opt = gg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    ref_opt = gg.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
    shards = [(r * B // size, (r + 1) * B // size) for r in range(size)]
    lo, hi = shards[rank]
    started = []   # was an all-reduce under way before the first layer's gradient was in?
    first = next(model.module.parameters())
    first.register_post_accumulate_grad_hook(
        lambda p: started.append(model._buckets[0].request is not None and model._launched < len(model._buckets)))
    for x, y in batches(shape):
        opt.zero_grad()
        if accumulate:   # two micro-batches per rank; the first one keeps its gradient local
            mid = (lo + hi) // 2   # (the same split as the reference's below)
            with model.no_sync():
                (F.cross_entropy(model(gg.tensor(x[lo:mid])), gg.tensor(y[lo:mid])) / 2).backward()
            (F.cross_entropy(model(gg.tensor(x[mid:hi])), gg.tensor(y[mid:hi])) / 2).backward()
        else:
            F.cross_entropy(model(gg.tensor(x[lo:hi])), gg.tensor(y[lo:hi])).backward()
        opt.step()
        ref_opt.zero_grad()
        if accumulate:   # the same two micro-batches of every rank, gradients summed: the mean over B
            for part in (0, 1):
                idx = np.concatenate([np.arange(a, (a + b) // 2) if part == 0 else np.arange((a + b) // 2, b)
                                      for a, b in shards])
                (F.cross_entropy(reference(gg.tensor(x[idx])), gg.tensor(y[idx]), reduction="sum") / B).backward()
        else:
            F.cross_entropy(reference(gg.tensor(x)), gg.tensor(y)).backward()
        ref_opt.step()
    assert started and all(started[i] for i in range(len(started)) if not accumulate or i % 2), started
    ranks = gathered(flat(model.module))
    worst = max(float(np.abs(r - flat(reference)).max()) for r in ranks)
    spread = max(float(np.abs(r - ranks[0]).max()) for r in ranks)
    return worst, spread, float(np.abs(flat(reference)).max())


for name, make, shape in [("mlp", mlp, (12,)), ("cnn", cnn, (1, 8, 8))]:
    worst, spread, scale = train(make, shape)
    assert spread == 0.0, f"{name}: ranks disagree by {spread}"
    assert worst <= 2e-6 * max(scale, 1.0), f"{name}: {size} ranks differ from one process by {worst}"
    if rank == 0:
        print(f"{name}: {size} ranks x batch {B // size} vs 1 process x batch {B}, 20 steps: "
              f"max |dw| = {worst:.2e} (largest |w| {scale:.2f})", flush=True)
worst, spread, _ = train(mlp, (12,), accumulate=True)
assert spread == 0.0 and worst <= 2e-6, f"no_sync accumulation: {worst}"
if rank == 0:
    print(f"mlp no_sync accumulation: max |dw| = {worst:.2e}", flush=True)


class Branchy(nn.Module):
    """Uses only one of its two heads, chosen by the rank: unused parameters differ across ranks."""

    def __init__(self):
        super().__init__()
        self.body, self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x):
        return (self.a if rank % 2 == 0 else self.b)(self.body(x))


gg.manual_seed(0)
model = DDP(Branchy(), find_unused_parameters=True)
model(gg.ones(3, 4)).sum().backward()
grad_b = model.module.b.weight.grad.numpy().copy()
expected_zero = size == 1
assert (np.abs(grad_b).max() == 0) == expected_zero, grad_b
model.module.zero_grad()
model(gg.ones(3, 4)).sum().backward()   # a second iteration goes through: nothing was left waiting
print(f"same_weights ok on rank {rank} of {size}", flush=True)

"""Run under mpiexec: DistributedDataParallel fed by DistributedSampler and DataLoader worker
processes (forked from an MPI process); every rank sees its own share, and the replicas agree."""
import numpy as np

import glassgrad as gg
import glassgrad.distributed as dist
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
gg.manual_seed(0)
data = TensorDataset(gg.randn(64, 5), gg.arange(64))
sampler = DistributedSampler(data, seed=1)
model = nn.parallel.DistributedDataParallel(nn.Linear(5, 3))
opt = gg.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    sampler.set_epoch(epoch)
    seen = []
    for x, index in DataLoader(data, batch_size=8, sampler=sampler, num_workers=2):
        seen += index.tolist()
        opt.zero_grad()
        F.cross_entropy(model(x), index % 3).backward()
        opt.step()
    assert seen == list(sampler), "the workers changed the order"
    shares = [gg.zeros(len(seen), dtype=gg.int64) for _ in range(size)]
    dist.all_gather(shares, gg.tensor(seen))
    assert sorted(i for s in shares for i in s.tolist()) == list(range(64))
weights = [gg.zeros(15) for _ in range(size)]
dist.all_gather(weights, model.module.weight.detach().reshape(-1))
assert all(np.array_equal(w.numpy(), weights[0].numpy()) for w in weights)
print(f"sampler_workers ok on rank {rank} of {size}", flush=True)

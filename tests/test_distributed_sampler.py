"""DistributedSampler against PyTorch's, and glassgrad.distributed's errors in one process."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassgrad as gg
import glassgrad.distributed as dist
from glassgrad.data import DistributedSampler


def _ours_full_order(n, seed, epoch):
    """Our shuffled order of 0..n-1 for (seed, epoch): one replica, no padding."""
    s = DistributedSampler(range(n), num_replicas=1, rank=0, shuffle=True, seed=seed)
    s.set_epoch(epoch)
    return list(s)


@pytest.mark.parametrize("n", [1, 5, 10, 11, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_indices_match_pytorch(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                        drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) == len(list(ours))
        # Shuffled: PyTorch pads and shards the shuffled order exactly as it does range(n); apply our
        # permutation to PyTorch's unshuffled positions.
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=True, seed=3,
                                  drop_last=drop_last)
        ours.set_epoch(2)
        order = _ours_full_order(n, 3, 2)
        assert sorted(order) == list(range(n))
        assert list(ours) == [order[i] for i in theirs]


def test_ranks_cover_the_dataset_and_epochs_differ():
    n, replicas = 23, 4
    samplers = [DistributedSampler(range(n), replicas, r, seed=5) for r in range(replicas)]
    for s in samplers:
        s.set_epoch(0)
    first = [list(s) for s in samplers]
    assert sorted(set(i for part in first for i in part)) == list(range(n))
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != first
    for s in samplers:
        s.set_epoch(0)
    assert [list(s) for s in samplers] == first


def test_dataloader_with_distributed_sampler():
    x = gg.arange(10).float()
    loader = gg.data.DataLoader(gg.data.TensorDataset(x), batch_size=2,
                                sampler=DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce(gg.ones(2))
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group(backend="nccl")
    with pytest.raises(RuntimeError, match="init_process_group"):
        gg.nn.parallel.DistributedDataParallel(gg.nn.Linear(2, 2))


def test_one_process_group_without_mpiexec():
    """A plain `python script.py` is an MPI job of one rank."""
    assert dist.is_available()
    dist.init_process_group(backend="mpi")
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
        t = gg.tensor([1.0, 2.0])
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        assert t.tolist() == [1.0, 2.0]
        model = gg.nn.parallel.DistributedDataParallel(gg.nn.Linear(3, 2))
        x = gg.randn(4, 3)
        model(x).sum().backward()
        w = model.module.weight
        np.testing.assert_allclose(w.grad.numpy(), np.tile(x.numpy().sum(0), (2, 1)), rtol=1e-6)
        assert list(model.state_dict()) == ["module.weight", "module.bias"]
        with pytest.raises(RuntimeError, match="twice"):
            dist.init_process_group(backend="mpi")
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_missing_mpi4py_says_how_to_install(monkeypatch):
    from glassgrad.distributed import mpi
    monkeypatch.setattr(mpi, "_MPI", None)
    monkeypatch.setitem(__import__("sys").modules, "mpi4py", None)
    assert not dist.is_available()
    with pytest.raises(ImportError, match=r'pip install "glassgrad\[distributed\]"'):
        dist.init_process_group(backend="mpi")

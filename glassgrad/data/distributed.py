"""``DistributedSampler``: each rank's share of the dataset indices (``torch.utils.data``)."""
import math

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices for one rank: every ``num_replicas``-th index of a common order, starting at
    ``rank`` (PyTorch's ``DistributedSampler``).

    The order is ``range(len(dataset))``, or with ``shuffle`` a permutation drawn from
    ``seed + epoch`` (the same on every rank; call ``set_epoch(epoch)`` before each epoch for a new
    one). Without ``drop_last`` the order is padded with its own first indices to a multiple of
    ``num_replicas`` (every rank gets the same number of samples); with it, the tail is dropped.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: the number of ranks (default: ``glassgrad.distributed.get_world_size()``).
        rank: this rank (default: ``glassgrad.distributed.get_rank()``).
        shuffle, seed, drop_last: as above.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "glassgrad.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank!r}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            rng = np.random.Generator(np.random.PCG64(self.seed + self.epoch))
            indices = rng.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use ``epoch`` in the shuffle seed, so each epoch has its own order (the same on all ranks)."""
        self.epoch = int(epoch)

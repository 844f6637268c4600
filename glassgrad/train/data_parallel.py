"""Data-parallel training for ``glassgrad train`` under ``mpiexec -n N``.

``DataParallelRun()`` looks at the environment MPI's launcher sets (MPICH/Hydra's ``PMI_SIZE``,
Open MPI's ``OMPI_COMM_WORLD_SIZE``...). Started by hand it does nothing: the model, loader and
callbacks pass through unchanged. Under ``mpiexec -n N`` (N > 1) it joins the process group,
wraps the model in ``DistributedDataParallel``, gives each rank its share of every epoch
(``DistributedSampler``, reshuffled per epoch), and keeps rank 0 the only one that prints and
writes checkpoints (which hold the plain model's weights, loadable without MPI).
"""
import os
import sys

from .callbacks import Callback, ModelCheckpoint

__all__ = ["DataParallelRun", "launched_world_size"]

_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def launched_world_size():
    """How many processes the MPI launcher started (1 when not started by one)."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return 1


class _SetEpoch(Callback):
    """Reshuffles each rank's share at every epoch (``DistributedSampler.set_epoch``)."""

    def __init__(self, sampler):
        self.sampler = sampler

    def on_epoch_begin(self, epoch, logs=None):
        self.sampler.set_epoch(epoch)


class _PlainModelTrainer:
    """The running trainer as a checkpoint should see it: the wrapped model, not the wrapper."""

    def __init__(self, trainer):
        object.__setattr__(self, "_trainer", trainer)

    @property
    def model(self):
        return self._trainer.model.module

    def __getattr__(self, name):
        return getattr(self._trainer, name)

    def __setattr__(self, name, value):
        setattr(self._trainer, name, value)


class _OnPlainModel(ModelCheckpoint):
    """Runs ``callback`` (a ModelCheckpoint) with the trainer's model unwrapped (a ModelCheckpoint
    itself, so that fit runs it last like the others)."""

    def __init__(self, callback):
        self.callback = callback

    def set_trainer(self, trainer):
        self.trainer = trainer
        self.callback.set_trainer(_PlainModelTrainer(trainer))

    def __getattribute__(self, name):
        if name.startswith("on_"):
            return getattr(object.__getattribute__(self, "callback"), name)
        return object.__getattribute__(self, name)


class DataParallelRun:
    """One process's part of a data-parallel run (everything passes through when it is alone)."""

    def __init__(self):
        self.world_size, self.rank = launched_world_size(), 0
        self.active = self.world_size > 1
        if self.active:
            from .. import distributed as dist
            if not dist.is_initialized():
                dist.init_process_group(backend="mpi")
            self.world_size, self.rank = dist.get_world_size(), dist.get_rank()
            if self.rank != 0:   # one log for the whole job
                sys.stdout = open(os.devnull, "w")
            print(f"data-parallel run over {self.world_size} ranks (DistributedDataParallel over MPI; batch size "
                  "is per rank)", flush=True)

    @property
    def is_main(self):
        """True on rank 0 (or alone): the process that logs and writes files."""
        return self.rank == 0

    def wrap(self, model):
        """``model`` in DistributedDataParallel (itself when alone)."""
        if not self.active:
            return model
        from ..nn.parallel import DistributedDataParallel
        return DistributedDataParallel(model)

    def train_loader(self, dataset, batch_size, seed=0):
        """A shuffling loader of ``batch_size`` per rank over this rank's share of ``dataset``."""
        from ..data import DataLoader, DistributedSampler
        if not self.active:
            return DataLoader(dataset, batch_size=batch_size, shuffle=True)
        return DataLoader(dataset, batch_size=batch_size, sampler=DistributedSampler(dataset, seed=seed))

    def callbacks(self, callbacks, loader):
        """``callbacks`` for this rank: the given ones (which write files: checkpoints, records) on
        rank 0 only, checkpoints saving the plain model; and the per-epoch reshuffle of
        ``loader``'s DistributedSampler on every rank."""
        if not self.active:
            return list(callbacks)
        kept = [(_OnPlainModel(cb) if isinstance(cb, ModelCheckpoint) else cb) for cb in callbacks] \
            if self.is_main else []
        return [_SetEpoch(loader.sampler)] + kept

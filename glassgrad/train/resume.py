"""What ``fit`` needs to stop at a clean point and start again there: Ctrl-C deferred to the end of
the running batch, and the random streams an epoch's batch order is drawn from.

A shuffling loader draws the epoch's order from its generators when the epoch's iterator is made;
dropout and augmentation draw from the default generator as batches run. So a run stopped after
batch ``k`` of an epoch is continued exactly by: restoring the streams as they were when the epoch
began, making the iterator again (the same order), skipping ``k`` batches, then restoring the
streams as they were when the run stopped.
"""
import signal
import threading

import numpy as np

from .. import random as _random

__all__ = ["DeferredInterrupt", "loader_generators", "EpochStreams"]


class DeferredInterrupt:
    """A context in which the first Ctrl-C (SIGINT) only sets ``requested`` (the loop stops at the
    next clean point); a second one raises KeyboardInterrupt at once. Installed only in the main
    thread and over Python's default handler (a handler of the caller's is left alone)."""

    def __init__(self, on_request=None):
        self.requested = False
        self._previous = None
        self._on_request = on_request

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self._on_request is not None:
            self._on_request()

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False


def loader_generators(loader):
    """The distinct ``glassgrad.Generator`` objects a loader draws its order from (its own, its
    sampler's, its batch sampler's sampler's), other than the default one."""
    found = []
    for owner in (loader, getattr(loader, "sampler", None),
                  getattr(getattr(loader, "batch_sampler", None), "sampler", None)):
        g = getattr(owner, "generator", None)
        if (g is not None and g is not _random.default_generator and callable(getattr(g, "get_state", None))
                and all(g is not f for f in found)):
            found.append(g)
    return found


class EpochStreams:
    """The random streams of one run: snapshots at the start of an epoch and after each batch."""

    def __init__(self, loader):
        self.generators = loader_generators(loader)
        self.at_epoch_start = None
        self.at_batch_end = None

    def mark_epoch_start(self):
        """Record the streams the epoch's order is about to be drawn from."""
        self.at_epoch_start = {"rng_default": _random.get_rng_state()}
        for i, g in enumerate(self.generators):
            self.at_epoch_start[f"rng_loader_{i}"] = g.get_state()
        self.mark_batch_end()

    def mark_batch_end(self):
        """Record the streams at a clean point (the run may be stopped here)."""
        self.at_batch_end = (_random.get_rng_state(), np.random.get_state())

    def rewind_to_batch_end(self):
        """Put the streams back to the last clean point (what a partial batch drew is undone)."""
        if self.at_batch_end is not None:
            _random.set_rng_state(self.at_batch_end[0])
            np.random.set_state(self.at_batch_end[1])

    def restore_epoch_start(self, position, where):
        """Put back the streams recorded at the start of the epoch a checkpoint stopped in."""
        missing = [f"rng_loader_{i}" for i in range(len(self.generators)) if f"rng_loader_{i}" not in position]
        if missing:
            raise ValueError(f"{where}: the checkpoint lacks the random state of the loader's generator "
                             f"({missing[0]}); resume with a loader built like the saved run's")
        _random.set_rng_state(position["rng_default"])
        for i, g in enumerate(self.generators):
            g.set_state(position[f"rng_loader_{i}"])
        self.at_epoch_start = {k: v for k, v in position.items() if k.startswith("rng_")}

"""Stochastic weight averaging and exponential moving averages of a model's weights
(``torch.optim.swa_utils``): ``AveragedModel``, ``update_bn``, ``SWALR`` and the averaging functions."""
import copy
import itertools
import math

import numpy as np

from ..autograd.capture import replayed_as_call
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor, wrap_array
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import scalar_dtype

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _lerp_(start, end, weight):
    """start += weight·(end - start) in place on arrays, rounded as PyTorch's lerp."""
    diff = end - start
    if weight < 0.5:
        start += weight * diff
    else:
        np.subtract(end, diff * (1 - weight), out=start)


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update for ``AveragedModel(multi_avg_fn=...)``: ema = lerp(ema, p, 1 - decay)
    for each pair of tensors."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for ema, cur in zip(ema_param_list, current_param_list):
                if ema.dtype.kind == "f":
                    _lerp_(ema.array, cur.array, 1 - decay)
                else:
                    ema.array[...] = ema.array * decay + cur.array * (1 - decay)
                ema._version += 1
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean for ``AveragedModel(multi_avg_fn=...)``: avg = lerp(avg, p, 1/(n + 1))."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged.array) if isinstance(num_averaged, Tensor) else int(num_averaged)
        # PyTorch divides by the count tensor: the weight is rounded to the default dtype first
        weight = float(scalar_dtype()(1 / (n + 1))) if isinstance(num_averaged, Tensor) else 1 / (n + 1)
        with no_grad():
            for avg, cur in zip(averaged_param_list, current_param_list):
                if avg.dtype.kind == "f":
                    _lerp_(avg.array, cur.array, weight)
                else:
                    avg.array[...] = avg.array + (cur.array - avg.array) / (n + 1)
                avg._version += 1
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA for ``AveragedModel(avg_fn=...)``: returns decay·ema + (1 - decay)·p."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """A running mean for ``AveragedModel(avg_fn=...)``: returns avg + (p - avg)/(n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose weights are the average of ``model``'s weights over the calls to
    ``update_parameters(model)`` (SWA, Izmailov et al. 2018), or any other average given by
    ``avg_fn``/``multi_avg_fn`` (an EMA: ``multi_avg_fn=get_ema_multi_avg_fn(0.999)``).

    The first update copies the weights; ``n_averaged`` (an int64 buffer) counts the updates.
    Buffers (BatchNorm statistics) are copied from ``model`` on every update, or averaged like the
    parameters when ``use_buffers=True``; without it, recompute them with ``update_bn``.

    Args:
        model: the model to average (deep-copied).
        device: accepted for PyTorch's signature; the copy is moved there with ``.to(device)``.
        avg_fn: (averaged, current, n_averaged) -> new averaged tensor, per parameter.
        multi_avg_fn: (averaged list, current list, n_averaged) -> None, updates the lists in place.
        use_buffers: average the buffers too (and use them as they are).
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give only one of avg_fn and multi_avg_fn")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", wrap_array(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """The averaged model's output."""
        return self.module(*args, **kwargs)

    @replayed_as_call
    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.module.parameters()), list(model.parameters())
        if len(mine) != len(theirs):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(theirs)} parameters"
                             f"{' and buffers' if self.use_buffers else ''}, the averaged copy {len(mine)}; pass "
                             "the model the AveragedModel was made from")
        mine = [p.detach() for p in mine]
        theirs = [p.detach() for p in theirs]
        n = int(self.n_averaged.array)
        with no_grad():
            if n == 0:
                for a, b in zip(mine, theirs):
                    a.array[...] = b.array
                    a._version += 1
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, self.n_averaged)
            else:  # (PyTorch's CPU path: the running mean avg + (p - avg)/(n + 1), one tensor at a time)
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for a, b in zip(mine, theirs):
                    new = avg_fn(a, b, self.n_averaged)
                    a.array[...] = new.array if isinstance(new, Tensor) else new
                    a._version += 1
            if not self.use_buffers:
                for a, b in zip(self.module.buffers(), model.buffers()):
                    a.array[...] = b.array
                    a._version += 1
        self.n_averaged.array[...] = n + 1


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``
    (a cumulative average over all its batches; the first element of a tuple/list batch is the
    input). Does nothing when the model has no BatchNorm layer; the train/eval mode is restored."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate to ``swa_lr`` over ``anneal_epochs`` epochs ('cos' or 'linear'),
    then hold it: the schedule of stochastic weight averaging.

    Args:
        optimizer: the optimizer.
        swa_lr: the rate to reach (one per group, or one for all).
        anneal_epochs: epochs of the annealing (an int >= 0, default 10).
        anneal_strategy: 'cos' (default) or 'linear'.
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        """The fraction of the way to ``swa_lr`` at progress ``t`` in [0, 1]."""
        return t if self._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
import numpy as np

from ._checks import check_nonneg
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as PyTorch computes it::

        d = ±grad + weight_decay·p;   clr = lr / (1 + (t - 1)·lr_decay)
        sum = sum + d²;   p = p - clr·d / (√sum + eps)

    The state (``step`` and ``sum``, filled with ``initial_accumulator_value``) exists from
    construction on, as in PyTorch.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: the starting value of the squared-gradient sums (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        check_nonneg("learning rate", lr)
        check_nonneg("lr_decay", lr_decay)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("initial_accumulator_value", initial_accumulator_value)
        check_nonneg("epsilon", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _init_group_state(self, group):
        for p in group["params"]:
            state = self.state[p]
            if "sum" not in state:
                state["step"] = self._new_step()
                state["sum"] = self._zeros(p, group["initial_accumulator_value"])

    def _update_group(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            step = self._step_count(state)
            d = self._direction(a, g, group["weight_decay"], group["maximize"])
            clr = lr / (1 + (step - 1) * lr_decay)
            acc = state["sum"].array
            tmp, std = self._scratch(a), self._scratch(a, 1)
            np.multiply(d, d, out=tmp)
            acc += tmp
            np.sqrt(acc, out=std)
            std += eps
            np.multiply(d, -clr, out=tmp)
            tmp /= std
            a += tmp

"""Rprop: resilient backpropagation, step sizes adapted from the signs of the gradients."""
import numpy as np

from ._checks import check_nonneg
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun, 1993), as PyTorch computes it, per coordinate::

        s = sign(d·d_prev);  f = η₊ if s > 0, η₋ if s < 0, 1 if s = 0   (d = ±grad)
        step = clamp(step·f, step_min, step_max)
        d = 0 where s < 0 (no move after a sign change)
        p = p - sign(d)·step;  d_prev = d

    Args:
        params: parameters or parameter groups.
        lr: the initial step size (default 1e-2).
        etas: (η₋, η₊), the factors that shrink and grow the steps (default (0.5, 1.2)).
        step_sizes: (step_min, step_max) (default (1e-6, 50)).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False):
        check_nonneg("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (need 0 < etaminus < 1 < etaplus)")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize))

    def _update_group(self, group):
        (etaminus, etaplus), (step_min, step_max) = group["etas"], group["step_sizes"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["prev"] = self._zeros(p)
                state["step_size"] = self._zeros(p, group["lr"])
            self._step_count(state)
            d = -g if group["maximize"] else g
            prev, size = state["prev"].array, state["step_size"].array
            factor = np.sign(d * prev)
            shrink = factor < 0
            factor[factor > 0] = etaplus
            factor[shrink] = etaminus
            factor[factor == 0] = 1
            size *= factor
            np.clip(size, step_min, step_max, out=size)
            d = np.where(factor == etaminus, 0, d).astype(a.dtype, copy=False)
            a -= np.sign(d) * size
            prev[...] = d

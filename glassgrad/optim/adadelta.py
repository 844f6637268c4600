"""Adadelta: per-coordinate rates from running averages of squared gradients and updates."""
import numpy as np

from ._checks import check_nonneg
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as PyTorch computes it::

        d = ±grad + weight_decay·p
        s = ρ·s + (1 - ρ)·d²
        Δ = √(u + eps) / √(s + eps) · d
        u = ρ·u + (1 - ρ)·Δ²
        p = p - lr·Δ

    Args:
        params: parameters or parameter groups.
        lr: scale applied to the update (default 1.0).
        rho: decay of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        check_nonneg("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (must be in [0, 1])")
        check_nonneg("epsilon", eps)
        check_nonneg("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update_group(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["square_avg"] = self._zeros(p)
                state["acc_delta"] = self._zeros(p)
            self._step_count(state)
            d = self._direction(a, g, group["weight_decay"], group["maximize"])
            sq, acc = state["square_avg"].array, state["acc_delta"].array
            std, delta = self._scratch(a), self._scratch(a, 1)
            sq *= rho
            np.multiply(d, 1 - rho, out=std)
            std *= d
            sq += std
            np.add(sq, eps, out=std)
            np.sqrt(std, out=std)
            np.add(acc, eps, out=delta)
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= d
            acc *= rho
            np.multiply(delta, 1 - rho, out=std)
            std *= delta
            acc += std
            delta *= -lr
            a += delta

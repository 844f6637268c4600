"""ASGD: stochastic gradient descent with a decaying rate and a running average of the iterates."""
import numpy as np

from ._checks import check_nonneg
from .optimizer import Optimizer, scalar_dtype

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992), as PyTorch computes it::

        d = ±grad + weight_decay·p
        p = p·(1 - λ·ηₜ) - ηₜ·d
        ax = ax + μₜ·(p - ax)   (ax = p while μₜ = 1)
        ηₜ₊₁ = lr / (1 + λ·lr·t)^α;   μₜ₊₁ = 1 / max(1, t - t0)

    The average of the iterates is ``optimizer.state[p]['ax']``; η and μ are 0-d tensors in
    PyTorch's scalar dtype (float32 unless the default dtype is float64).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the rate's decay (default 0.75).
        t0: the step from which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
        check_nonneg("learning rate", lr)
        check_nonneg("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update_group(self, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["eta"] = self._scalar_state(lr)
                state["mu"] = self._scalar_state(1.0)
                state["ax"] = self._zeros(p)
            step = self._step_count(state)
            d = self._direction(a, g, group["weight_decay"], group["maximize"])
            eta = float(state["eta"].array)
            tmp = self._scratch(a)
            a *= 1 - lambd * eta
            np.multiply(d, -eta, out=tmp)
            a += tmp
            ax, mu = state["ax"].array, state["mu"].array
            if float(mu) != 1:
                np.subtract(a, ax, out=tmp)
                tmp *= mu
                ax += tmp
            else:
                ax[...] = a
            # the new values pass through the scalar dtype whatever the state's dtype (PyTorch's as_tensor)
            state["eta"].array[...] = scalar_dtype()(lr / ((1 + lambd * lr * step) ** alpha))
            state["mu"].array[...] = scalar_dtype()(1 / max(1, step - t0))

"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from ._checks import check_adam_options
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7), as PyTorch computes it::

        d = ±grad + weight_decay·p
        m = lerp(m, d, 1 - β1);  u = max(β2·u, |d| + eps)
        p = p - lr/(1 - β1ᵗ) · m / u

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 2e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: added to |d| (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["exp_avg"] = self._zeros(p)
                state["exp_inf"] = self._zeros(p)
            step = self._step_count(state)
            d = self._direction(a, g, group["weight_decay"], group["maximize"])
            m, u = state["exp_avg"].array, state["exp_inf"].array
            tmp = self._scratch(a)
            self._lerp_(m, d, 1 - beta1, tmp)
            u *= beta2
            np.abs(d, out=tmp)
            tmp += eps
            np.maximum(u, tmp, out=u)
            clr = lr / (1 - beta1 ** step)
            np.divide(m, u, out=tmp)
            tmp *= -clr
            a += tmp

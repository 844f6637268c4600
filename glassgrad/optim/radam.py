"""RAdam: Adam with the variance of the adaptive rate rectified in the first steps."""
import numpy as np

from ._checks import check_adam_options
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al., 2019), as PyTorch computes it::

        d = ±grad + weight_decay·p          (or p *= 1 - lr·weight_decay when decoupled)
        m = lerp(m, d, 1 - β1);  v = β2·v + (1 - β2)·d²
        ρ∞ = 2/(1 - β2) - 1;  ρₜ = ρ∞ - 2t·β2ᵗ/(1 - β2ᵗ)
        p = p - lr·m/(1 - β1ᵗ) · √(1 - β2ᵗ)/(√v + eps) · r     when ρₜ > 5,
            r = √((ρₜ - 4)(ρₜ - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρₜ))
        p = p - lr·m/(1 - β1ᵗ)                                 otherwise (plain momentum)

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        decoupled_weight_decay: decay the weights directly (as AdamW) instead of adding an L2 gradient.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update_group(self, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["exp_avg"] = self._zeros(p)
                state["exp_avg_sq"] = self._zeros(p)
            step = self._step_count(state)
            d = self._decayed_direction(a, g, lr, wd, decoupled, group["maximize"])
            m, v = state["exp_avg"].array, state["exp_avg_sq"].array
            tmp, upd = self._scratch(a), self._scratch(a, 1)
            self._adam_moments_(m, v, d, beta1, beta2, tmp)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            np.divide(m, bias_correction1, out=upd)
            upd *= lr
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                np.sqrt(v, out=tmp)
                tmp += eps
                np.divide(bias_correction2 ** 0.5, tmp, out=tmp)
                upd *= tmp
                upd *= rect
            a -= upd

"""NAdam: Adam with Nesterov momentum (and momentum decay)."""
import numpy as np

from ._checks import check_adam_options, check_nonneg
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat, 2016), as PyTorch computes it::

        d = ±grad + weight_decay·p          (or p *= 1 - lr·weight_decay when decoupled)
        μₜ = β1·(1 - ½·0.96^(t·momentum_decay));  Πₜ = Πₜ₋₁·μₜ
        m = lerp(m, d, 1 - β1);  v = β2·v + (1 - β2)·d²;  den = √(v / (1 - β2ᵗ)) + eps
        p = p - lr·(1 - μₜ)/(1 - Πₜ) · d/den - lr·μₜ₊₁/(1 - Πₜ·μₜ₊₁) · m/den

    Πₜ (state ``mu_product``) is a 0-d tensor in PyTorch's scalar dtype (float32 unless the default
    dtype is float64), as PyTorch keeps it.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 2e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        momentum_decay: the ψ of μₜ's schedule (default 4e-3).
        decoupled_weight_decay: decay the weights directly (NAdamW) instead of adding an L2 gradient.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        check_nonneg("momentum_decay", momentum_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _update_group(self, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["mu_product"] = self._scalar_state(1.0)
                state["exp_avg"] = self._zeros(p)
                state["exp_avg_sq"] = self._zeros(p)
            step = self._step_count(state)
            d = self._decayed_direction(a, g, lr, wd, decoupled, group["maximize"])
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mp = state["mu_product"].array
            mp *= mu  # rounded in the state's dtype, as PyTorch's 0-d tensor
            mu_product = float(mp)
            mu_product_next = mu_product * mu_next
            m, v = state["exp_avg"].array, state["exp_avg_sq"].array
            tmp, den = self._scratch(a), self._scratch(a, 1)
            self._adam_moments_(m, v, d, beta1, beta2, tmp)
            np.divide(v, 1 - beta2 ** step, out=den)
            np.sqrt(den, out=den)
            den += eps
            np.divide(d, den, out=tmp)
            tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
            a += tmp
            np.divide(m, den, out=tmp)
            tmp *= (-lr * mu_next) / (1.0 - mu_product_next)
            a += tmp

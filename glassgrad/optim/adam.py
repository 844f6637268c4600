"""Adam (and AMSGrad), with L2 or decoupled weight decay."""
import math

import numpy as np

from . import _fused
from ._checks import check_adam_options
from .optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as PyTorch computes it::

        d = ±grad + weight_decay·p          (or p *= 1 - lr·weight_decay when decoupled)
        m = lerp(m, d, 1 - β1);  v = β2·v + (1 - β2)·d²;  v̂ = max(v̂, v) (amsgrad)
        p = p - lr/(1 - β1ᵗ) · m / (√v / √(1 - β2ᵗ) + eps)

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        betas: (β1, β2), the decay of the first and second moment averages (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the running maximum of v (AMSGrad).
        maximize: ascend the objective instead of descending.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding an L2 gradient.
        fused: None (default) uses the Numba kernel when Numba is installed, True requires it; False
            always takes the NumPy path (a tiny model gains nothing from the kernel, and then never pays Numba's import).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False, fused=None):
        check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))
        if fused not in (None, False, True):
            raise TypeError(f"Adam: fused must be None, False or True, got {fused!r}")
        if fused and not _fused.enabled:
            raise RuntimeError("Adam(fused=True) needs Numba (pip install numba) and GLASSGRAD_FUSED unset or 1")
        self.fused = fused

    def _update_group(self, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        amsgrad, decoupled = group["amsgrad"], group.get("decoupled_weight_decay", False)
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["exp_avg"] = self._zeros(p)
                state["exp_avg_sq"] = self._zeros(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = self._zeros(p)
            step = self._step_count(state)
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
            if not amsgrad and not group["maximize"] and self.fused is not False and _fused.adam_update(
                    a, g, state["exp_avg"].array, state["exp_avg_sq"].array, 1 - lr * wd if decoupled else 1.0,
                    0.0 if decoupled else wd, beta1, beta2, step_size, bias_correction2_sqrt, eps):
                continue
            d = self._decayed_direction(a, g, lr, wd, decoupled, group["maximize"])
            m, v = state["exp_avg"].array, state["exp_avg_sq"].array
            tmp, tmp2 = self._scratch(a), self._scratch(a, 1)
            self._adam_moments_(m, v, d, beta1, beta2, tmp)
            if amsgrad:
                if "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = self._zeros(p)
                vmax = state["max_exp_avg_sq"].array
                np.maximum(vmax, v, out=vmax)
                v = vmax
            np.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps
            np.multiply(m, -step_size, out=tmp2)
            tmp2 /= tmp
            a += tmp2

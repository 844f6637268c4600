"""RMSprop, with momentum and the centered variant."""
import numpy as np

from ._checks import check_nonneg
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as PyTorch computes it::

        d = ±grad + weight_decay·p
        s = α·s + (1 - α)·d²;   avg = √(s - ḡ²) with ḡ = lerp(ḡ, d, 1 - α) (centered), else √s
        buf = momentum·buf + d / (avg + eps);  p = p - lr·buf     (momentum > 0)
        p = p - lr·d / (avg + eps)                                (otherwise)

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by the estimated variance of the gradient instead of its second moment.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        check_nonneg("learning rate", lr)
        check_nonneg("epsilon", eps)
        check_nonneg("momentum", momentum)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("alpha", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update_group(self, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for p, a, g in self._params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._new_step()
                state["square_avg"] = self._zeros(p)
                if momentum > 0:
                    state["momentum_buffer"] = self._zeros(p)
                if group["centered"]:
                    state["grad_avg"] = self._zeros(p)
            self._step_count(state)
            d = self._direction(a, g, group["weight_decay"], group["maximize"])
            sq = state["square_avg"].array
            avg, tmp = self._scratch(a), self._scratch(a, 1)
            sq *= alpha
            np.multiply(d, 1 - alpha, out=tmp)
            tmp *= d
            sq += tmp
            if group["centered"]:
                if "grad_avg" not in state:
                    state["grad_avg"] = self._zeros(p)
                ga = state["grad_avg"].array
                self._lerp_(ga, d, 1 - alpha, tmp)
                np.negative(ga, out=tmp)
                tmp *= ga
                np.add(sq, tmp, out=avg)
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(sq, out=avg)
            avg += eps
            if momentum > 0:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = self._zeros(p)
                buf = state["momentum_buffer"].array
                buf *= momentum
                np.divide(d, avg, out=tmp)
                buf += tmp
                np.multiply(buf, -lr, out=tmp)
                a += tmp
            else:
                np.multiply(d, -lr, out=tmp)
                tmp /= avg
                a += tmp

"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay."""
import numpy as np

from ..autograd.tensor import wrap_array
from ._checks import check_nonneg
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD, as PyTorch computes it::

        d = ±grad + weight_decay·p
        buf = d (first step),  else momentum·buf + (1 - dampening)·d
        d = d + momentum·buf (nesterov)  or  buf
        p = p - lr·d

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty coefficient (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        check_nonneg("learning rate", lr)
        check_nonneg("momentum", momentum)
        check_nonneg("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        for p, a, g in self._params_with_grad(group):
            d = self._direction(a, g, group["weight_decay"], group["maximize"])
            if momentum:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = wrap_array(d.copy())
                else:
                    b = buf.array
                    b *= momentum
                    if dampening:
                        tmp = self._scratch(a)
                        np.multiply(d, 1 - dampening, out=tmp)
                        b += tmp
                    else:
                        b += d
                if group["nesterov"]:
                    tmp = self._scratch(a)
                    np.multiply(buf.array, momentum, out=tmp)
                    tmp += d
                    d = tmp
                else:
                    d = buf.array
            tmp = self._scratch(a)
            np.multiply(d, -lr, out=tmp)
            a += tmp

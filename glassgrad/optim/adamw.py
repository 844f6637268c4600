"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter)."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam whose weight decay shrinks the weights directly, p *= 1 - lr·weight_decay, before the
    Adam step (instead of adding weight_decay·p to the gradient).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        betas: (β1, β2) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: decoupled weight decay (default 0.01).
        amsgrad: use the running maximum of the second moment.
        maximize: ascend the objective instead of descending.
        fused: as Adam's (None: the Numba kernel when installed; False: the NumPy path).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True, fused=fused)

"""L1 and L2 penalties to add to a loss (the L2 penalty is also built into the optimizers as
``weight_decay``)."""
from ..autograd.tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty"]


def _params(parameters, op):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise ValueError(f"{op}: got no parameters; pass model.parameters() or a list of tensors")
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(p).__name__}")
    return params


def l1_penalty(parameters, weight):
    """weight · Σ_p Σ|p|: a differentiable scalar to add to the loss (its gradient is
    weight·sign(p); it drives small weights to exactly zero, giving sparse models).

    Shape: parameters of any shapes; output a 0-d tensor."""
    total = None
    for p in _params(parameters, "l1_penalty"):
        term = p.abs().sum()
        total = term if total is None else total + term
    return total * weight


def l2_penalty(parameters, weight):
    """weight · Σ_p Σ p²: a differentiable scalar to add to the loss. Its gradient is
    2·weight·p, so ``weight_decay=wd`` in an optimizer equals ``l2_penalty(params, wd / 2)``.

    Shape: parameters of any shapes; output a 0-d tensor."""
    total = None
    for p in _params(parameters, "l2_penalty"):
        term = (p * p).sum()
        total = term if total is None else total + term
    return total * weight

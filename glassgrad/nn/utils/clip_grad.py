"""Gradient clipping: rescale (``clip_grad_norm_``) or clamp (``clip_grad_value_``) the ``.grad``
of parameters in place, between ``backward()`` and ``optimizer.step()``."""
import math

import numpy as np

from ...autograd.capture import replayed_as_call
from ...autograd.tensor import Tensor, wrap_array

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _param_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(array, norm_type):
    flat = array.reshape(-1)
    if norm_type == math.inf:
        return np.abs(flat).max() if flat.size else flat.dtype.type(0)
    if norm_type == -math.inf:
        return np.abs(flat).min() if flat.size else flat.dtype.type(math.inf)
    if norm_type == 0:
        return flat.dtype.type(np.count_nonzero(flat))
    if norm_type == 2:
        return np.sqrt(np.dot(flat, flat)) if flat.dtype.kind == "f" else np.linalg.norm(flat)
    return (np.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector
    (``inf`` for the largest absolute value). Returns a 0-d Tensor."""
    arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in _param_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.zeros((), np.float32))
    dtype = np.result_type(*arrays)
    norms = np.array([_norm(a, norm_type) for a in arrays], dtype=dtype)
    total = _norm(norms, norm_type).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return wrap_array(np.asarray(total, dtype=dtype))


@replayed_as_call
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in place."""
    total = float(total_norm.array if isinstance(total_norm, Tensor) else total_norm)
    for p in _param_list(parameters):
        if p.grad is None:
            continue
        g = p.grad.array
        with np.errstate(invalid="ignore", over="ignore"):  # a non-finite norm gives NaNs, as in PyTorch
            coef = min(g.dtype.type(max_norm) / (g.dtype.type(total) + g.dtype.type(1e-6)), g.dtype.type(1.0))
            g *= g.dtype.type(coef)
        p.grad._version += 1


@replayed_as_call
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` in place so that their total norm (all gradients
    as one vector) is at most ``max_norm``: each is multiplied by min(1, max_norm / (norm + 1e-6)).

    Args:
        parameters: a Tensor or an iterable of Tensors (those with ``.grad`` None are skipped).
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm (2.0 by default; ``float('inf')`` for the max norm).
        error_if_nonfinite: raise RuntimeError when the total norm is NaN or infinite.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor.
    """
    params = [p for p in _param_list(parameters) if p.grad is not None]
    grads = [p.grad for p in params]
    if not grads:
        return Tensor(np.zeros((), np.float32))
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


@replayed_as_call
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of ``parameters`` to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _param_list(parameters):
        if p.grad is not None:
            g = p.grad.array
            np.clip(g, -clip_value, clip_value, out=g)
            p.grad._version += 1

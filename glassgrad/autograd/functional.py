"""Functional autograd: ``grad`` (gradients as return values) and ``vjp``."""
from .engine import _as_grad, run_backward
from .tensor import Tensor


def _as_list(x):
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (no ``.grad`` is
    touched). With ``create_graph=True`` the results are themselves differentiable.

    Args:
        outputs: tensor or sequence of tensors to differentiate.
        inputs: tensor or sequence of tensors to differentiate with respect to.
        grad_outputs: the vector of the vector-Jacobian product, one per output (None: ones for
            scalar outputs).
        allow_unused: return None for an input the outputs do not depend on, instead of raising.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; "
                           "pass one per output")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; set requires_grad=True on it")
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and does not have a grad_fn; "
                               "it does not depend on any input that requires grad")
    grads = [_as_grad(o, g) for o, g in zip(outputs, grad_outputs)]
    found = run_backward(outputs, grads, retain_graph, create_graph,
                         capture={id(t): (t, i) for i, t in enumerate(inputs)})
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} was not used in the graph of the outputs; pass "
                               "allow_unused=True to get None for it")
    return tuple(found)


def vjp(func, inputs, v=None, create_graph=False):
    """``(func(*inputs), vᵀ·J)``: the outputs of ``func`` and the vector-Jacobian product."""
    single = isinstance(inputs, Tensor)
    inputs = tuple(t.detach().requires_grad_() for t in _as_list(inputs))
    from .grad_mode import enable_grad
    with enable_grad():
        out = func(*inputs)
    grads = grad(out, inputs, v, create_graph=create_graph, allow_unused=True)
    grads = tuple(g if g is not None else Tensor(inputs[i].array * 0) for i, g in enumerate(grads))
    return (out if create_graph else _detach_all(out)), (grads[0] if single else grads)


def _detach_all(out):
    return out.detach() if isinstance(out, Tensor) else tuple(o.detach() for o in out)

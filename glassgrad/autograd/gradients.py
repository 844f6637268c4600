"""``autograd.grad``: the gradients of outputs with respect to chosen inputs, returned (not accumulated)."""
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

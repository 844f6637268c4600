"""``gradcheck`` and ``gradgradcheck``: backward against central finite differences (float64)."""
import numpy as np

from .gradients import grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)]


def _differentiable(inputs):
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _numerical_jacobians(fn, inputs, eps):
    """J[k][i] with shape (out_k.size, in_i.size), by central differences. Each input element is
    perturbed in place (any strides work), and restored."""
    with no_grad():
        outs = _outputs(fn, inputs)
        jac = [[np.zeros((o.array.size, inputs[i].array.size)) for i in _differentiable(inputs)] for o in outs]
        for col, i in enumerate(_differentiable(inputs)):
            array = inputs[i].array
            for j, index in enumerate(np.ndindex(array.shape)):
                orig = array[index].copy()
                array[index] = orig + eps
                plus = [np.array(o.array, dtype=np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                array[index] = orig - eps
                minus = [np.array(o.array, dtype=np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                array[index] = orig
                for k in range(len(outs)):
                    jac[k][col][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical_jacobians(fn, inputs):
    idx = _differentiable(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    jac = [[np.zeros((o.array.size, inputs[i].array.size)) for i in idx] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for r in range(o.array.size):
            seed = np.zeros(o.array.size, dtype=o.array.dtype)
            seed[r] = 1
            gs = grad(o, [inputs[i] for i in idx], Tensor(seed.reshape(o.shape)), retain_graph=True,
                      allow_unused=True)
            for col, g in enumerate(gs):
                if g is not None:
                    jac[k][col][r] = np.asarray(g.array, dtype=np.float64).reshape(-1)
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0):
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    Every input that requires grad must be float64. Returns True when all Jacobian entries satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|``; otherwise raises (or returns False)
    naming the output, input and worst element.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    idx = _differentiable(inputs)
    if not idx:
        raise ValueError("gradcheck: no input requires grad; set requires_grad=True on at least one")
    for i in idx:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                             "inputs (use .double())")
    analytical = _analytical_jacobians(fn, inputs)
    numerical = _numerical_jacobians(fn, inputs, eps)
    with no_grad():
        out_shapes = [tuple(o.shape) for o in _outputs(fn, inputs)]
    for k, (arow, nrow) in enumerate(zip(analytical, numerical)):
        for col, (a, n) in enumerate(zip(arow, nrow)):
            err = np.abs(a - n) - (atol + rtol * np.abs(n))
            if err.size and not err.max() <= 0:  # "not <=" also catches NaN
                err = np.where(np.isnan(err), np.inf, err)
                r, c = np.unravel_index(np.argmax(err), err.shape)
                out_at = np.unravel_index(r, out_shapes[k]) if out_shapes[k] else ()
                in_at = np.unravel_index(c, inputs[idx[col]].shape) if inputs[idx[col]].shape else ()
                bad = int((err > 0).sum())
                msg = (f"gradcheck: Jacobian mismatch for output {k} with respect to input {idx[col]}: "
                       f"{bad} of {err.size} entries differ. Worst: d output{list(map(int, out_at))} / "
                       f"d input{list(map(int, in_at))} is {float(a[r, c])!r} (analytical, from backward) "
                       f"vs {float(n[r, c])!r} (numerical, central differences with eps={eps}); "
                       f"allowed |difference| <= atol + rtol * |numerical| with atol={atol}, rtol={rtol}.")
                if a.size <= 100:
                    msg += f"\nanalytical:\n{a}\nnumerical:\n{n}"
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  seed=0):
    """Check second derivatives: ``gradcheck`` of the vector-Jacobian product of ``fn``, with
    ``grad_outputs`` (random when not given) also treated as inputs."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    idx = _differentiable(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    n_in = len(inputs)

    def vjp_fn(*args):
        ins, gos = args[:n_in], args[n_in:]
        with enable_grad():
            res = grad(_outputs(fn, ins), [ins[i] for i in idx], list(gos), create_graph=True, allow_unused=True)
            return tuple(r for r in res if r is not None)

    return gradcheck(vjp_fn, inputs + tuple(grad_outputs), eps, atol, rtol, raise_exception)

"""The base of the attribution methods (Captum's ``Attribution``): the model they explain, what they
return, and the convergence delta of the path methods."""
from ...autograd.grad_mode import no_grad
from .arguments import (check_target, dense_baselines, format_baselines, format_forward_args, format_inputs,
                        run_forward)

__all__ = ["Attribution", "GradientAttribution"]


class Attribution:
    """An attribution method for ``forward_func``: an ``nn.Module`` or any callable taking the inputs
    (then ``additional_forward_args``) and returning a Tensor whose first dimension is the batch."""

    uses_gradients = False

    def __init__(self, forward_func):
        if not callable(forward_func):
            raise TypeError(f"{type(self).__name__}: forward_func must be a model or a callable returning a "
                            f"Tensor, got {type(forward_func).__name__}")
        self.forward_func = forward_func

    def has_convergence_delta(self):
        """Whether ``attribute`` can return a convergence delta (``return_convergence_delta=True``)."""
        return False

    @property
    def multiplies_by_inputs(self):
        """Whether the attributions are multiplied by ``inputs - baselines`` (global attribution)."""
        return False


class GradientAttribution(Attribution):
    """A method that reads gradients of the model's output with respect to its inputs."""

    uses_gradients = True

    def compute_convergence_delta(self, attributions, start_point, end_point, target=None,
                                  additional_forward_args=None):
        """Per example: the sum of the attributions minus ``f(end_point) - f(start_point)`` (Captum's
        convergence delta; completeness says it is 0 for exact integrated gradients)."""
        who = f"{type(self).__name__}.compute_convergence_delta"
        ends, _ = format_inputs(end_point, who, floating=False)
        starts = dense_baselines(format_baselines(start_point, ends, who), ends)
        attrs = attributions if isinstance(attributions, tuple) else (attributions,)
        n = ends[0].shape[0]
        for a in attrs:
            if a.shape[0] != n:
                raise ValueError(f"{who}: attributions have {a.shape[0]} rows but end_point has {n} examples")
        check_target(target, n, who)
        args = format_forward_args(additional_forward_args)
        with no_grad():
            start_out = run_forward(self.forward_func, starts, target, args, who)
            end_out = run_forward(self.forward_func, ends, target, args, who)
            total = None
            for a in attrs:
                rows = a.reshape(n, -1).sum(1)
                total = rows if total is None else total + rows
            return total - (end_out.reshape(n, -1).sum(1) - start_out.reshape(n, -1).sum(1))

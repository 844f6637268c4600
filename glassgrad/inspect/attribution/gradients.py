"""The plain-gradient methods: saliency (|∂f/∂x|, Simonyan et al. 2013) and gradient × input."""
from .arguments import check_target, format_forward_args, format_inputs, format_output, gradients
from .base import GradientAttribution

__all__ = ["Saliency", "InputXGradient"]


def _prepare(inputs, target, additional_forward_args, who):
    xs, is_tuple = format_inputs(inputs, who)
    check_target(target, xs[0].shape[0], who)
    return tuple(x.detach().requires_grad_() for x in xs), is_tuple, format_forward_args(additional_forward_args)


class Saliency(GradientAttribution):
    """The gradient of the target output with respect to each input feature (Captum's ``Saliency``)."""

    def attribute(self, inputs, target=None, abs=True, additional_forward_args=None):
        """∂f/∂x shaped like ``inputs`` (its absolute value unless ``abs=False``). ``target`` and
        ``additional_forward_args`` as in ``IntegratedGradients.attribute``."""
        who = "Saliency.attribute"
        xs, is_tuple, args = _prepare(inputs, target, additional_forward_args, who)
        grads = gradients(self.forward_func, xs, target, args, who)
        return format_output(is_tuple, [g.abs() if abs else g for g in grads])


class InputXGradient(GradientAttribution):
    """Gradient × input: x · ∂f/∂x per feature (Captum's ``InputXGradient``)."""

    @property
    def multiplies_by_inputs(self):
        return True

    def attribute(self, inputs, target=None, additional_forward_args=None):
        """x · ∂f/∂x shaped like ``inputs``. ``target`` and ``additional_forward_args`` as in
        ``IntegratedGradients.attribute``."""
        who = "InputXGradient.attribute"
        xs, is_tuple, args = _prepare(inputs, target, additional_forward_args, who)
        grads = gradients(self.forward_func, xs, target, args, who)
        return format_output(is_tuple, [x.detach() * g for x, g in zip(xs, grads)])

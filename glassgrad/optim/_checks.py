"""Argument checks shared by the optimizers (PyTorch's ValueErrors)."""

__all__ = []


def check_nonneg(name, value):
    """Raise ValueError unless ``value`` >= 0, naming the option."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value} (must be >= 0)")


def check_beta(name, value):
    """Raise ValueError unless 0 <= ``value`` < 1."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"Invalid {name}: {value} (must be in [0, 1))")


def check_adam_options(lr, betas, eps, weight_decay):
    """The checks of the Adam family's shared options (lr, betas, eps, weight_decay)."""
    check_nonneg("learning rate", lr)
    check_nonneg("epsilon", eps)
    check_beta("beta parameter at index 0", betas[0])
    check_beta("beta parameter at index 1", betas[1])
    check_nonneg("weight_decay", weight_decay)

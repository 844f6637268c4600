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

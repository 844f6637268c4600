"""``glassgrad.nn``: modules, layers, losses, initializers (PyTorch's ``torch.nn``)."""
from . import functional, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Parameter  # noqa: F401

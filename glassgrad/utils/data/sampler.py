"""``glassgrad.utils.data.sampler``: PyTorch's ``torch.utils.data.sampler`` path to ``glassgrad.data.sampler``."""
from ...data.sampler import *  # noqa: F401,F403
from ...data.sampler import __all__  # noqa: F401

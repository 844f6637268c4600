"""``glassgrad.utils.data.dataloader``: PyTorch's ``torch.utils.data.dataloader`` path to ``glassgrad.data.dataloader``."""
from ...data.dataloader import *  # noqa: F401,F403
from ...data.dataloader import __all__  # noqa: F401

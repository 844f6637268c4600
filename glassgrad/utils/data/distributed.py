"""``glassgrad.utils.data.distributed``: PyTorch's ``torch.utils.data.distributed`` path to ``glassgrad.data.distributed``."""
from ...data.distributed import *  # noqa: F401,F403
from ...data.distributed import __all__  # noqa: F401

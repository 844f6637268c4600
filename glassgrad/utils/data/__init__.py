"""``glassgrad.utils.data``: PyTorch's ``torch.utils.data`` path to the objects of
``glassgrad.data`` (the same objects, not copies), so ``torch.utils.data.DataLoader`` ports as is."""
from ...data import *  # noqa: F401,F403
from ...data import get_worker_info  # noqa: F401
from . import dataloader, dataset, distributed, sampler  # noqa: F401

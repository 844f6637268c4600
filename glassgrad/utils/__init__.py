"""``glassgrad.utils``: PyTorch's ``torch.utils`` paths: ``data`` (the objects of ``glassgrad.data``)
and ``tensorboard.SummaryWriter`` (imported only when used)."""
from . import data  # noqa: F401

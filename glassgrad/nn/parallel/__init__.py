"""``glassgrad.nn.parallel``: data-parallel training over ``glassgrad.distributed``."""
from .distributed import DistributedDataParallel  # noqa: F401

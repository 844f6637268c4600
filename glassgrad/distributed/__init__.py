"""``glassgrad.distributed``: processes that train together over MPI (PyTorch's
``torch.distributed`` names; the only backend is ``"mpi"``, on mpi4py).

Launch ``mpiexec -n 4 python train.py``; in the script call ``init_process_group(backend="mpi")``
and wrap the model in ``nn.parallel.DistributedDataParallel``. Needs the ``distributed`` extra
(``pip install "glassgrad[distributed]"``: MPICH and mpi4py from PyPI, no system MPI).
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor, all_reduce,  # noqa: F401
                          barrier, broadcast, reduce_scatter, reduce_scatter_tensor)
from .process_group import (GroupMember, destroy_process_group, get_backend, get_rank,  # noqa: F401
                            get_world_size, group, init_process_group, is_available, is_initialized)

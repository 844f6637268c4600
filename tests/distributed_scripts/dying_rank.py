"""Run under mpiexec: rank 1 raises while the others wait in a collective; the job must end."""
import glassgrad as gg
import glassgrad.distributed as dist

dist.init_process_group(backend="mpi")
if dist.get_rank() == 1:
    raise ValueError("rank 1 ran out of data")
dist.all_reduce(gg.ones(3))   # would wait forever for rank 1

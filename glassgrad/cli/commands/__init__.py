"""The subcommands, one module each. A module defines ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args)`` (returning the exit status); a module with ``RAW = True`` gets the raw argument
list instead (``run_argv(argv)``). Adding a subcommand = one module + one line below."""
from . import bench, demo, doctor, evaluate, explain, predict, report, sample, train

COMMANDS = (demo, train, evaluate, doctor, report, predict, sample, bench, explain)

"""The ``glassgrad`` command (entry point ``glassgrad.cli:main``).

One module per job: ``parser`` (the argument parser and its value checks), ``data`` (the data sets
by name), ``optimizers`` (the optimizer factory), ``paths`` (checks of files to read and write,
before any work), ``training`` (a training run, fresh or resumed), and ``commands/`` with one module
per subcommand. Bad arguments, missing or corrupt data and unusable files print one line to stderr
and exit with status 2; Ctrl-C exits with status 130.
"""
from .errors import UsageError  # noqa: F401
from .main import main  # noqa: F401

__all__ = ["main"]

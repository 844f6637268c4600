"""Benchmarks: glassgrad side by side with PyTorch, each framework in a process of its own (the
workloads are defined in benchmarks/WORKLOADS.md of the glassgrad repository).

One job per file: ``command.py`` is ``glassgrad bench`` (the tables); ``harness.py`` starts the
workers and takes medians; ``worker.py`` times one case in one framework (run by path, so it imports
only that framework); ``workloads.py`` is the workload table; ``layers.py`` and ``tiny.py`` are
the extra suites (W_CNN's layers, W_TINY on raw tensors); ``learning.py`` trains the learning
workloads on MNIST. Figures and how to run them: ``benchmarks/README.md``.
"""
from .command import main

__all__ = ["main"]

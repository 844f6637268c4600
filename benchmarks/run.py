"""Run the standard workloads for glassgrad and PyTorch: ``python benchmarks/run.py [--json out.json]``.

The same as ``glassgrad bench``; see ``glassgrad/bench/`` for the workloads and the harness.
"""
import sys

from glassgrad.bench import main

if __name__ == "__main__":
    sys.exit(main())

"""``glassgrad bench``: the benchmark harness (``glassgrad.bench``), which parses its own arguments."""
NAME = "bench"
HELP = "time the standard workloads in glassgrad and PyTorch side by side (glassgrad bench --help)"
RAW = True


def run_argv(argv):
    """Run the harness with ``argv``; the exit status."""
    from glassgrad.bench import main as bench_main
    return bench_main(argv)

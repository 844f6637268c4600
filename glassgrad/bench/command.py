"""``glassgrad bench``: time the standard workloads in glassgrad and PyTorch side by side.

Each framework runs in its own process that imports nothing of the other (PyTorch's OpenMP
threads slow NumPy's BLAS down when both live in one, and importing glassgrad changes malloc's
settings), alternating A B A B; a case's time is the median over the repetitions of each process's
median ms/step. The ratio is glassgrad / PyTorch: below 1 means glassgrad is faster.

Besides the workloads (training steps, ``workloads.py``): ``--layers`` times W_CNN's layers alone
(``layers.py``), ``--raw-tiny`` W_TINY written on raw tensors (``tiny.py``), ``--gemm`` NumPy's and
PyTorch's matmul at the workloads' GEMM shapes, ``--sweep`` W_MLP over batch sizes and widths,
``--malloc`` PyTorch with and without glassgrad's malloc settings, ``--compiled`` glassgrad's steps
through ``glassgrad.compile`` next to its eager steps and PyTorch's. ``--profile CASE`` prints a
cProfile of glassgrad steps instead.
"""
import argparse
import importlib.util
import json
import os

from . import harness, layers, tiny
from .workloads import GEMMS, WORKLOADS

HEADER = (f"{'workload':<16}{'gg ms':>10}{'torch ms':>10}{'ratio':>7}{'gemm lb':>10}{'gg MB':>9}{'torch MB':>9}"
          f"{'gg tok/s':>12}{'torch tok/s':>12}")
SWEEP = [(1, 512), (16, 512), (128, 512), (1024, 512), (128, 64), (128, 1024), (128, 4096)]
_SUITE_OF = {**{w: "workloads" for w in WORKLOADS}, **{c: "layers" for c in layers.CASES},
             **{c: "tiny" for c in tiny.CASES}}


def measure(workload, repeats=3, warmup=5, steps=30, extra=(), with_torch=True, suite="workloads", threads=None):
    """{'glassgrad_ms', 'torch_ms', 'ratio', peak RSS...} for one case, A B A B interleaved."""
    flags = ("--warmup", warmup, "--steps", steps, *extra)
    bound = suite == "workloads" and workload in GEMMS and not extra
    runners = {"glassgrad": ("glassgrad", None, ("--gemm-bound",) if bound else ())}
    if with_torch:
        runners["torch"] = ("torch", None, ())
    runs = harness.compare(suite, workload, runners, repeats, *flags, threads=threads)
    out = {"glassgrad_ms": harness.median_of(runs["glassgrad"]),
           "glassgrad_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["glassgrad"])}
    if with_torch:
        out["torch_ms"] = harness.median_of(runs["torch"])
        out["torch_peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs["torch"])
        out["ratio"] = out["glassgrad_ms"] / out["torch_ms"]
    if bound:
        out["gemm_lower_bound_ms"] = harness.median_of(runs["glassgrad"], "gemm_lower_bound_ms")
    tokens = WORKLOADS[workload].tokens_per_step if suite == "workloads" and not extra else None
    if tokens:
        for fw in runners:
            out[f"{fw}_tokens_per_s"] = tokens / (out[f"{fw}_ms"] / 1e3)
    return out


def measure_malloc(workload, repeats=3, warmup=5, steps=30, suite="workloads", threads=None):
    """PyTorch alone and PyTorch under glassgrad's malloc settings, A B A B: {'torch_ms',
    'torch_gg_malloc_ms', 'ratio'} (ratio = with / without; below 1: the settings speed PyTorch up)."""
    runners = {"plain": ("torch", None, ()), "malloc": ("torch", "glassgrad", ())}
    runs = harness.compare(suite, workload, runners, repeats, "--warmup", warmup, "--steps", steps, threads=threads)
    plain, malloc = harness.median_of(runs["plain"]), harness.median_of(runs["malloc"])
    return {"torch_ms": plain, "torch_gg_malloc_ms": malloc, "ratio": malloc / plain}


JAX_CASES = ("W_TINY", "W_MLP", "W_CNN")


def measure_compiled(workload, repeats=3, warmup=5, steps=30, with_torch=True, threads=None):
    """glassgrad eager, glassgrad compiled (``glassgrad.compile``), PyTorch and, where JAX is
    installed, ``jax.jit`` (``jax_worker.py``), taking turns: {'eager_ms', 'compiled_ms', 'torch_ms',
    'jax_ms', 'compiled_vs_eager', 'compiled_vs_torch', 'compiled_vs_jax', peak RSS}."""
    runners = {"eager": ("glassgrad", None, ()), "compiled": ("glassgrad", None, ("--compiled",))}
    if with_torch:
        runners["torch"] = ("torch", None, ())
    if workload in JAX_CASES and importlib.util.find_spec("jax") is not None:
        runners["jax"] = ("jax", None, ())
    runs = harness.compare("workloads", workload, runners, repeats, "--warmup", warmup, "--steps", steps,
                           threads=threads)
    out = {f"{name}_ms": harness.median_of(r) for name, r in runs.items()}
    out.update({f"{name}_peak_rss_mb": max(x["peak_rss_mb"] for x in r) for name, r in runs.items()})
    out["compiled_vs_eager"] = out["compiled_ms"] / out["eager_ms"]
    for other in ("torch", "jax"):
        if other in runners:
            out[f"compiled_vs_{other}"] = out["compiled_ms"] / out[f"{other}_ms"]
    return out


def measure_gemm(workload, repeats=3, iters=200, threads=None):
    """{'m x k x n': {'numpy_gflops', 'torch_gflops', 'ratio'}}: NumPy / PyTorch matmul speed."""
    runners = {"numpy": ("numpy", None, ()), "torch": ("torch", None, ())}
    runs = harness.compare("gemm", workload, runners, repeats, "--iters", iters, threads=threads)
    out = {}
    for shape in runs["numpy"][0]["gflops"]:
        npy = harness.median_of([r["gflops"] for r in runs["numpy"]], shape)
        th = harness.median_of([r["gflops"] for r in runs["torch"]], shape)
        out[shape] = {"numpy_gflops": npy, "torch_gflops": th, "ratio": npy / th}
    return out


def _row(name, r):
    torch_ms = f"{r['torch_ms']:10.3f}" if "torch_ms" in r else f"{'-':>10}"
    ratio = f"{r['ratio']:7.2f}" if "ratio" in r else f"{'-':>7}"
    bound = f"{r['gemm_lower_bound_ms']:10.3f}" if "gemm_lower_bound_ms" in r else f"{'-':>10}"
    torch_rss = f"{r['torch_peak_rss_mb']:9.0f}" if "torch_peak_rss_mb" in r else "        -"
    tokens = "".join(f"{r[k]:12.0f}" if k in r else "           -" for k in ("glassgrad_tokens_per_s",
                                                                           "torch_tokens_per_s"))
    return (f"{name:<16}{r['glassgrad_ms']:10.3f}{torch_ms}{ratio}{bound}{r['glassgrad_peak_rss_mb']:9.0f}{torch_rss}"
            f"{tokens}")


def _table(title, cases, a, with_torch, suite, report, key):
    print(f"\n{title}\n{HEADER}" if title else HEADER)
    for c in cases:
        r = measure(c, a.repeats, a.warmup, a.steps, with_torch=with_torch, suite=suite, threads=a.threads)
        report.setdefault(key, {})[c] = {k: v for k, v in r.items() if k != "gemm_lower_bound_ms"}
        if "gemm_lower_bound_ms" in r:
            report["gemm_lower_bound_ms"][c] = r["gemm_lower_bound_ms"]
        print(_row(c, r), flush=True)


def _profile(case, steps):
    import cProfile
    import pstats

    import glassgrad
    from glassgrad import nn, optim
    from . import workloads
    module = {"workloads": workloads, "layers": layers, "tiny": tiny}[_SUITE_OF[case]]
    step = module.make_step(glassgrad, nn, optim, case)
    for _ in range(5):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    print(f"cProfile of {steps} glassgrad {case} steps, top 20 by own time:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main(argv=None):
    p = argparse.ArgumentParser(prog="glassgrad bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*", default=list(WORKLOADS), help=f"any of {', '.join(WORKLOADS)}")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repetitions per framework")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--threads", type=int, help="limit both frameworks (and their BLAS) to this many threads "
                   "(default: every core); 1 gives steadier figures on a busy machine")
    p.add_argument("--layers", action="store_true", help=f"also time W_CNN's layers: {', '.join(layers.CASES)}")
    p.add_argument("--raw-tiny", action="store_true", help="also time W_TINY written on raw tensors")
    p.add_argument("--gemm", action="store_true", help="also time NumPy's and PyTorch's matmul at the GEMM shapes")
    p.add_argument("--sweep", action="store_true", help="also sweep W_MLP over batch sizes and widths")
    p.add_argument("--malloc", action="store_true",
                   help="also time PyTorch with and without glassgrad's malloc settings")
    p.add_argument("--compiled", action="store_true",
                   help="also time glassgrad.compile's replayed steps next to eager glassgrad and PyTorch")
    p.add_argument("--profile", metavar="CASE", choices=sorted(_SUITE_OF),
                   help="print a cProfile of glassgrad steps of CASE and stop")
    p.add_argument("--json", metavar="PATH", help="write the figures as JSON to PATH")
    a = p.parse_args(argv)
    unknown = [w for w in a.workloads if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if a.threads is not None and a.threads < 1:
        p.error(f"--threads must be a positive integer, got {a.threads}")
    if a.profile:
        _profile(a.profile, max(a.steps, 30))
        return 0
    with_torch = importlib.util.find_spec("torch") is not None
    if not with_torch:
        print("PyTorch is not installed: timing glassgrad alone (pip install torch==2.13.0 for ratios)")
    report = {"workloads": {}, "gemm_lower_bound_ms": {}, "threads": a.threads or os.cpu_count()}
    _table(None, a.workloads, a, with_torch, "workloads", report, "workloads")
    if a.raw_tiny:
        _table("W_TINY on raw tensors (per-op overhead)", tiny.CASES, a, with_torch, "tiny", report, "raw_tiny")
    if a.layers:
        _table("W_CNN's layers, forward + backward", layers.CASES, a, with_torch, "layers", report, "layers")
    if a.sweep:
        report["sweep"] = {}
        print(f"\nW_MLP sweep (batch x hidden width)\n{HEADER}")
        for batch, width in SWEEP:
            r = measure("W_MLP", max(1, a.repeats - 2), a.warmup, a.steps,
                        extra=("--batch", batch, "--width", width), with_torch=with_torch, threads=a.threads)
            report["sweep"][f"b{batch}_w{width}"] = r
            print(_row(f"b={batch} w={width}", r), flush=True)
    if a.malloc and with_torch:
        report["malloc"] = {}
        print(f"\nPyTorch with glassgrad's malloc settings (host_memory.py)\n"
              f"{'workload':<16}{'torch ms':>10}{'+malloc ms':>11}{'ratio':>7}")
        for w in a.workloads:
            r = measure_malloc(w, a.repeats, a.warmup, a.steps, threads=a.threads)
            report["malloc"][w] = r
            print(f"{w:<16}{r['torch_ms']:10.3f}{r['torch_gg_malloc_ms']:11.3f}{r['ratio']:7.2f}", flush=True)
    if a.compiled:
        report["compiled"] = {}
        print(f"\nglassgrad.compile: steps recorded on two calls, then replayed (c: compiled)\n{'workload':<16}"
              f"{'eager ms':>10}{'c ms':>10}{'torch ms':>10}{'jax ms':>10}{'c/eager':>8}{'c/torch':>8}{'c/jax':>8}"
              f"{'c MB':>7}{'torch MB':>9}{'jax MB':>8}")
        for w in a.workloads:
            r = measure_compiled(w, a.repeats, a.warmup, a.steps, with_torch, threads=a.threads)
            report["compiled"][w] = r
            cell = lambda key, width, digits: f"{r[key]:{width}.{digits}f}" if key in r else f"{'-':>{width}}"  # noqa: E731
            print(f"{w:<16}{cell('eager_ms', 10, 3)}{cell('compiled_ms', 10, 3)}{cell('torch_ms', 10, 3)}"
                  f"{cell('jax_ms', 10, 3)}{cell('compiled_vs_eager', 8, 2)}{cell('compiled_vs_torch', 8, 2)}"
                  f"{cell('compiled_vs_jax', 8, 2)}{cell('compiled_peak_rss_mb', 7, 0)}"
                  f"{cell('torch_peak_rss_mb', 9, 0)}{cell('jax_peak_rss_mb', 8, 0)}", flush=True)
    if a.gemm and with_torch:
        report["gemm"] = {}
        for w in (w for w in a.workloads if w in GEMMS):
            print(f"\n{w}'s GEMMs\n{'m x k x n':<22}{'NumPy GFLOP/s':>14}{'PyTorch GFLOP/s':>16}{'NumPy/PyTorch':>14}")
            report["gemm"][w] = measure_gemm(w, a.repeats, threads=a.threads)
            for shape, r in report["gemm"][w].items():
                print(f"{shape:<22}{r['numpy_gflops']:14.0f}{r['torch_gflops']:16.0f}{r['ratio']:14.2f}", flush=True)
    if a.json:
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=2)
        os.replace(tmp, a.json)
    return 0

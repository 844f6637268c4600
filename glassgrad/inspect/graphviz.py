"""Graphviz's ``dot`` program, run as a subprocess: DOT text in, SVG/PNG/PDF bytes out. ``dot`` is an
optional system tool (not a Python package): without it DOT text still works, and rendering says
in one line how to install it."""
import shutil
import subprocess

__all__ = ["GraphvizNotFoundError", "dot_path", "run_dot", "FORMATS"]

FORMATS = ("svg", "png", "pdf")
INSTALL = ("install Graphviz to get it: 'apt-get install graphviz', 'brew install graphviz' or "
           "'conda install graphviz' (graph.to_dot() works without it)")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not on the PATH."""


def dot_path():
    """The path of the ``dot`` program on the PATH, or None."""
    return shutil.which("dot")


def run_dot(text, fmt="svg"):
    """Lay out the DOT ``text`` with Graphviz and return the ``fmt`` bytes (svg, png or pdf)."""
    if fmt not in FORMATS:
        raise ValueError(f"render: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    exe = dot_path()
    if exe is None:
        raise GraphvizNotFoundError(f"Graphviz's 'dot' program is not on the PATH; {INSTALL}")
    done = subprocess.run([exe, f"-T{fmt}"], input=text.encode("utf-8"), capture_output=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed (exit status {done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


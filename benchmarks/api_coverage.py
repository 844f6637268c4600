"""How much of PyTorch's public API resolves in glassgrad under the same path.

For each group (``torch.nn``, ``torch.optim``, ...) the names are PyTorch's own: the module's
``__all__`` where it has one, else ``dir()`` filtered to public callables (functions and classes)
defined by torch (not re-exported Python/typing helpers, not submodules). A name counts as covered
when ``glassgrad.<same path>.<name>`` resolves (attribute or submodule).

``torch`` itself exports ~900 names, most of them backend and compiler plumbing. Its group here is
an everyday subset, defined by rule, not by hand: the callables of ``torch.__all__`` whose name is
lower-case (functions; of the classes only ``Tensor``, ``Size``, ``Generator``), minus

- in-place function forms (``abs_``: a trailing underscore) and ``*_copy`` view-copy variants,
- vendor/backend kernels and internals: names with ``cudnn``, ``miopen``, ``mkldnn``, ``fbgemm``,
  ``quantiz``, ``q_``, ``qscheme``, ``sparse``, ``sym_``, ``autocast``, ``native_``, ``_backward``,
  ``batch_norm_``, ``xpu``, ``vulkan``, ``ipu``, ``xla``, ``interop``,
- TorchScript/JIT helpers (``parse_ir``, ``import_ir_module*``, ``merge_type_from_type_comment``,
  ``parse_schema``, ``parse_type_comment``, ``unify_type_list``, ``fork``, ``wait``, ``compile``,
  ``typename``).

Run: ``python benchmarks/api_coverage.py`` (a table), ``--missing`` (the names that do not resolve),
``--json FILE``. Needs PyTorch (the reference) and glassgrad importable.
"""
import argparse
import importlib
import inspect
import json
import os
import re
import sys
import tempfile

GROUPS = ["torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.optim.lr_scheduler",
          "torch.utils.data", "torch.autograd", "torch.nn.utils", "torch.func", "torch.linalg"]

_TORCH_CLASSES = {"Tensor", "Size", "Generator"}
_TORCH_EXCLUDED = re.compile(
    r"cudnn|miopen|mkldnn|fbgemm|quantiz|^q_|qscheme|sparse|^sym_|autocast|^native_|_backward|"
    r"^batch_norm_|xpu|vulkan|ipu|xla|interop|_copy$|_$")
_TORCH_JIT = {"parse_ir", "import_ir_module", "import_ir_module_from_buffer",
              "merge_type_from_type_comment", "parse_schema", "parse_type_comment", "unify_type_list",
              "fork", "wait", "compile", "typename"}


def _public_dir(module):
    """Public functions and classes defined by torch in ``module`` (for modules without __all__)."""
    names = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        origin = getattr(obj, "__module__", None) or ""
        if not origin.startswith("torch"):
            continue  # typing helpers, warnings, ... re-exported by accident
        names.append(name)
    return names


def _torch_everyday(torch):
    """The documented everyday subset of ``torch.__all__`` (see the module docstring)."""
    names = []
    for name in torch.__all__:
        obj = getattr(torch, name, None)
        if obj is None or not callable(obj):
            continue
        if name[0].isupper() and name not in _TORCH_CLASSES:
            continue
        if _TORCH_EXCLUDED.search(name) or name in _TORCH_JIT:
            continue
        names.append(name)
    return names


def reference_names(group):
    """PyTorch's public names of ``group`` (a dotted module path starting with ``torch``)."""
    module = importlib.import_module(group)
    if group == "torch":
        names = _torch_everyday(module)
    elif getattr(module, "__all__", None) is not None:
        names = [n for n in module.__all__ if not n.startswith("_")]
    else:
        names = _public_dir(module)
    return sorted(set(names))


def resolves(path):
    """True when the dotted ``path`` (``glassgrad.nn.functional.relu``) names something in glassgrad,
    as an attribute or as an importable submodule."""
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            return False
    return True


def measure(groups=GROUPS, names_of=reference_names, target="glassgrad"):
    """``{group: {"total": n, "covered": k, "missing": [...]}}``: for each group, how many of its
    reference names resolve under ``target`` at the same path."""
    report = {}
    for group in groups:
        names = names_of(group)
        ours = target + group[len("torch"):]
        missing = [n for n in names if not resolves(f"{ours}.{n}")]
        report[group] = {"total": len(names), "covered": len(names) - len(missing), "missing": missing}
    return report


def format_table(report):
    """The report as a text table, with a total row."""
    lines = [f"{'group':28s} {'covered':>8s} {'total':>6s} {'share':>7s}"]
    covered = total = 0
    for group, row in report.items():
        covered, total = covered + row["covered"], total + row["total"]
        share = row["covered"] / row["total"] if row["total"] else 1.0
        lines.append(f"{group:28s} {row['covered']:8d} {row['total']:6d} {share:7.1%}")
    lines.append(f"{'all':28s} {covered:8d} {total:6d} {covered / max(total, 1):7.1%}")
    return "\n".join(lines)


def _write_json(path, report):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".api_coverage-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(report, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missing", action="store_true", help="list the names that do not resolve")
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON")
    parser.add_argument("--group", action="append", choices=GROUPS, help="measure only these groups")
    args = parser.parse_args(argv)
    report = measure(args.group or GROUPS)
    print(format_table(report))
    if args.missing:
        for group, row in report.items():
            print(f"\n{group} missing ({len(row['missing'])}): " + " ".join(row["missing"]))
    if args.json:
        _write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The generated type stub ``glassgrad/autograd/tensor.pyi`` (tools/gen_tensor_stub.py) lists every
public Tensor attribute, so editors complete all of them; it is valid Python and in date."""
import ast
import pathlib
import subprocess
import sys

import glassgrad

ROOT = pathlib.Path(__file__).resolve().parent.parent
STUB = ROOT / "glassgrad" / "autograd" / "tensor.pyi"


def _stub_tensor_names():
    tree = ast.parse(STUB.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    names = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
    return names


def test_stub_lists_every_public_tensor_attribute():
    public = {n for n in dir(glassgrad.Tensor) if not n.startswith("_")}
    missing = sorted(public - _stub_tensor_names())
    assert not missing, (f"tensor.pyi lacks {missing}: run python tools/gen_tensor_stub.py")
    for name in ("sort", "topk", "quantile", "det", "cumprod", "__add__", "__matmul__"):
        assert name in _stub_tensor_names()


def test_stub_has_the_module_level_names():
    tree = ast.parse(STUB.read_text())
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert {"Tensor", "wrap_array", "normalize_dim"} <= defined


def test_stub_is_what_the_generator_writes():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_tensor_stub.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr

"""The import direction of README's layer table: each package imports only the ones above it
(ops never imports nn; the NN kernels live in nn.functional). Read from the source with ``ast``,
every import counted, including those inside functions."""
import ast
import pathlib

import glassgrad

ROOT = pathlib.Path(glassgrad.__file__).parent
# README's layer table, top to bottom
LAYERS = [
    {"backend", "blas", "random", "parallel", "host_memory", "files"},
    {"autograd"},
    {"distributed", "dlpack"},
    {"ops", "linalg"},
    {"nn"},
    {"func"},
    {"optim"},
    {"compiler"},
    {"data"},
    {"io", "onnx"},
    {"utils"},
    {"inspect"},
    {"train"},
    {"cli", "bench"},
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _package_of(path):
    rel = path.relative_to(ROOT).parts
    return rel[0][:-3] if rel[0].endswith(".py") else rel[0]


def _imported_packages(path):
    """The top-level glassgrad packages/modules ``path`` imports."""
    tree = ast.parse(path.read_text(), str(path))
    depth = len(path.relative_to(ROOT).parts) - 1  # folders below glassgrad/
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                up = node.level - 1
                if up > depth:
                    continue
                base = list(path.relative_to(ROOT).parts[:-1])[:depth - up]
                parts = base + (node.module.split(".") if node.module else [])
                if not parts:  # ``from .. import backend``
                    out.update(alias.name for alias in node.names)
                else:
                    out.add(parts[0])
            elif node.module and node.module.split(".")[0] == "glassgrad":
                parts = node.module.split(".")[1:]
                out.update([parts[0]] if parts else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "glassgrad" and len(parts) > 1:
                    out.add(parts[1])
    return out


def test_every_package_imports_only_the_layers_above_it():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        if path == ROOT / "__init__.py":  # the facade re-exports from every layer
            continue
        own = _package_of(path)
        if own not in RANK:
            continue
        for dep in _imported_packages(path):
            if dep in RANK and RANK[dep] > RANK[own]:
                wrong.append(f"{path.relative_to(ROOT)} ({own}) imports {dep}")
    assert not wrong, "imports against the layer table:\n" + "\n".join(wrong)


def test_ops_holds_no_nn_kernels():
    names = {p.stem for p in (ROOT / "ops").glob("*.py")}
    assert not names & {"conv", "pool", "norm", "loss", "nn_linear", "dropout"}


def _table_layers(doc):
    """The first column of ``doc``'s layer table (rows ``| name | `glassgrad/...` | ... |``)."""
    rows = [line.split("|")[1:3] for line in doc.read_text().splitlines() if line.startswith("| ")]
    return [name.strip() for name, path in rows if "`glassgrad/" in path]


def test_readme_and_architecture_tables_follow_the_layers():
    repo = ROOT.parent
    for doc in (repo / "README.md", repo / "docs" / "ARCHITECTURE.md"):
        names = _table_layers(doc)
        missing = {"backend", "autograd", "distributed", "ops", "nn", "func", "optim", "compiler", "data", "io",
                   "utils", "inspect", "train", "cli", "bench"} - set(names)
        assert not missing, f"{doc.name}: layer table lacks {sorted(missing)}"
        ranks = [RANK[name] for name in names]
        assert ranks == sorted(ranks), f"{doc.name}: layer table out of order: {names}"


def test_no_merge_conflict_markers_are_committed():
    repo = ROOT.parent
    markers = ("<<<<<<< ", ">>>>>>> ")
    found = [f"{path.relative_to(repo)}:{i}"
             for pattern in ("*.md", "*.py", "*.toml", "*.txt")
             for path in repo.rglob(pattern) if ".git" not in path.parts and "egg-info" not in str(path)
             for i, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
             if line.startswith(markers)]
    assert not found, "merge conflict markers: " + ", ".join(found)

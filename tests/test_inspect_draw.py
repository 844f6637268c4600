"""gi.draw_graph: the nodes (ops with shapes, dtypes and saved bytes; parameters by name; inputs),
gradient norms after backward against PyTorch, module clusters checked in the SVG Graphviz lays
out, the depth and module filters, rendering to SVG/PNG, and the one-line message without dot."""
import os
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn
import glassgrad.nn.functional as F

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def dot():
    if shutil.which("dot") is None:
        pytest.fail("these tests need Graphviz's dot: apt-get install graphviz (.ci/run installs it)")


def _cnn():
    gg.manual_seed(0)
    return nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2)), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 10))


def _torch_twin(model):
    twin = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2)),
                               torch.nn.Flatten(), torch.nn.Linear(36, 10))
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(model.named_parameters(), twin.named_parameters()):
            assert name == tname
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    return twin


def _drawn(rng):
    model = _cnn()
    xa = rng.standard_normal((2, 1, 8, 8)).astype(np.float32)
    y = np.array([1, 3])
    with gi.record_graph(model) as rec:
        loss = F.cross_entropy(model(gg.tensor(xa)), gg.tensor(y))
    return model, xa, y, loss, rec


def test_nodes_edges_and_gradient_norms_match_pytorch():
    model, xa, y, loss, rec = _drawn(np.random.default_rng(0))
    graph = gi.draw_graph(loss, params=dict(model.named_parameters()), record=rec)
    ops = {n.name: n for n in graph.nodes if n.kind == "op"}
    assert set(ops) == {"Conv2d", "Relu", "MaxPool2d", "Reshape", "Linear", "CrossEntropy"}
    # output shapes as the layer arithmetic says: 8 - 3 + 1 = 6, pooled to 3
    assert ops["Conv2d"].shape == (2, 4, 6, 6) and ops["MaxPool2d"].shape == (2, 4, 3, 3)
    assert ops["Reshape"].shape == (2, 36) and ops["Linear"].shape == (2, 10) and ops["CrossEntropy"].shape == ()
    assert all(n.dtype == "float32" for n in ops.values())
    assert ops["Conv2d"].module == "0.0" and ops["Relu"].module == "0.1" and ops["CrossEntropy"].module is None
    # Linear saves its input (2×36) and its weight (10×36), float32
    assert ops["Linear"].saved_bytes == (2 * 36 + 10 * 36) * 4
    params = {n.name for n in graph.nodes if n.kind == "param"}
    assert params == {"0.0.weight", "0.0.bias", "2.weight", "2.bias"}
    inputs = [n for n in graph.nodes if n.kind == "input"]
    assert len(inputs) == 1 and inputs[0].shape == (2, 1, 8, 8)
    out = [n for n in graph.nodes if n.kind == "output"][0]
    assert all(e.grad_norm is None for e in graph.edges)        # before backward: no gradients yet

    loss.backward()
    twin = _torch_twin(model)
    seen = {}

    def keep(module, args, output):
        output.retain_grad()
        seen["logits"] = output
    twin[2].register_forward_hook(keep)
    tl = torch.nn.functional.cross_entropy(twin(torch.from_numpy(xa)), torch.from_numpy(y))
    tl.backward()
    assert out.value == pytest.approx(tl.item(), rel=1e-5)
    names = {n.id: n for n in graph.nodes}
    tparams = dict(twin.named_parameters())
    for n in graph.nodes:
        if n.kind == "param":
            assert n.grad_norm == pytest.approx(tparams[n.name].grad.norm().item(), rel=1e-4)
    edge = next(e for e in graph.edges if names[e.src].name == "Linear" and names[e.dst].name == "CrossEntropy")
    assert edge.grad_norm == pytest.approx(seen["logits"].grad.norm().item(), rel=1e-4)
    assert all(e.grad_norm is not None for e in graph.edges if names[e.src].kind != "input")
    text = graph.to_dot()
    assert '"0.0.weight\\n(4, 1, 3, 3) float32\\n‖grad‖' in text and "saved 1.7 KiB" in text


def test_saved_bytes_and_shapes_without_a_record():
    x = gg.randn(3, 4, dtype=gg.float64, requires_grad=True)
    w = gg.randn(3, 4, requires_grad=True)
    y = (x.tanh().float() * w).sum()
    graph = gi.draw_graph(y, params={"w": w})
    ops = {n.name: n for n in graph.nodes if n.kind == "op"}
    assert ops["Tanh"].saved_bytes == 3 * 4 * 8           # tanh saves its output only
    assert ops["Mul"].saved_bytes == 2 * 3 * 4 * 4        # mul saves both float32 factors
    assert ops["Tanh"].shape is None                       # no record: shapes come with the gradients
    assert ops["Sum"].shape == ()
    y.backward()
    ops = {n.name: n for n in graph.nodes if n.kind == "op"}
    assert ops["Tanh"].shape == (3, 4) and ops["Tanh"].dtype == "float64"
    assert ops["Mul"].grad_norm == pytest.approx(np.sqrt(12))   # d(sum)/d(product) = ones
    leaves = {n.name: n for n in graph.nodes if n.kind in ("param", "input")}
    assert set(leaves) == {"w", "input"}
    assert leaves["w"].grad_norm == pytest.approx(np.linalg.norm(np.tanh(x.detach().numpy())), rel=1e-5)


def _boxes(svg_text):
    """``{title: (xmin, ymin, xmax, ymax)}`` of every cluster and node Graphviz drew."""
    root = ET.fromstring(svg_text)
    out = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") not in ("cluster", "node"):
            continue
        title = g.find(SVG + "title").text
        pts = []
        for shape in g:
            if shape.tag in (SVG + "polygon", SVG + "path", SVG + "ellipse"):
                if shape.tag == SVG + "ellipse":
                    cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
                    pts += [(cx - rx, cy - ry), (cx + rx, cy + ry)]
                else:
                    raw = shape.get("points") or shape.get("d")
                    nums = [float(v) for v in raw.replace("M", " ").replace("C", " ").replace(",", " ").split()]
                    pts += list(zip(nums[0::2], nums[1::2]))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out[title] = (min(xs), min(ys), max(xs), max(ys))
    return out


def _inside(inner, outer):
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_svg_draws_ops_inside_their_module_clusters(dot, tmp_path):
    model, _, _, loss, rec = _drawn(np.random.default_rng(1))
    graph = gi.draw_graph(loss, params=dict(model.named_parameters()), record=rec)
    ids = {n.name: n.id for n in graph.nodes}
    svg = graph.to_svg()
    assert svg.startswith("<svg")
    boxes = _boxes(svg)
    assert _inside(boxes[ids["Conv2d"]], boxes["cluster_0.0"])
    assert _inside(boxes[ids["0.0.weight"]], boxes["cluster_0.0"])
    assert _inside(boxes["cluster_0.0"], boxes["cluster_0"])
    assert _inside(boxes[ids["Linear"]], boxes["cluster_2"])
    assert _inside(boxes["cluster_0"], boxes["cluster_(model)"])
    assert not _inside(boxes[ids["CrossEntropy"]], boxes["cluster_(model)"])   # the loss ran outside the model
    labels = " ".join(t.text or "" for t in ET.fromstring(svg).iter(SVG + "text"))
    assert "0.0 (Conv2d)" in labels and "(2, 4, 6, 6) float32" in labels and "2.weight" in labels
    # files by suffix, written whole
    assert graph.render(tmp_path / "g.svg") == tmp_path / "g.svg"
    ET.parse(tmp_path / "g.svg")
    graph.render(str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["g.png", "g.svg"]


def test_depth_collapses_modules_and_module_filter_keeps_one(dot):
    model, _, _, loss, rec = _drawn(np.random.default_rng(2))
    params = dict(model.named_parameters())
    shallow = gi.draw_graph(loss, params=params, record=rec, depth=1)
    kinds = {n.name: n for n in shallow.nodes}
    block = kinds["0 (Sequential)"]
    assert block.kind == "module" and block.ops == 3           # conv, relu, pool in one node
    assert "Conv2d" not in kinds and "0.0.weight" not in kinds  # inside the collapsed block
    assert {"Reshape", "Linear", "2.weight", "CrossEntropy"} <= set(kinds)
    assert _inside(_boxes(shallow.to_svg())[block.id], _boxes(shallow.to_svg())["cluster_(model)"])
    whole = gi.draw_graph(loss, params=params, record=rec, depth=0)
    assert [n.ops for n in whole.nodes if n.kind == "module"] == [5]
    head = gi.draw_graph(loss, params=params, record=rec, module="2")
    names = {n.name: n.kind for n in head.nodes}
    assert names == {"Linear": "op", "2.weight": "param", "2.bias": "param", "Reshape": "external"}
    assert "cluster_2" in head.to_dot()
    with pytest.raises(ValueError, match="depth must be an int"):
        gi.draw_graph(loss, depth=-1)


def test_without_dot_render_says_how_to_get_it(tmp_path, monkeypatch):
    y = (gg.ones(2, requires_grad=True) * 3).sum()
    graph = gi.draw_graph(y)
    monkeypatch.setenv("PATH", str(tmp_path))   # no dot on the PATH
    assert graph.to_dot().startswith("digraph")
    with pytest.raises(gi.GraphvizNotFoundError) as e:
        graph.render(tmp_path / "g.svg")
    assert "\n" not in str(e.value) and "apt-get install graphviz" in str(e.value)
    with pytest.raises(gi.GraphvizNotFoundError):
        graph.to_svg()
    assert os.listdir(tmp_path) == []
    graph.render(tmp_path / "g.dot")             # DOT text needs no Graphviz
    assert (tmp_path / "g.dot").read_text().startswith("digraph glassgrad")


def test_bad_input_gives_clear_errors(tmp_path):
    with pytest.raises(RuntimeError, match="no graph"):
        gi.draw_graph(gg.ones(3))
    y = (gg.ones(2, requires_grad=True) * 3).sum()
    with pytest.raises(ValueError, match="suffix"):
        gi.draw_graph(y).render(tmp_path / "g.jpeg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gi.draw_graph(y).render(tmp_path / "nope" / "g.dot")
    with pytest.raises(TypeError, match="nn.Module"):
        gi.record_graph(42)

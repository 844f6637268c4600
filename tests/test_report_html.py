"""The HTML report (glassgrad.inspect.html_report, `glassgrad report`): what the page holds, that it is
self-contained, that each finding is linked to its layer and to a mark on the chart of its evidence,
the live/watch cycle, and the command line. The browser side is tests/test_report_browser.py."""
import html.parser
import json
import os
import re
import sys
import threading

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn
from glassgrad import optim
from glassgrad.cli import main
from glassgrad.data import DataLoader, TensorDataset
from glassgrad.inspect import scenarios
from glassgrad.inspect.html_report import render_report, watch_report, write_report
from glassgrad.inspect.html_report.gradflow import heatmap_rows
from glassgrad.inspect.html_report.histograms import histogram_steps
from glassgrad.inspect.html_report.marks import ACTIVITY, CURVES, GRAD, place_findings
from glassgrad.train import Callback, InspectCallback, fit


class _Page(html.parser.HTMLParser):
    """Every element's tag and attributes, and the text under each id."""

    def __init__(self, text):
        super().__init__()
        self.elements, self.ids, self._open = [], {}, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if "id" in attrs:
            assert attrs["id"] not in self.ids, f"duplicate id {attrs['id']}"
            self.ids[attrs["id"]] = tag


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two pathological runs saved and reported: lr_too_high (non-finite loss, exploding gradients,
    findings about the whole run) and dead_units (dead ReLU units in two layers)."""
    out = {}
    for name in ("lr_too_high", "dead_units"):
        outcome = scenarios.run(name)
        run_dir = str(tmp_path_factory.mktemp(name) / "run")
        outcome.monitor.save(run_dir)
        path = os.path.join(os.path.dirname(run_dir), "report.html")
        write_report(run_dir, path)
        with open(path, encoding="utf-8") as f:
            out[name] = (outcome.monitor, gi.load_run(run_dir), f.read())
    return out


def test_page_is_self_contained(runs):
    for _, _, text in runs.values():
        page = _Page(text)
        tags = {t for t, _ in page.elements}
        assert "script" not in tags and "link" not in tags and "iframe" not in tags and "object" not in tags
        for tag, attrs in page.elements:
            for key in ("src", "href", "xlink:href", "action", "poster"):
                value = attrs.get(key)
                if value is not None:
                    assert value.startswith(("#", "data:")), f"<{tag} {key}={value[:60]}> points outside the page"
        assert "url(http" not in text and "@import" not in text and "@font-face" not in text
        assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
        assert 'http-equiv="refresh"' not in text  # a finished run's page does not reload


def test_every_chart_is_an_inline_svg(runs):
    _, run, text = runs["dead_units"]
    charts = re.findall(r'<figure class="chart" id="([^"]+)"><svg\b', text)
    assert charts == ["chart-curves", "chart-grad_norm", "chart-update_ratio", "chart-activity",
                      "chart-hist-weight", "chart-hist-grad", "chart-hist-activation", "chart-graph"]
    # the heat maps' rows: the layers with parameters for gradients, the ReLUs for dead units
    rows = heatmap_rows(run)
    assert [n for n, _ in rows[GRAD]] == ["0", "2", "4"]
    assert rows[ACTIVITY] == [("1", "dead_share"), ("3", "dead_share")]
    assert "1 (ReLU) dead" in text and "0 (Linear)" in text


def test_findings_are_cards_linked_to_layer_rows_and_chart_marks(runs):
    for monitor, run, text in runs.values():
        findings = gi.diagnose(run)
        assert findings and [f.kind for f in findings] == [f.kind for f in gi.diagnose(monitor)]
        page = _Page(text)
        layer_rows = {}
        for m in re.finditer(r'<tr id="(layer-\d+)"><td><code>([^<]*)</code>', text):
            layer_rows[m.group(2)] = m.group(1)
        rows = {chart: [n for n, _ in r] for chart, r in heatmap_rows(run).items()}
        marks = place_findings(findings, rows)
        for n, f in enumerate(findings, 1):
            card = re.search(rf'<div class="finding sev-{f.severity}" id="finding-{n}">(.*?)</div>\n?(?=<div class|</section)',
                             text, re.S)
            assert card, f"no card for finding {n} ({f.kind})"
            body = card.group(1)
            assert f"<strong>{f.kind}</strong>" in body and f"Try: " in body
            for key in f.evidence:
                assert f'<span class="k">{key}</span>' in body
            if f.layer is not None:
                assert f'href="#{layer_rows[f.layer]}"' in body  # to the layer's row in the model summary
                assert f'href="#finding-{n}"' in text.split(f'id="{layer_rows[f.layer]}"')[1].split("</tr>")[0]
            if f.step is not None:
                mark = marks[n]
                assert mark.step == f.step
                assert f'href="#mark-{n}"' in body
                # the mark sits in the chart of its evidence and links back to the card
                chart_html = text.split(f'id="chart-{mark.chart}"')[1].split("</figure>")[0]
                assert f'id="mark-{n}"' in chart_html and f'xlink:href="#finding-{n}"' in chart_html
                assert page.ids[f"mark-{n}"] == "g"


def test_marks_go_to_the_chart_of_their_evidence(runs):
    _, run, _ = runs["lr_too_high"]
    rows = {chart: [n for n, _ in r] for chart, r in heatmap_rows(run).items()}
    marks = place_findings(gi.diagnose(run), rows)
    got = {(m.chart, m.layer, m.step) for m in marks.values()}
    assert (CURVES, None, 16) in got          # the loss became non-finite at step 16
    assert (GRAD, "2", 9) in got              # layer 2's gradients explode
    assert (CURVES, None, 0) in got           # the learning rate, for the whole model
    _, run, _ = runs["dead_units"]
    marks = place_findings(gi.diagnose(run), {c: [n for n, _ in r] for c, r in heatmap_rows(run).items()})
    assert {(m.chart, m.layer) for m in marks.values() if m.layer in ("1", "3")} == {(ACTIVITY, "1"), (ACTIVITY, "3")}


def test_summary_lists_every_layer_with_its_parameters_and_shape(runs):
    monitor, run, text = runs["dead_units"]
    model = monitor.model
    for name, module in model.named_modules():
        if not name:
            continue
        own = sum(p.numel() for p in module.parameters(recurse=False))
        row = re.search(rf'<tr id="layer-\d+"><td><code>{re.escape(name)}</code></td><td>{type(module).__name__}</td>'
                        rf'<td>([^<]*)</td><td class="num">([\d,]+)</td>', text)
        assert row and int(row.group(2).replace(",", "")) == own
        assert row.group(1) == str([64, module.out_features]) if isinstance(module, nn.Linear) else True
    total = sum(p.numel() for p in model.parameters())
    assert f'<th>total</th><th></th><th></th><th class="num">{total:,}</th>' in text
    assert "Optimizer: Adam" in text


def test_nonfinite_figures_are_drawn_and_the_verdict_is_in_the_header(runs):
    _, run, text = runs["lr_too_high"]
    header = text.split("</header>")[0]
    findings = gi.diagnose(run)
    errors = sum(f.severity == "error" for f in findings)
    assert f"The doctor found {errors} error" in header and f"first: {findings[0].kind}" in header
    assert any(r.get("finite") is False for r in run.layers)
    assert "magenta: NaN/Inf" in text


def test_the_graph_is_drawn_from_the_run_and_said_how_to_get_without_graphviz(runs, monkeypatch):
    monitor, run, text = runs["dead_units"]
    assert run.graph_dot == monitor.run.graph_dot and run.graph_dot.startswith("digraph")
    graph = text.split('id="chart-graph"')[1].split("</figure>")[0]
    for name, p in monitor.model.named_parameters():  # every parameter, by name, with its shape
        assert f"{name}</text>" in graph and f"{tuple(p.shape)} float32</text>" in graph
    assert "CrossEntropy</text>" in graph and 'class="cluster"' in graph

    from glassgrad.inspect.graphviz import GraphvizNotFoundError
    from glassgrad.inspect.html_report import build

    def no_dot(*args):
        raise GraphvizNotFoundError("no dot")
    monkeypatch.setattr(build, "run_dot", no_dot)
    without = render_report(run)
    assert 'id="chart-graph"' not in without and "needs Graphviz" in without and "apt-get install graphviz" in without


def test_histogram_steps():
    run = gi.RunRecord({"layers": []})
    run.hist[("weight", "0")] = [(s, np.ones(3), np.arange(4.0)) for s in (0, 10, 20, 30, 40)]
    assert histogram_steps(run) == [0, 20, 40]
    assert histogram_steps(run, [12, 33, 34]) == [10, 30]
    assert histogram_steps(gi.RunRecord({"layers": []})) == []


def test_report_of_a_monitor_and_without_steps(tmp_path):
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    mon = gi.Monitor(model, every=1)
    text = render_report(mon.run)
    assert "No findings" in text and "Training curves" not in text  # nothing recorded yet: no empty chart
    path = write_report(mon, str(tmp_path / "r.html"))
    assert os.path.getsize(path) > 0
    with pytest.raises(TypeError, match="run directory, a RunRecord or a Monitor"):
        write_report(42, str(tmp_path / "x.html"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(mon, str(tmp_path / "missing" / "x.html"))
    with pytest.raises(FileNotFoundError, match="not a directory"):
        write_report(str(tmp_path / "nope"), str(tmp_path / "x.html"))
    assert sorted(os.listdir(tmp_path)) == ["r.html"]  # no temporary file left


def test_missing_matplotlib_is_one_line(monkeypatch, runs):
    _, run, _ = runs["dead_units"]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'glassgrad\[report\]'"):
        render_report(run)


def _fit_run(run_dir, seen, epochs=2):
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = gg.tensor(rng.standard_normal((64, 5)).astype(np.float32))
    y = gg.tensor((rng.standard_normal(64) > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))

    class Peek(Callback):  # reads the run directory after each epoch
        def on_epoch_end(self, epoch, logs=None):
            with open(os.path.join(run_dir, "meta.json")) as f:
                seen.append(json.load(f).get("live"))

    watch = InspectCallback(run_dir, every=2, save_seconds=None)
    fit(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), DataLoader(TensorDataset(x, y),
        batch_size=16), epochs=epochs, verbose=False, callbacks=[watch, Peek()])
    return watch


def test_inspect_callback_saves_a_live_run_then_a_finished_one(tmp_path):
    seen = []
    run_dir = str(tmp_path / "run")
    _fit_run(run_dir, seen)
    assert seen == [True, True]  # saved after each epoch, marked live
    run = gi.load_run(run_dir)
    assert "live" not in run.meta and len(run.steps) == 8
    assert [e.get("output_shape") for e in run.meta["layers"]] == [[16, 8], [16, 8], [16, 2]]
    live = gi.load_run(run_dir)
    live.meta["live"] = True
    text = render_report(live, refresh=3)
    assert '<meta http-equiv="refresh" content="3">' in text and "this page reloads every 3 s" in text
    assert "was still training" in render_report(live)


def test_watch_rewrites_while_live_and_stops_when_finished(tmp_path):
    run_dir, path = str(tmp_path / "run"), str(tmp_path / "watch.html")
    outcome = scenarios.run("saturated_units")
    run = outcome.monitor.run
    logs, done = [], threading.Event()
    thread = threading.Thread(target=lambda: (watch_report(run_dir, path, interval=0.05, log=logs.append),
                                              done.set()))
    thread.start()
    try:
        run.meta["live"] = True
        run.save(run_dir)
        for _ in range(400):
            if os.path.exists(path):
                break
            done.wait(0.05)
        with open(path) as f:
            assert '<meta http-equiv="refresh" content="1">' in f.read()
        assert not done.is_set()
        del run.meta["live"]
        run.save(run_dir)
        assert done.wait(60), "watch_report did not stop when the run finished"
    finally:
        if not done.is_set():
            run.meta.pop("live", None)
            run.save(run_dir)
        thread.join(60)
    with open(path) as f:
        assert 'http-equiv="refresh"' not in f.read()
    assert logs[0].startswith("waiting for the run to be saved") or logs[0].startswith("report updated")
    assert logs[-1].startswith("the run has finished (30 steps): final report written to")
    with pytest.raises(ValueError, match="interval must be a positive"):
        watch_report(run_dir, path, interval=0)


def test_cli_report(tmp_path, capsys, runs):
    monitor, _, _ = runs["dead_units"]
    run_dir = str(tmp_path / "run")
    monitor.save(run_dir)
    out = str(tmp_path / "r.html")
    assert main(["report", run_dir, "-o", out, "--steps", "0,20"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"report written to {out} (") and " bytes, " in printed
    with open(out) as f:
        assert "steps 0, 20." in f.read()
    assert main(["report", str(tmp_path / "nope"), "-o", out]) == 2
    assert "run directory" in capsys.readouterr().err
    assert main(["report", run_dir, "-o", out, "--steps", "a,b"]) == 2
    assert "--steps a,b: give whole step numbers" in capsys.readouterr().err
    assert main(["report", run_dir, "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err

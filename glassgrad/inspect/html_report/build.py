"""Assemble the report of one run: the doctor's findings, the training curves, the gradient-flow
heat maps, the histograms and the model, each chart drawn by matplotlib as inline SVG."""
import math
import os

from ..doctor import diagnose
from ..graphviz import INSTALL, GraphvizNotFoundError, run_dot
from . import page
from .curves import curves_svg
from .figures import inline_svg, new_figure  # noqa: F401  (fails early, in one line, without matplotlib)
from .gradflow import TITLES, heatmap_rows, heatmap_svg
from .histograms import KINDS, histogram_steps, histograms_svg
from .marks import ACTIVITY, CURVES, GRAD, UPDATE, place_findings

__all__ = ["render_report"]

_CHART_TITLES = dict(TITLES, **{CURVES: "training curves"})


def _layer_ids(run):
    return {entry["name"]: f"layer-{i}" for i, entry in enumerate(run.meta.get("layers", []))}


def _g(v):
    return f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else str(v)


def render_report(run, title="glassgrad run report", hist_steps=None, refresh=None):
    """The report of ``run`` (a ``RunRecord``) as an HTML string.

    Args:
        title: the page's title.
        hist_steps: steps whose histograms to show (each replaced by the nearest recorded one);
            default: the first, middle and last recorded.
        refresh: seconds after which the browser reloads the page (a run still training), or None.
    """
    findings = diagnose(run)
    rows = heatmap_rows(run)
    marks = place_findings(findings, {chart: [name for name, _ in r] for chart, r in rows.items()})
    layer_ids = _layer_ids(run)
    sections = [page.Section("findings", "Findings", page.findings_html(findings, marks, layer_ids, _CHART_TITLES))]

    curves = curves_svg(run, list(marks.values()))
    if curves is not None:
        sections.append(page.Section("curves", "Training curves", page.chart(
            curves, "Loss per step with its running mean and the per-epoch losses (train and validation), the "
            "other metrics, and the learning rate. Numbered lines mark findings about the whole run.", "chart-curves")))

    flow = []
    for chart, caption in ((GRAD, "The norm of each layer's gradient at each recorded step. Gradients that shrink "
                                  "layer after layer towards the input vanish; ones that grow explode."),
                           (UPDATE, "How far each step moves each layer's weights, relative to their size "
                                    "(Adam/SGD typically near 1e-3). Far below: the layer barely learns; far above: "
                                    "the step is too big."),
                           (ACTIVITY, "The share of units that never fired (ReLU family, over the last steps) or "
                                      "sit at their limits (sigmoid, tanh).")):
        if chart in rows:
            flow.append(page.chart(heatmap_svg(run, chart, rows[chart], list(marks.values())),
                                   caption + " Numbered circles mark findings.", f"chart-{chart}"))
    if flow:
        sections.append(page.Section("gradient-flow", "Gradient flow", "".join(flow)))

    steps = histogram_steps(run, hist_steps)
    hists = []
    for kind, label in KINDS:
        svg = histograms_svg(run, kind, steps)
        if svg is not None:
            hists.append(f"<h3>{label}</h3>" + page.chart(svg, f"Histograms of each layer's {label} at steps "
                                                          f"{', '.join(map(str, steps))}.", f"chart-hist-{kind}"))
    if hists:
        sections.append(page.Section("histograms", "Histograms", "".join(hists)))

    sections.append(page.Section("model", "Model", page.summary_html(run, findings, layer_ids) + _graph_html(run)))

    loss_steps, losses = run.losses()
    finite = [v for v in losses if math.isfinite(v)]
    lines = []
    if loss_steps:
        lines.append(page.e(f"{len(loss_steps)} steps (layers read every {run.meta.get('every')}), loss "
                            f"{_g(finite[0]) if finite else '-'} → {_g(losses[-1])}"))
    lines.append(page.e(page.verdict(findings)[0].upper() + page.verdict(findings)[1:]) + ".")
    if run.meta.get("live"):
        lines.append('<span class="badge live">training</span>' + (
            f"the run is still training: this page reloads every {int(refresh)} s" if refresh else
            "the run was still training when this page was written"))
    return page.document(title, lines, sections, refresh=refresh)


def _graph_html(run):
    """The loss's graph at the first step (``draw_graph``'s DOT, laid out by Graphviz) as an inline
    SVG; without Graphviz, one line saying how to get it."""
    if not run.graph_dot:
        return ""
    try:
        svg = run_dot(run.graph_dot, "svg").decode("utf-8")
    except GraphvizNotFoundError:
        return (f'<h3>graph</h3><p class="muted">The drawing of the graph needs Graphviz\'s <code>dot</code>: '
                f"{page.e(INSTALL)}. Its DOT text is the run's <code>graph.dot</code>.</p>")
    return "<h3>graph</h3>" + page.chart(
        inline_svg(svg), "The graph of the loss at the first recorded step, as autograd recorded it "
        "(gi.draw_graph): ops clustered by the module that ran them, with their output shapes and dtypes; "
        "parameters by name, with the norm of their gradient.", "chart-graph")


def default_title(run_dir):
    """The page title for a run directory."""
    return f"glassgrad run report: {os.path.basename(os.path.normpath(os.path.abspath(run_dir)))}"

"""matplotlib for the HTML report: imported on first use (the ``report`` extra), used through its
object API (``matplotlib.figure.Figure``: no pyplot, no global backend change), and each figure
turned into an inline ``<svg>`` element whose ids are unique in the page."""
import io
import itertools
import re

__all__ = ["new_figure", "to_svg", "COLORS"]

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_SVG_START = re.compile(r"<svg\b")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_salts = itertools.count()


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise ImportError("the HTML report draws its charts with matplotlib; install it with "
                          "pip install 'glassgrad[report]' (or pip install matplotlib)") from None
    return matplotlib


def new_figure(width, height, layout="constrained"):
    """A ``matplotlib.figure.Figure`` of ``width`` x ``height`` inches (``layout=None`` for a grid of
    many small panels, where the constrained layout would cost seconds)."""
    mpl = _matplotlib()
    return mpl.figure.Figure(figsize=(width, height), dpi=100, layout=layout)


def to_svg(fig):
    """The figure as an ``<svg>`` element: text kept as text (the page's own fonts, nothing to
    fetch), images inline. matplotlib derives the ids of clip paths and markers from a hash; a salt
    unique to each figure keeps two figures of one page from sharing an id."""
    mpl = _matplotlib()
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"gg{next(_salts)}"}):
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    m = _SVG_START.search(text)
    text = text[m.start():] if m else text
    text = _METADATA.sub("", text)
    return text.replace(' target="_blank"', "")  # links in a chart point into the page itself

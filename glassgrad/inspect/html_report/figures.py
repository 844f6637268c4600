"""matplotlib for the HTML report: imported on first use (the ``report`` extra), used through its
object API (``matplotlib.figure.Figure``: no pyplot, no global backend change), and each figure
turned into an inline ``<svg>`` element whose ids are unique in the page."""
import io
import itertools
import re

__all__ = ["new_figure", "to_svg", "inline_svg", "require_matplotlib", "COLORS"]

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_SVG_START = re.compile(r"<svg\b")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_figures = itertools.count(1)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise ImportError("the HTML report draws its charts with matplotlib; install it with "
                          "pip install 'glassgrad[report]' (or pip install matplotlib)") from None
    return matplotlib


def require_matplotlib():
    """Raise the one-line ImportError now if matplotlib is missing (before a long run, not after)."""
    _matplotlib()


def new_figure(width, height):
    """A ``matplotlib.figure.Figure`` of ``width`` x ``height`` inches. The charts place their axes
    themselves (``subplots_adjust``): matplotlib's automatic layouts would double the drawing time."""
    mpl = _matplotlib()
    return mpl.figure.Figure(figsize=(width, height), dpi=100)


def to_svg(fig):
    """The figure as an ``<svg>`` element: text kept as text (the page's own fonts, nothing to
    fetch), images inline. matplotlib numbers its ids per figure (``figure_1``, ``axes_1``, clip
    paths, markers): ``inline_svg`` makes them unique in the page."""
    mpl = _matplotlib()
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return inline_svg(text).replace(' target="_blank"', "")  # links in a chart point into the page itself


def inline_svg(text):
    """An SVG document (matplotlib's, Graphviz's) as an element to inline in the page: from ``<svg``
    on, without metadata, each id (and each reference to it) prefixed with a prefix of its own, so
    that ids stay unique in the page; ids starting with ``mark-`` are kept (findings link to them)."""
    m = _SVG_START.search(text)
    text = _METADATA.sub("", text[m.start():] if m else text)
    prefix = f"f{next(_figures)}-"
    ids = {i for i in _ID.findall(text) if not i.startswith("mark-")}
    return _REF.sub(lambda r: r.group(0).replace(r.group(2), prefix + r.group(2)) if r.group(2) in ids
                    else r.group(0), text)

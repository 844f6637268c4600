"""``glassgrad.inspect``: the glass box. ``Monitor`` watches every layer while a model trains (through
public hooks only); ``diagnose`` reads what it saw and returns ``Finding``s that name the pathology,
the layer, the step, the figures and what to change; ``draw_graph`` draws the autograd graph and
``explain`` walks through its chain rule with the real numbers; ``attribution`` says which inputs and
weights drove an output (Captum's methods); ``write_report`` puts a run in one HTML page. See
docs/inspect.md."""
from . import attribution  # noqa: F401
from .doctor import RULES, diagnose  # noqa: F401
from .draw import Graph, GraphEdge, GraphNode, draw_graph  # noqa: F401
from .explain import Explanation, Operand, Step, explain  # noqa: F401
from .findings import KINDS, SEVERITIES, Finding  # noqa: F401
from .graphviz import GraphvizNotFoundError  # noqa: F401
from .html_report import watch_report, write_report  # noqa: F401
from .monitor import Monitor  # noqa: F401
from .record import GraphRecord, record_graph  # noqa: F401
from .report import format_report  # noqa: F401
from .storage import RunRecord, load_run  # noqa: F401
from .tensorboard import write_run as write_tensorboard  # noqa: F401

__all__ = ["Monitor", "diagnose", "Finding", "KINDS", "SEVERITIES", "RULES", "RunRecord", "load_run",
           "format_report", "write_tensorboard", "write_report", "watch_report",
           "draw_graph", "Graph", "GraphNode", "GraphEdge", "record_graph", "GraphRecord", "GraphvizNotFoundError",
           "explain", "Explanation", "Step", "Operand", "attribution"]

"""Which weights drove the loss: gradient × weight on one batch (``weight_contributions``), and the
monitor's loss change allocation over a run (``loss_change_allocation``, read from what ``Monitor``
recorded, not recomputed)."""
import math
from dataclasses import dataclass, field

from ...autograd.functional import grad
from ...autograd.grad_mode import enable_grad
from ...autograd.tensor import Tensor
from ..doctor import _run_of
from ..monitor import ROOT

__all__ = ["weight_contributions", "WeightContributions", "ParameterContribution", "LayerContribution",
           "loss_change_allocation", "LossChangeAllocation"]


@dataclass
class ParameterContribution:
    """One parameter's Σ g·w (``contribution``: to first order, how much the loss would fall if the
    parameter were zeroed; positive = it raises the loss) and Σ |g·w| (``magnitude``)."""
    name: str
    layer: str
    shape: tuple
    contribution: float
    magnitude: float


@dataclass
class LayerContribution:
    """A layer's parameters' contributions summed."""
    layer: str
    contribution: float
    magnitude: float
    parameters: list = field(default_factory=list)


@dataclass
class WeightContributions:
    """``weight_contributions``' result: ``parameters`` and ``layers``, largest ``magnitude`` first."""
    loss: float
    parameters: list
    layers: list

    def __str__(self):
        lines = [f"loss {self.loss:.6g}: gradient x weight per layer (largest first)",
                 f"{'layer':<24} {'sum g*w':>12} {'sum |g*w|':>12}"]
        for r in self.layers:
            lines.append(f"{r.layer[:24]:<24} {r.contribution:>12.4g} {r.magnitude:>12.4g}")
        return "\n".join(lines)


def _layer_of(name):
    return name.rsplit(".", 1)[0] if "." in name else ROOT


def weight_contributions(model, loss):
    """Gradient × weight for every trainable parameter of ``model`` on the batch whose ``loss`` (a
    scalar Tensor computed by ``model``, graph intact) is given, summed per parameter and per layer
    (the module owning it, named as in ``named_modules()``). Reads the gradients with
    ``autograd.grad`` (``.grad`` is not touched; the graph is kept, so ``loss.backward()`` still works).
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"weight_contributions: model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"weight_contributions: loss must be a scalar Tensor, got {shape}; reduce it (e.g. "
                         "loss.mean()) first")
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise ValueError("weight_contributions: the model has no trainable parameters")
    if loss.grad_fn is None:
        raise RuntimeError("weight_contributions: the loss has no graph (computed under no_grad, or detached); "
                           "compute it from the model's output with gradients enabled")
    with enable_grad():
        grads = grad(loss.reshape(()), [p for _, p in params], retain_graph=True, allow_unused=True)
    rows, layers = [], {}
    for (name, p), g in zip(params, grads):
        if g is None:
            c = m = 0.0
        else:
            gw = (g.detach() * p.detach()).double()
            c, m = float(gw.sum().item()), float(gw.abs().sum().item())
        row = ParameterContribution(name, _layer_of(name), tuple(p.shape), c, m)
        rows.append(row)
        lay = layers.setdefault(row.layer, LayerContribution(row.layer, 0.0, 0.0))
        lay.contribution += c
        lay.magnitude += m
        lay.parameters.append(name)
    return WeightContributions(float(loss.item()), sorted(rows, key=lambda r: -r.magnitude),
                               sorted(layers.values(), key=lambda r: -r.magnitude))


@dataclass
class LossChangeAllocation:
    """The monitor's loss change allocation over a run (recorded steps only).

    ``steps``: the recorded steps; ``per_layer``: ``{layer: [lca at each step or None]}`` (lca = the
    layer's gradient · its update: negative = its update lowered the loss); ``lca_sum`` and
    ``loss_change``: per step, the sum over layers and the loss actually observed to change next;
    ``totals``: ``{layer: Σ over steps}``; ``shares``: each layer's part of the summed total (layers in
    the run's forward order)."""
    steps: list
    per_layer: dict
    lca_sum: list
    loss_change: list
    totals: dict
    shares: dict

    def __str__(self):
        total = sum(self.totals.values())
        lines = [f"loss change allocation over {len(self.steps)} recorded step(s): total {total:.4g}",
                 f"{'layer':<24} {'sum lca':>12} {'share':>7}"]
        for layer, v in self.totals.items():
            share = self.shares.get(layer)
            lines.append(f"{layer[:24]:<24} {v:>12.4g} {'-' if share is None else f'{share:.0%}':>7}")
        return "\n".join(lines)


def loss_change_allocation(source):
    """Read the loss change allocation a ``Monitor`` recorded: ``source`` is the monitor, its
    ``RunRecord`` or a run directory. Returns a ``LossChangeAllocation``."""
    run = _run_of(source)
    steps = sorted({r["step"] for r in run.layers if r.get("lca") is not None})
    index = {s: i for i, s in enumerate(steps)}
    names = [n for n in run.layer_names() if any(r.get("lca") is not None for r in run.layer_rows(n))]
    per_layer = {n: [None] * len(steps) for n in names}
    for r in run.layers:
        v = r.get("lca")
        if v is not None and r["layer"] in per_layer and not (isinstance(v, float) and math.isnan(v)):
            per_layer[r["layer"]][index[r["step"]]] = float(v)
    by_step = {s["step"]: s for s in run.steps}
    lca_sum = [by_step.get(s, {}).get("lca_sum") for s in steps]
    loss_change = [by_step.get(s, {}).get("loss_change") for s in steps]
    totals = {n: math.fsum(v for v in vals if v is not None) for n, vals in per_layer.items()}
    whole = math.fsum(totals.values())
    shares = {n: (t / whole if whole else None) for n, t in totals.items()}
    return LossChangeAllocation(steps, per_layer, lca_sum, loss_change, totals, shares)

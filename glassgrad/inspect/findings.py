"""``Finding``: one diagnosis of the doctor, and the fixed vocabulary of finding kinds."""
from dataclasses import dataclass, field

__all__ = ["Finding", "KINDS", "SEVERITIES"]

#: Every kind a finding can have, with what the user did or sees (documented in docs/inspect.md).
KINDS = {
    "nan_or_inf": "the loss or a tensor became non-finite",
    "exploding_gradients": "gradient norms grow by orders of magnitude with depth or time",
    "vanishing_gradients": "early layers get gradients orders of magnitude below late ones and barely move",
    "dead_units": "a large share of ReLU-family units never fire",
    "saturated_units": "sigmoid/tanh outputs pinned at their limits",
    "lr_too_high": "the loss diverges or oscillates; update-to-weight ratios far above ~1e-3",
    "lr_too_low": "the loss creeps; update-to-weight ratios far below ~1e-3",
    "unchanged_weights": "a layer's weights never change (frozen, or detached from the loss)",
    "loss_not_decreasing": "the loss stays flat from the start",
    "overfitting": "validation loss rises while training loss falls",
    "underfitting": "training loss and accuracy stay poor",
    "unnormalized_inputs": "inputs far from unit scale (e.g. raw 0-255 pixels)",
    "gradients_accumulating": "zero_grad forgotten: gradients keep summing across steps",
    "double_softmax": "softmax (or sigmoid) output fed to a loss that applies it again",
    "loss_shape_broadcast": "loss inputs of different shapes broadcast silently",
    "bad_init": "at step 0 activations collapse or blow up across depth, or units start identical",
}

SEVERITIES = ("error", "warning", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class Finding:
    """One diagnosis: ``kind`` (one of ``KINDS``), ``severity`` ('error', 'warning', 'info'),
    ``layer`` (module name, or None for the whole model/the loss), ``step`` (the first training step
    where it was seen, or None), ``evidence`` (the figures that triggered it) and ``advice`` (what to
    change). ``str(finding)`` is one short paragraph."""

    kind: str
    severity: str
    layer: object
    step: object
    message: str
    advice: str
    evidence: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Finding: unknown kind {self.kind!r}; the kinds are {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Finding: severity must be one of {SEVERITIES}, got {self.severity!r}")

    def __str__(self):
        where = f" in layer '{self.layer}'" if self.layer not in (None, "") else ""
        when = f" from step {self.step}" if self.step is not None else ""
        figures = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        return (f"[{self.severity}] {self.kind}{where}{when}: {self.message}"
                + (f" ({figures})" if figures else "") + f". Try: {self.advice}")

    def to_dict(self):
        """The finding as a JSON-ready dict."""
        return {"kind": self.kind, "severity": self.severity, "layer": self.layer, "step": self.step,
                "message": self.message, "advice": self.advice,
                "evidence": {k: _plain(v) for k, v in self.evidence.items()}}

    @property
    def rank(self):
        """0 for errors, 1 for warnings, 2 for info (for sorting)."""
        return _RANK[self.severity]


def _plain(v):
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)

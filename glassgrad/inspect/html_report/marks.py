"""Where each of the doctor's findings is marked in the report's charts.

A finding is numbered by its place in the list (1, 2, ...). One about a layer at a step is marked on
the heat map that shows its evidence (gradient norms, update-to-weight ratios, or dead/saturated
shares) at that layer's row and that step's column; one about the whole run (the loss, the learning
rate) is marked on the training curves at its step. The mark links to the finding's card
(``#finding-N``) and the card links back to the mark (``#mark-N``)."""
from dataclasses import dataclass

__all__ = ["Mark", "place_findings", "CURVES", "GRAD", "UPDATE", "ACTIVITY"]

CURVES, GRAD, UPDATE, ACTIVITY = "curves", "grad_norm", "update_ratio", "activity"
_CHART_OF_KIND = {
    "dead_units": ACTIVITY, "saturated_units": ACTIVITY,
    "lr_too_high": UPDATE, "lr_too_low": UPDATE, "unchanged_weights": UPDATE,
    "loss_not_decreasing": CURVES, "overfitting": CURVES, "underfitting": CURVES,
}


@dataclass
class Mark:
    """Finding ``number`` is drawn on ``chart`` (CURVES, GRAD, UPDATE or ACTIVITY) at ``step`` and,
    on a heat map, at ``layer``'s row."""
    number: int
    chart: str
    layer: object
    step: int


def place_findings(findings, rows):
    """``{number: Mark}`` for the findings that can be placed. ``rows`` maps each heat-map chart
    (GRAD, UPDATE, ACTIVITY) to the layer names it has a row for."""
    marks = {}
    for number, f in enumerate(findings, 1):
        if f.step is None:
            continue
        chart = _CHART_OF_KIND.get(f.kind, GRAD)
        if chart != CURVES and f.layer is not None:
            candidates = [chart] + [c for c in (GRAD, UPDATE, ACTIVITY) if c != chart]
            chart = next((c for c in candidates if f.layer in rows.get(c, ())), CURVES)
        else:
            chart = CURVES
        marks[number] = Mark(number, chart, f.layer if chart != CURVES else None, int(f.step))
    return marks

"""Doctor rules read from the per-layer figures: gradients across depth and time, dead and
saturated units, weights that never change."""
import math

import numpy as np

from . import thresholds as T
from .findings import Finding
from .trends import finite, median_over_steps, weighted_layers


def _total_grad_norms(run):
    """``(steps, norms)``: the whole model's gradient norm at each recorded step."""
    by_step = {}
    for r in run.layers:
        g = r.get("grad_norm")
        if g is not None:
            by_step[r["step"]] = by_step.get(r["step"], 0.0) + g * g
    steps = sorted(by_step)
    return steps, [math.sqrt(by_step[s]) for s in steps]


def _depth_ratio(run):
    """(step, first layer, last layer, ratio) at the first recorded step: the RMS of the loss's gradient
    with respect to the first weighted layer's output over that of the last one's (the backward
    signal as it reaches each depth)."""
    layers = [n for n in weighted_layers(run) if run.series(n, "out_grad_rms")[1]]
    if len(layers) < 3 or not run.layers:
        return None
    step = run.layers[0]["step"]
    rms = {r["layer"]: r["out_grad_rms"] for r in run.layers
           if r["step"] == step and r.get("out_grad_rms") is not None}
    first, last = layers[0], layers[-1]
    if first not in rms or last not in rms or not rms[last] or not rms[first] or not math.isfinite(rms[first]):
        return None  # an exactly-zero gradient is a dead or detached layer, reported by those rules
    return step, first, last, rms[first] / rms[last]


def exploding_gradients(run):
    """Gradient norms grow by orders of magnitude with time, or from the last layer to the first."""
    out = []
    steps, norms = _total_grad_norms(run)
    if len(norms) >= 2 and norms[0] > 0 and math.isfinite(norms[0]):
        limit = norms[0] * T.EXPLODING_TIME_FACTOR
        hit = next((i for i, g in enumerate(norms) if math.isfinite(g) and g > limit), None)
        if hit is not None:
            step = steps[hit]
            rows = {r["layer"]: r.get("grad_norm") for r in run.layers if r["step"] == step}
            start = {r["layer"]: r.get("grad_norm") for r in run.layers if r["step"] == steps[0]}
            growth = {n: (g / start[n]) if start.get(n) else math.inf for n, g in rows.items() if g is not None}
            worst = max(growth, key=lambda n: growth[n] if math.isfinite(growth[n]) else 1e300) if growth else None
            out.append(Finding("exploding_gradients", "error", worst, step,
                               f"the gradient norm grew from {norms[0]:.3g} at step {steps[0]} to {norms[hit]:.3g} at "
                               f"step {step}" + (f"; it grew most in layer '{worst}'" if worst else ""),
                               "lower the learning rate, clip gradients (nn.utils.clip_grad_norm_(params, 1.0)), and "
                               "add normalization (BatchNorm/LayerNorm) or residual connections",
                               {"grad_norm_start": norms[0], "grad_norm": norms[hit],
                                "factor": T.EXPLODING_TIME_FACTOR}))
    depth = _depth_ratio(run)
    if depth and depth[3] > T.DEPTH_GRAD_RATIO:
        step, first, last, ratio = depth
        out.append(Finding("exploding_gradients", "error", first, step,
                           f"the gradient reaching the output of the first layer '{first}' is {ratio:.3g}x (RMS) the one "
                           f"at the last layer '{last}': gradients grow on their way back through the layers",
                           "scale the init down (nn.init.kaiming_normal_ / xavier_normal_ match the fan-in), add "
                           "normalization layers, or clip gradients",
                           {"out_grad_rms_first_to_last": ratio, "threshold": T.DEPTH_GRAD_RATIO}))
    return out


def vanishing_gradients(run):
    """Early layers get gradients orders of magnitude below the last layer's, and barely move."""
    depth = _depth_ratio(run)
    if not depth or depth[3] >= 1 / T.DEPTH_GRAD_RATIO:
        return []
    step, first, last, ratio = depth
    moves = median_over_steps(run, first, "update_ratio")
    if moves is None or moves >= T.VANISHING_UPDATE_RATIO:
        return []
    return [Finding("vanishing_gradients", "warning", first, step,
                    f"the gradient reaching the output of the first layer '{first}' is {ratio:.3g}x (RMS) the one "
                    f"at the last layer '{last}', and its weights barely move (update/weight {moves:.3g} per step)",
                    "use ReLU-family activations instead of sigmoid/tanh in deep stacks, a fan-in scaled init "
                    "(kaiming), normalization layers or residual connections; Adam also rescales small gradients",
                    {"out_grad_rms_first_to_last": ratio, "update_ratio_first": moves,
                     "threshold": 1 / T.DEPTH_GRAD_RATIO})]


def _previous_weighted(run, layer):
    """The weighted layer that runs right before ``layer`` (what feeds an activation)."""
    order = [e["name"] for e in run.meta.get("layers", [])]
    weighted = set(weighted_layers(run))
    if layer not in order:
        return None
    return next((n for n in reversed(order[:order.index(layer)]) if n in weighted), None)


def _sustained(run, layer, field, threshold):
    """(first step from which the figure stays >= threshold to the end, last value), or None."""
    steps, vals = run.series(layer, field)
    if not vals or vals[-1] < threshold:
        return None
    i = len(vals) - 1
    while i > 0 and vals[i - 1] >= threshold:
        i -= 1
    return steps[i], vals[-1]


def dead_units(run):
    """A large share of a ReLU layer's units never fire over the window."""
    out = []
    for e in run.meta.get("layers", []):
        if e.get("family") != "relu":
            continue
        hit = _sustained(run, e["name"], "dead_share", T.DEAD_SHARE_WARNING)
        if hit:
            step, share = hit
            feed = _previous_weighted(run, e["name"])
            out.append(Finding("dead_units", "warning", e["name"], step,
                               f"{share:.0%} of the units of '{e['name']}' ({e['type']}) output 0 for every sample of "
                               f"the last {T.DEAD_WINDOW} recorded batches; they pass no gradient and stop learning"
                               + (f" (fed by layer '{feed}')" if feed else ""),
                               "lower the learning rate, check the init and biases of the layer before "
                               "(no large negative bias), or use nn.LeakyReLU / nn.GELU",
                               {"dead_share": share, "threshold": T.DEAD_SHARE_WARNING}))
    return out


def saturated_units(run):
    """Sigmoid/tanh units pinned at their limits (the model's own output layer excepted)."""
    out = []
    order = run.meta.get("forward_order") or []
    for e in run.meta.get("layers", []):
        if e.get("family") != "saturating" or (order and e["name"] == order[-1]):
            continue
        hit = _sustained(run, e["name"], "saturated_share", T.SATURATED_SHARE_WARNING)
        if hit:
            step, share = hit
            out.append(Finding("saturated_units", "warning", e["name"], step,
                               f"{share:.0%} of the units of '{e['name']}' ({e['type']}) sit at their limits for "
                               "almost every sample; their slope is ~0, so gradients through them vanish",
                               "normalize the inputs, scale the init of the layer before down (xavier), lower the "
                               "learning rate, or use ReLU-family activations",
                               {"saturated_share": share, "threshold": T.SATURATED_SHARE_WARNING}))
    return out


def unchanged_weights(run):
    """A layer whose weights never change: frozen, outside the optimizer, or detached from the loss."""
    out = []
    layers = [e for e in run.meta.get("layers", []) if e["params"]]
    if not run.layers:
        return out
    moving = [e["name"] for e in layers if any(v > 0 for v in finite(run.series(e["name"], "update_norm")[1]))]
    for e in layers:
        name = e["name"]
        rows = run.layer_rows(name)
        if not rows or name in moving:
            continue
        step = rows[0]["step"]
        grads = finite(run.series(name, "grad_norm")[1])
        if not any(e["trainable"]):
            if moving:
                out.append(Finding("unchanged_weights", "info", name, step,
                                   f"layer '{name}' is frozen (requires_grad=False) while other layers train",
                                   "nothing, if you froze it on purpose; else call requires_grad_(True) on its "
                                   "parameters", {"trainable": False}))
            continue
        if e.get("in_optimizer") is not None and not any(e["in_optimizer"]):
            why, advice = ("its parameters are not in the optimizer",
                           "build the optimizer from model.parameters() (after creating every layer)")
        elif not grads:
            why, advice = ("no gradient ever reaches it: it is not connected to the loss (a .detach(), .data, "
                           "numpy() or no_grad on its path, or its output is unused)",
                           "remove the detach/no_grad on the path from this layer to the loss")
        elif max(grads) == 0:
            why, advice = ("its gradient is exactly 0 at every recorded step (e.g. every unit after it is dead)",
                           "look at the dead_units/saturated_units findings for the layers after it")
        elif _rounds_away(run, name, max(grads)):
            # not a setting to fix here: the vanishing_gradients finding names the cause
            out.append(Finding("unchanged_weights", "info", name, step,
                               f"the weights of layer '{name}' never changed over {len(rows)} recorded steps: its "
                               f"gradient (at most {max(grads):.3g}) times the learning rate is below the float32 "
                               "rounding of its weights, so every update rounds away",
                               "see vanishing_gradients: make the gradient reach this layer",
                               {"recorded_steps": len(rows), "max_grad_norm": max(grads)}))
            continue
        else:
            why, advice = ("it gets gradients but the optimizer never changes it (learning rate 0 for its group?)",
                           "check its optimizer param group's lr")
        out.append(Finding("unchanged_weights", "warning", name, step,
                           f"the weights of layer '{name}' never changed over {len(rows)} recorded steps: {why}",
                           advice, {"recorded_steps": len(rows), "max_grad_norm": max(grads) if grads else None}))
    return out


def _rounds_away(run, name, max_grad):
    """True when lr · (largest gradient norm) is below float32's relative rounding of the layer's
    weights (plain SGD-like steps): a vanishing gradient, not a frozen layer."""
    lrs = finite([r.get("lr") for r in run.steps if r.get("lr") is not None])
    weights = finite(run.series(name, "weight_norm")[1])
    return bool(lrs and weights and max(lrs) > 0
                and max(lrs) * max_grad < np.finfo(np.float32).eps * min(weights))


RULES = [exploding_gradients, vanishing_gradients, dead_units, saturated_units, unchanged_weights]

"""Doctor rules read from the loss curve, the metrics and the update-to-weight ratios: learning rate
too high or too low, a flat loss, over- and underfitting."""
import math
import statistics

from . import thresholds as T
from .findings import Finding
from .trends import ends, finite, median_over_steps, relative_decrease, weighted_layers


def _ratios(run):
    """{layer: median update/weight ratio over the recorded steps} for layers that moved or could."""
    out = {}
    for name in weighted_layers(run):
        m = median_over_steps(run, name, "update_ratio")
        if m is not None and any(g for g in finite(run.series(name, "grad_norm")[1])):
            out[name] = m
    return out


def _diverges(losses):
    vals = finite(losses)  # a non-finite loss is nan_or_inf's; here the finite part must grow
    if len(vals) < 4:
        return False
    first, last = ends(vals)
    return last > T.DIVERGENCE_FACTOR * first


def _oscillates(losses):
    vals = finite(losses)
    if len(vals) < T.MIN_STEPS_FOR_TRENDS:
        return False
    tail = vals[len(vals) // 2:]
    level = statistics.median(tail)
    spread = statistics.pstdev(tail)
    dec = relative_decrease(vals)
    return level > 0 and spread > T.OSCILLATION_SPREAD * level and (dec is None or dec < 0.5)


def lr_too_high(run):
    """The loss diverges, spikes or oscillates while updates are large relative to the weights."""
    steps, losses = run.losses()
    if len(losses) < 4:
        return []
    ratios = _ratios(run)
    high = {n: r for n, r in ratios.items() if r > T.UPDATE_RATIO_HIGH}
    peaks = {n: max(finite(run.series(n, "update_ratio")[1]) or [0.0]) for n in ratios}
    vals = finite(losses)
    diverging = _diverges(losses)
    oscillating = _oscillates(losses)
    spike = bool(vals) and vals[0] > 0 and max(vals) > T.LOSS_SPIKE_FACTOR * vals[0]
    # no better than at the very start (an early spike must not hide that)
    flat = bool(vals) and ends(vals)[1] > vals[0] * (1 - T.FLAT_RELATIVE_DECREASE)
    if not (diverging or oscillating or spike or (high and flat)):
        return []
    peak_high = {n: p for n, p in peaks.items() if p > T.UPDATE_RATIO_HIGH}
    if not (high or diverging or spike):
        return []
    first_high = next((r["step"] for r in run.layers if r.get("update_ratio") is not None
                       and r["update_ratio"] > T.UPDATE_RATIO_HIGH), None)
    if first_high is None:
        first_high = next((s for s, v in zip(steps, losses) if v > T.DIVERGENCE_FACTOR * vals[0]), steps[0])
    how = ("diverges" if diverging else f"jumps to {max(vals):.3g} (from {vals[0]:.3g})" if spike
           else "oscillates" if oscillating else "does not go down")
    evidence = {"loss_start": vals[0], "loss_max": max(vals), "loss_end": losses[-1]}
    if peak_high:
        evidence["max_update_ratio"] = max(peak_high.values())
    severe = bool(high) or (spike and bool(peak_high))
    return [Finding("lr_too_high", "error" if severe else "warning", None, first_high,
                    f"the loss {how}" + (f" while the updates reach {max(peak_high.values()):.3g}x the weights in "
                                         f"one step (healthy: ~1e-3..1e-2) in {len(peak_high)} layer(s)"
                                         if peak_high else ""),
                    "lower the learning rate 10x (then tune it with a short sweep), or add a warm-up",
                    evidence)]


def lr_too_low(run):
    """The loss creeps while every layer's updates are tiny relative to its weights."""
    steps, losses = run.losses()
    if len(losses) < T.MIN_STEPS_FOR_TRENDS:
        return []
    dec = relative_decrease(losses)
    ratios = _ratios(run)
    if dec is None or not ratios or dec >= T.CREEP_RELATIVE_DECREASE or dec < -T.FLAT_RELATIVE_DECREASE:
        return []
    top = max(ratios.values())
    if top >= T.UPDATE_RATIO_LOW_CREEP or top == 0:  # nothing moves at all: unchanged_weights says why
        return []
    return [Finding("lr_too_low", "warning", None, steps[0],
                    f"the loss fell by only {dec:.1%} over {len(losses)} steps while the largest update/weight "
                    f"ratio of any layer is {top:.2g} per step (healthy: ~1e-3)",
                    "raise the learning rate (10x at a time; Adam usually 1e-4..3e-3, SGD 1e-3..1e-1)",
                    {"relative_decrease": dec, "max_update_ratio": top, "threshold": T.UPDATE_RATIO_LOW_CREEP})]


def loss_not_decreasing(run):
    """The loss stays flat from the start."""
    steps, losses = run.losses()
    vals = finite(losses)
    if len(vals) < T.MIN_STEPS_FOR_TRENDS or len(vals) < len(losses):
        return []
    dec = relative_decrease(vals)
    first, last = ends(vals)
    if dec is None or abs(first) < 1e-3 or abs(dec) >= T.FLAT_RELATIVE_DECREASE:
        return []
    return [Finding("loss_not_decreasing", "warning", None, steps[0],
                    f"the loss stayed at {first:.4g} -> {last:.4g} ({dec:+.1%}) over {len(vals)} steps",
                    "check the other findings for the cause (unchanged weights, learning rate, dead units); "
                    "then check that the loss is computed from the model's output and that the labels match "
                    "the inputs; overfit one small batch first",
                    {"loss_start": first, "loss_end": last, "relative_decrease": dec})]


def _val_points(run, name):
    steps, vals = run.metric(name)
    return [(s, v) for s, v in zip(steps, vals) if math.isfinite(v)]


def _train_loss_before(run, step, prev_step):
    steps, losses = run.losses()
    window = [v for s, v in zip(steps, losses) if prev_step < s <= step and math.isfinite(v)]
    return statistics.median(window) if window else None


def overfitting(run):
    """Validation loss rises from its minimum while the training loss keeps falling."""
    pts = _val_points(run, "val_loss")
    if len(pts) < 3:
        return []
    k = min(range(len(pts)), key=lambda i: pts[i][1])
    s_min, v_min = pts[k]
    s_end, v_end = pts[-1]
    recent = statistics.median(v for _, v in pts[-3:])
    if k >= len(pts) - 3 or recent <= v_min * (1 + T.OVERFIT_RISE):
        return []
    train_min = _train_loss_before(run, s_min, pts[k - 1][0] if k else -1)
    train_end = _train_loss_before(run, s_end, pts[-2][0])
    if train_min is None or train_end is None or train_end >= train_min * (1 - T.OVERFIT_RISE / 2):
        return []
    return [Finding("overfitting", "warning", None, s_min,
                    f"the validation loss was lowest ({v_min:.4g}) at step {s_min} and rose to {v_end:.4g} while the "
                    f"training loss fell from {train_min:.4g} to {train_end:.4g}",
                    "stop at the best validation loss (EarlyStopping(monitor='val_loss', restore_best_weights=True)), "
                    "add regularization (weight_decay, dropout, data augmentation) or get more data",
                    {"val_loss_min": v_min, "val_loss_end": v_end, "train_loss_at_min": train_min,
                     "train_loss_end": train_end})]


def underfitting(run):
    """Training accuracy plateaus low while the loss no longer improves and updates look healthy."""
    acc = _val_points(run, "accuracy")
    steps, losses = run.losses()
    if len(acc) < 3 or len(losses) < T.MIN_STEPS_FOR_TRENDS:
        return []
    third = acc[len(acc) * 2 // 3:]
    final_acc = statistics.median(v for _, v in third)
    if final_acc >= T.UNDERFIT_ACCURACY:
        return []
    tail = finite(losses[len(losses) * 2 // 3:])
    dec = relative_decrease(tail)
    if dec is None or abs(dec) >= T.UNDERFIT_PLATEAU:
        return []
    ratios = _ratios(run)
    if ratios and (max(ratios.values()) > T.UPDATE_RATIO_HIGH or max(ratios.values()) < T.UPDATE_RATIO_LOW_CREEP):
        return []  # a learning-rate problem, reported by its own rule
    return [Finding("underfitting", "warning", None, third[0][0],
                    f"training accuracy plateaued at {final_acc:.1%} and the loss changed by only {-dec:+.1%} over the "
                    "last third of the run: the model cannot fit its own training data",
                    "give the model more capacity (wider/deeper layers, nonlinearities between linear layers), "
                    "train longer, or reduce regularization (dropout, weight decay)",
                    {"train_accuracy": final_acc, "loss_change_last_third": -dec,
                     "threshold": T.UNDERFIT_ACCURACY})]


RULES = [lr_too_high, lr_too_low, loss_not_decreasing, overfitting, underfitting]

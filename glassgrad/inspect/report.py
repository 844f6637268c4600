"""The doctor's printout: a run's summary, a table of its layers, and the findings."""
import math

from .trends import finite, median_over_steps

__all__ = ["format_report"]


def _g(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"


def format_report(run, findings):
    """The text ``glassgrad doctor`` prints for ``run`` (a ``RunRecord``) and its ``findings``."""
    run = getattr(run, "run", run)
    steps, losses = run.losses()
    lines = []
    vals = finite(losses)
    if steps:
        lines.append(f"run: {len(steps)} steps (every {run.meta.get('every')}), loss {_g(vals[0] if vals else None)} "
                     f"-> {_g(losses[-1])}")
    lcas = {}
    for r in run.layers:
        if r.get("lca") is not None and math.isfinite(r["lca"]):
            lcas[r["layer"]] = lcas.get(r["layer"], 0.0) + r["lca"]
    total = sum(lcas.values())
    lines.append("")
    lines.append(f"{'layer':<16} {'type':<12} {'grad norm':>10} {'upd/weight':>10} {'dead':>6} {'satur.':>6} "
                 f"{'loss share':>10}")
    for e in run.meta.get("layers", []):
        name = e["name"]
        if not run.layer_rows(name):
            continue
        dead = median_over_steps(run, name, "dead_share")
        sat = median_over_steps(run, name, "saturated_share")
        share = lcas.get(name)
        lines.append(f"{name[:16]:<16} {e['type'][:12]:<12} {_g(median_over_steps(run, name, 'grad_norm')):>10} "
                     f"{_g(median_over_steps(run, name, 'update_ratio')):>10} "
                     f"{'-' if dead is None else f'{dead:.0%}':>6} {'-' if sat is None else f'{sat:.0%}':>6} "
                     f"{'-' if share is None or not total else f'{share / total:.0%}':>10}")
    lines.append("(medians over the recorded steps; loss share: each layer's part of the loss decrease its updates "
                 "caused, gradient . update)")
    lines.append("")
    if not findings:
        lines.append("no findings: nothing looks wrong")
    else:
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        lines.append(f"{len(findings)} finding(s): {counts['error']} error, {counts['warning']} warning, "
                     f"{counts['info']} info")
        for f in findings:
            lines.append("")
            lines.append(str(f))
    return "\n".join(lines)

"""A monitored run's records, and how they are saved to and read back from a run directory.

A run directory holds (each file written to a temporary name, then renamed):

- ``meta.json``: format version, ``every``, the layers (name, module type, parameter names, size,
  output shape at step 0), the model's repr and the optimizer's settings; ``live: true`` while the
  run is still training (``InspectCallback`` saves it as it goes);
- ``steps.jsonl``: one JSON object per training step: ``step``, ``loss``, any metrics recorded
  (``accuracy``, ``val_loss``, ...), and on recorded steps ``lca_sum`` (the loss change the update
  should cause, Σ over layers) and ``loss_change`` (the next step's loss minus this one's);
- ``layers.csv``: one row per recorded step and layer: ``grad_norm``, ``grad_rms``,
  ``weight_norm``, ``update_norm``, ``update_ratio``, ``lca`` (loss change allocation),
  ``act_mean``, ``act_std``, ``act_rms``, ``act_signal`` (mean over units of the std across the
  batch; first recorded step only), ``out_grad_rms`` (RMS of the loss's gradient with respect to the layer's output),
  ``dead_share``, ``saturated_share``, ``finite`` (empty
  where a layer has no such figure);
- ``inputs.csv``: per recorded step, the statistics of the model's input;
- ``events.jsonl``: things seen once or on a given step (the loss's ops, non-finite values,
  gradient accumulation, identical units, ...);
- ``graph.dot`` (when the monitor drew it): the loss's autograd graph at the first step, as
  Graphviz DOT text from ``draw_graph`` (ops clustered by module, shapes, parameters by name);
- ``attributions.npz`` (when recorded with ``record_attributions``): a few test ``images``, their
  attribution ``maps``, ``labels``, ``preds`` and the ``method``;
- ``histograms.npz``: for each ``KIND:LAYER`` (KIND in weight, grad, activation) the arrays
  ``KIND:LAYER:steps`` (S,), ``KIND:LAYER:counts`` (S, bins) and ``KIND:LAYER:edges`` (S, bins+1).

``pandas.read_json(dir/'steps.jsonl', lines=True)`` and ``pandas.read_csv(dir/'layers.csv')`` read them.
"""
import csv
import io
import json
import math
import os

import numpy as np

from ..files import atomic_write

__all__ = ["RunRecord", "load_run", "FORMAT_VERSION"]

FORMAT_VERSION = 1
LAYER_FIELDS = ("step", "layer", "grad_norm", "grad_rms", "weight_norm", "update_norm", "update_ratio", "lca",
                "act_mean", "act_std", "act_rms", "act_signal", "out_grad_rms", "dead_share", "saturated_share", "finite")
INPUT_FIELDS = ("step", "mean", "std", "rms", "finite")
_FILES = ("meta.json", "steps.jsonl", "layers.csv", "inputs.csv", "events.jsonl", "histograms.npz")


class RunRecord:
    """What a monitor recorded: ``meta`` (dict), ``steps`` (list of dicts, one per step),
    ``layers`` (list of dicts, one per recorded step and layer), ``inputs``, ``events`` (lists of
    dicts) and ``hist`` (``{(kind, layer): [(step, counts, edges), ...]}``)."""

    def __init__(self, meta=None):
        self.meta = dict(meta or {})
        self.steps, self.layers, self.inputs, self.events = [], [], [], []
        self.hist = {}
        self.graph_dot = None  # the loss's graph as DOT text (graph.dot), when drawn
        self.attributions = None  # test images and their attribution maps (attributions.npz), when recorded

    # ---- queries the doctor uses ---------------------------------------------------------------
    def layer_names(self):
        """Layer names in forward order (those that ran), then the others in module order."""
        return [entry["name"] for entry in self.meta.get("layers", [])]

    def layer_rows(self, layer):
        """The rows of ``layers`` for one layer, in step order."""
        return [r for r in self.layers if r["layer"] == layer]

    def series(self, layer, field):
        """``(steps, values)`` of one figure of one layer, skipping steps where it is missing."""
        steps, values = [], []
        for r in self.layers:
            if r["layer"] == layer and r.get(field) is not None and not _missing(r[field]):
                steps.append(r["step"])
                values.append(float(r[field]))
        return steps, values

    def losses(self):
        """``(steps, losses)`` of every recorded training step."""
        rows = [(s["step"], s["loss"]) for s in self.steps if s.get("loss") is not None]
        return [r[0] for r in rows], [float(r[1]) for r in rows]

    def metric(self, name):
        """``(steps, values)`` of a metric recorded with ``Monitor.record``/``Monitor.log``."""
        rows = [(s["step"], s[name]) for s in self.steps if s.get(name) is not None]
        return [r[0] for r in rows], [float(r[1]) for r in rows]

    def events_of(self, kind):
        """The events of one kind, in step order."""
        return [e for e in self.events if e["kind"] == kind]

    # ---- files ---------------------------------------------------------------------------------
    def save(self, run_dir):
        """Write the run to the directory ``run_dir`` (created if needed); each file is written to a
        temporary name and renamed, so a reader never sees half a file."""
        os.makedirs(run_dir, exist_ok=True)
        _atomic_text(run_dir, "meta.json", json.dumps(_plain(self.meta), indent=1) + "\n")
        _atomic_text(run_dir, "steps.jsonl", "".join(json.dumps(_plain(s)) + "\n" for s in self.steps))
        _atomic_text(run_dir, "events.jsonl", "".join(json.dumps(_plain(e)) + "\n" for e in self.events))
        _atomic_text(run_dir, "layers.csv", _csv(LAYER_FIELDS, self.layers))
        _atomic_text(run_dir, "inputs.csv", _csv(INPUT_FIELDS, self.inputs))
        if self.graph_dot is not None:
            _atomic_text(run_dir, "graph.dot", self.graph_dot)
        if self.attributions is not None:
            buf = io.BytesIO()
            np.savez_compressed(buf, **{k: np.asarray(v) for k, v in self.attributions.items()})
            _atomic_bytes(run_dir, "attributions.npz", buf.getvalue())
        elif os.path.exists(os.path.join(run_dir, "attributions.npz")):
            os.remove(os.path.join(run_dir, "attributions.npz"))  # an earlier run's, in the same directory
        arrays = {}
        for (kind, layer), entries in self.hist.items():
            key = f"{kind}:{layer}"
            arrays[key + ":steps"] = np.array([e[0] for e in entries], dtype=np.int64)
            arrays[key + ":counts"] = np.stack([e[1] for e in entries])
            arrays[key + ":edges"] = np.stack([e[2] for e in entries])
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        _atomic_bytes(run_dir, "histograms.npz", buf.getvalue())


def load_run(run_dir):
    """Read a run directory written by ``Monitor.save``/``RunRecord.save``."""
    if not os.path.isdir(run_dir):
        raise FileNotFoundError(f"load_run: {run_dir!r} is not a directory; pass the RUN_DIR given to "
                                "Monitor.save or to `glassgrad train --inspect RUN_DIR`")
    missing = [f for f in _FILES if not os.path.exists(os.path.join(run_dir, f))]
    if missing:
        raise FileNotFoundError(f"load_run: {run_dir!r} is not a complete glassgrad run directory (missing "
                                f"{', '.join(missing)}); it is written by Monitor.save(run_dir)")
    with open(os.path.join(run_dir, "meta.json")) as f:
        try:
            meta = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"load_run: {os.path.join(run_dir, 'meta.json')} is not valid JSON ({e})") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"load_run: {run_dir!r} has format version {meta.get('format_version')!r}; this glassgrad "
                         f"reads version {FORMAT_VERSION}")
    run = RunRecord(meta)
    run.steps = _read_jsonl(os.path.join(run_dir, "steps.jsonl"))
    run.events = _read_jsonl(os.path.join(run_dir, "events.jsonl"))
    run.layers = _read_csv(os.path.join(run_dir, "layers.csv"))
    run.inputs = _read_csv(os.path.join(run_dir, "inputs.csv"))
    graph = os.path.join(run_dir, "graph.dot")
    if os.path.exists(graph):
        with open(graph, encoding="utf-8") as f:
            run.graph_dot = f.read()
    attributions = os.path.join(run_dir, "attributions.npz")
    if os.path.exists(attributions):
        with np.load(attributions) as z:
            run.attributions = {k: (str(z[k]) if k == "method" else z[k]) for k in z.files}
    with np.load(os.path.join(run_dir, "histograms.npz")) as z:
        for key in z.files:
            if key.endswith(":steps"):
                base = key[:-len(":steps")]
                kind, layer = base.split(":", 1)
                run.hist[(kind, layer)] = [(int(s), c, e) for s, c, e in
                                           zip(z[key], z[base + ":counts"], z[base + ":edges"])]
    return run


def _missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)  # 'nan', 'inf': JSON has no literal for them
    return obj


def _unplain(v):
    if v in ("nan", "inf", "-inf"):
        return float(v)
    return v


def _csv(fields, rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r[k]) for k in fields})
    return buf.getvalue()


def _read_csv(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            row = {}
            for k, v in r.items():
                if k == "layer":
                    row[k] = v
                elif k == "step":
                    row[k] = int(v)
                elif k == "finite":
                    row[k] = None if v == "" else v == "True"
                else:
                    row[k] = None if v == "" else float(v)
            rows.append(row)
    return rows


def _read_jsonl(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append({k: _unplain(v) for k, v in json.loads(line).items()})
                except json.JSONDecodeError as e:
                    raise ValueError(f"load_run: {path} line {n} is not valid JSON ({e})") from None
    return out


def _atomic_bytes(run_dir, name, data):
    atomic_write(os.path.join(run_dir, name), data)


def _atomic_text(run_dir, name, text):
    _atomic_bytes(run_dir, name, text.encode())

"""``Monitor``: watches every layer of a model while it trains, through public hooks only.

- forward hooks on each leaf module (activation statistics, dead and saturated units, histograms;
  on recorded steps a gradient hook on the output: how big the loss's gradient is at each depth),
  and a forward pre-hook on the model (input statistics; a snapshot of the weights before the step);
- a gradient hook on the smallest trainable parameter (was ``.grad`` zeroed since the last step?);
- the loss tensor's graph, read through ``grad_fn``/``next_functions`` (which ops feed the loss);
- ``.grad`` and the weights after the step (gradient and weight norms, update-to-weight ratios,
  loss change allocation);
- until the first step, ``record_graph`` (module hooks and the op-recording callback): the loss's
  graph is then drawn (``draw_graph``, clustered by module) and kept as DOT text for the report.

Every step costs a few Python calls and no array work (the hooks only keep references, which
``record`` lets go); every ``every``-th step the monitor also reads the numbers: one pass per
parameter over its weights, gradient and snapshot (``stats.param_sums``), one per activation, and
a histogram of a 4096-value sample per tensor (``stats``: Numba kernels when Numba is installed).
"""
import itertools
import math
from collections import deque

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from . import graph
from . import stats as S
from .draw import draw_graph
from .record import record_graph
from . import thresholds as T
from .storage import FORMAT_VERSION, RunRecord

__all__ = ["Monitor"]

ROOT = "(model)"  # the name of the model itself when it holds parameters directly
GRAPH_MAX_NODES = 200  # beyond this many nodes the graph is drawn one module deep (to stay readable)


def _first_tensor(value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        return next((v for v in value if isinstance(v, Tensor)), None)
    return None


class Monitor:
    """Watch ``model`` (and ``optimizer``) while it trains; call ``record(loss)`` once per step,
    after ``optimizer.step()``.

    Args:
        model: an ``nn.Module``.
        optimizer: its optimizer (optional: used for the learning rate and to name parameters it
            does not update).
        every: read the per-layer numbers every ``every`` steps (step 0 always). Each step is still
            checked for a non-finite loss and for gradients left from the previous step.
        histograms: record histograms of weights, gradients and activations.

    Use as a context manager, or call ``close()`` to detach the hooks. ``save(run_dir)`` writes the
    run (see ``glassgrad.inspect.storage``); ``glassgrad.inspect.diagnose(monitor)`` reads it.
    """

    def __init__(self, model, optimizer=None, every=10, histograms=True):
        if not hasattr(model, "named_modules") or not hasattr(model, "register_forward_hook"):
            raise TypeError(f"Monitor: model must be an nn.Module, got {type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Monitor: every must be a positive int (read the layers every N steps), got {every!r}")
        if optimizer is not None and not hasattr(optimizer, "param_groups"):
            raise TypeError(f"Monitor: optimizer must be an optim.Optimizer (with param_groups), got "
                            f"{type(optimizer).__name__}")
        self.model, self.optimizer, self.every, self.histograms = model, optimizer, every, histograms
        self.step = 0  # the step now running (its record() comes next)
        self._active = True
        self._handles = []
        self._closed = False
        self._layers = {}       # name -> (module, [(param name, param)])
        self._family = {}       # leaf name -> "relu" / limits tuple / None
        self._order = []        # leaf names in the order their forward ran (step 0)
        self._act = {}          # name -> stats dict of this step's activation
        self._alive = {}        # name -> deque of per-unit "fired" masks
        self._last_out = {}     # name -> output tensor of the latest forward (to locate non-finite values)
        self._seen = set()      # names whose forward already ran this step
        self._before = {}       # id(param) -> weights before this step's update
        self._input = None      # input statistics of this step
        self._last_input = None
        self._output = None     # the model's output tensor on this step
        self._accum_step = -1   # the step at which the gradient hook last checked .grad
        self._accum_seen = False
        self._nonfinite_seen = False
        self._graph_done = False
        self._prev_loss = None
        self._recorded = 0      # recorded (every-th) steps so far
        self._hist_stride = 1   # histograms every this many recorded steps (grows on long runs)
        self._hist_now = histograms
        self.run = RunRecord(self._meta())
        self._attach()
        self._graph_record = record_graph(model)  # closed once the first loss graph is drawn

    # ---- setup ---------------------------------------------------------------------------------
    def _meta(self):
        opt_ids = set()
        opt = None
        if self.optimizer is not None:
            for g in self.optimizer.param_groups:
                opt_ids.update(id(p) for p in g["params"])
            opt = {"type": type(self.optimizer).__name__,
                   "lr": [float(g["lr"]) for g in self.optimizer.param_groups]}
        layers = []
        for name, module in self.model.named_modules():
            name = name or ROOT
            params = list(module.named_parameters(recurse=False))
            leaf = next(iter(module.children()), None) is None
            if not params and not leaf:
                continue
            if params:
                self._layers[name] = (module, params)
            kind = type(module).__name__
            layers.append({
                "name": name, "type": kind, "params": [n for n, _ in params],
                "n_params": int(sum(p.numel() for _, p in params)),
                "trainable": [bool(p.requires_grad) for _, p in params],
                "in_optimizer": None if self.optimizer is None else [id(p) in opt_ids for _, p in params],
                "family": "relu" if kind in S.RELU_FAMILY else "saturating" if kind in S.SATURATING else None,
            })
        return {"format_version": FORMAT_VERSION, "every": self.every, "layers": layers,
                "model": repr(self.model), "optimizer": opt}

    def _attach(self):
        model = self.model
        self._handles.append(model.register_forward_pre_hook(self._on_model_input))
        self._handles.append(model.register_forward_hook(self._on_model_output))
        for name, module in model.named_modules():
            if next(iter(module.children()), None) is not None:
                continue
            name = name or ROOT
            kind = type(module).__name__
            self._family[name] = "relu" if kind in S.RELU_FAMILY else S.SATURATING.get(kind)
            self._handles.append(module.register_forward_hook(self._leaf_hook(name)))
        # One parameter tells whether zero_grad was forgotten; the smallest keeps the hook cheap (the
        # engine copies a hooked gradient instead of adopting it, since a hook may keep it).
        trainable = [p for _, params in self._layers.values() for _, p in params if p.requires_grad]
        if self.optimizer is not None:
            in_opt = {id(p) for g in self.optimizer.param_groups for p in g["params"]}
            trainable = [p for p in trainable if id(p) in in_opt] or trainable
        if trainable:
            p = min(trainable, key=lambda t: t.numel())
            self._handles.append(p.register_hook(self._grad_hook(p)))

    def close(self):
        """Detach every hook (the records stay; ``save`` and ``diagnose`` still work)."""
        for h in self._handles:
            h.remove()
        self._handles = []
        self._stop_graph_record()
        self._last_out, self._output, self._before = {}, None, {}
        self._last_input = None
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- hooks ---------------------------------------------------------------------------------
    def _on_model_input(self, module, args):
        if not is_grad_enabled():
            return
        x = _first_tensor(args)
        self._last_input = x
        if not self._active or self._before:
            return
        for _, (_, params) in self._layers.items():
            for _, p in params:
                self._before[id(p)] = p.array.copy()
        if x is not None and x.array.dtype.kind == "f":
            self._input = S.moments(x.array)

    def _on_model_output(self, module, args, output):
        if is_grad_enabled() and self._active and self._output is None:
            self._output = _first_tensor(output)

    def _leaf_hook(self, name):
        family = self._family[name]

        def hook(module, args, output):
            if not is_grad_enabled() or name in self._seen:
                return
            self._seen.add(name)
            out = _first_tensor(output)
            if out is None:
                return
            self._last_out[name] = out
            if not self._active:
                return
            if name not in self._order:
                self._order.append(name)
            a = out.array
            st = S.moments(a)
            # bad_init reads the signal at the first recorded step only: later steps skip its cost
            st["signal"] = S.signal(a) if a.dtype.kind == "f" and self._recorded == 0 else None
            st["shape"] = list(a.shape)
            if out.requires_grad:
                out.register_hook(lambda g: st.__setitem__("out_grad_rms", S.rms(g.array)))
            if family == "relu":
                self._alive.setdefault(name, deque(maxlen=T.DEAD_WINDOW)).append(S.active_units(a))
            elif family is not None:
                st["saturated_share"] = S.saturated_share(a, family)
            if self._hist_now and a.dtype.kind == "f":
                self._add_hist("activation", name, a)
            self._act[name] = st
        return hook

    def _grad_hook(self, p):
        def hook(grad):
            # zero_grad forgotten: on the first backward of a step, .grad still holds a gradient
            if self._accum_step != self.step:
                self._accum_step = self.step
                if (not self._accum_seen and p.grad is not None and self.step > 0
                        and bool(np.any(p.grad.array))):
                    self._accum_seen = True
                    self.run.events.append({"kind": "grad_accumulation", "step": self.step,
                                            "grad_norm_before_backward": math.sqrt(S.sq_norm(p.grad.array))})
        return hook

    # ---- per step --------------------------------------------------------------------------------
    def record(self, loss, **metrics):
        """Record one training step: ``loss`` (the loss tensor, or a float) and any metrics
        (``accuracy=...``, ``val_loss=...``, ``val_accuracy=...``). Call after ``optimizer.step()``."""
        if self._closed:
            raise RuntimeError("Monitor.record: the monitor is closed (close() detached its hooks); make a new one")
        if isinstance(loss, Tensor):
            if loss.numel() != 1:
                raise ValueError(f"Monitor.record: loss must be a scalar, got a tensor of shape {tuple(loss.shape)}; "
                                 "reduce it (e.g. loss.mean()) first")
            value = float(loss.item())
        else:
            try:
                value = float(loss)
            except (TypeError, ValueError):
                raise TypeError(f"Monitor.record: loss must be a Tensor or a number, got {type(loss).__name__}") from None
        step = self.step
        row = {"step": step, "loss": value}
        row.update({k: float(v) for k, v in metrics.items()})
        if self._prev_loss is not None:
            prev = self.run.steps[-1]
            if "lca_sum" in prev:
                prev["loss_change"] = value - self._prev_loss
        if not math.isfinite(value) and not self._nonfinite_seen:
            self._nonfinite_seen = True
            self._locate_nonfinite(step, value)
        if isinstance(loss, Tensor) and not self._graph_done and loss.grad_fn is not None and self._output is not None:
            self._graph_done = True
            self._check_graph(step, loss)
            self._draw_graph(loss)
        if self._active:
            row.update(self._read_layers(step))
            if self.optimizer is not None:
                row["lr"] = float(self.optimizer.param_groups[0]["lr"])
        self.run.steps.append(row)
        self._prev_loss = value
        self._end_step()
        return row

    def log(self, **metrics):
        """Attach metrics (e.g. ``val_loss=...`` after an epoch) to the latest recorded step."""
        if not self.run.steps:
            raise RuntimeError("Monitor.log: no step recorded yet; call record(loss) first")
        self.run.steps[-1].update({k: float(v) for k, v in metrics.items()})

    def _end_step(self):
        if self._active:
            self._recorded += 1
            self._thin_histograms()
        self.step += 1
        self._active = self.step % self.every == 0
        self._hist_now = self.histograms and self._active and self._recorded % self._hist_stride == 0
        self._act, self._seen, self._before = {}, set(), {}
        self._input, self._output = None, None
        self._last_out, self._last_input = {}, None  # (read by record() only: let them go)

    def _thin_histograms(self):
        """Keep a long run's histograms bounded: past HIST_KEEP per tensor, drop every other one and
        record them half as often from then on."""
        if any(len(v) > T.HIST_KEEP for v in self.run.hist.values()):
            for key, entries in self.run.hist.items():
                self.run.hist[key] = entries[::2]
            self._hist_stride *= 2

    def _add_hist(self, kind, name, a):
        h = S.histogram(a)
        if h is not None:
            self.run.hist.setdefault((kind, name), []).append((self.step, h[0], h[1]))

    def _read_layers(self, step):
        run = self.run
        lca_total = 0.0
        first_row = len(run.layers)
        for name, (_, params) in self._layers.items():
            g2 = w2 = u2 = 0.0
            n = 0
            lca = 0.0
            has_grad = has_before = False
            main = params[0][0] if all(pn != "weight" for pn, _ in params) else "weight"
            for pname, p in params:
                w = p.array
                n += w.size
                before = self._before.get(id(p))
                if before is not None:
                    has_before = True
                    if step == 0 and pname == main and w.ndim >= 2:
                        spread = S.row_spread(before)
                        if spread is not None and spread < T.IDENTICAL_UNITS_SPREAD:
                            run.events.append({"kind": "identical_units", "step": step, "layer": name,
                                               "units": int(w.shape[0]), "row_spread": spread})
                g = p.grad.array if p.grad is not None else None
                # one pass: the snapshot is ours, so the NumPy path may reuse its memory for the update
                pw2, pu2, pg2, pgu = S.param_sums(w, before, g)
                w2 += pw2
                u2 += pu2
                if g is not None:
                    has_grad = True
                    g2 += pg2
                    lca += pgu
                    if self._hist_now and pname == main:
                        self._add_hist("grad", name, g)
                if self._hist_now and pname == main:
                    self._add_hist("weight", name, w)
            r = {"step": step, "layer": name, "weight_norm": math.sqrt(w2)}
            if has_grad:
                r["grad_norm"] = math.sqrt(g2)
                r["grad_rms"] = math.sqrt(g2 / max(n, 1))
                r["finite"] = math.isfinite(g2) and math.isfinite(w2)
            if has_before:
                r["update_norm"] = math.sqrt(u2)
                r["update_ratio"] = math.sqrt(u2) / math.sqrt(w2) if w2 > 0 else (0.0 if u2 == 0 else math.inf)
                if has_grad:
                    r["lca"] = lca
                    lca_total += lca
            self._merge_act(r, name)
            run.layers.append(r)
        for name in self._act:
            if name not in self._layers:
                r = {"step": step, "layer": name}
                self._merge_act(r, name)
                run.layers.append(r)
        if self._input is not None:
            run.inputs.append({"step": step, **self._input})
        if step == 0 and self._order:
            order = {n: i for i, n in enumerate(self._order)}
            run.meta["forward_order"] = list(self._order)
            run.meta["layers"].sort(key=lambda e: order.get(e["name"], len(order)))
            for e in run.meta["layers"]:
                if e["name"] in self._act:
                    e["output_shape"] = self._act[e["name"]]["shape"]
        nonfinite_grad = [r["layer"] for r in run.layers[first_row:] if r.get("finite") is False]
        if nonfinite_grad and not self._nonfinite_seen:
            self._nonfinite_seen = True
            run.events.append({"kind": "nonfinite", "step": step, "layer": nonfinite_grad[0],
                               "where": "gradient or weights", "op": self._type_of(nonfinite_grad[0])})
        return {"lca_sum": lca_total}

    def _merge_act(self, r, name):
        st = self._act.get(name)
        if st is None:
            return
        r.update({"act_mean": st["mean"], "act_std": st["std"], "act_rms": st["rms"], "act_signal": st["signal"],
                  "out_grad_rms": st.get("out_grad_rms")})
        if "saturated_share" in st:
            r["saturated_share"] = st["saturated_share"]
        window = self._alive.get(name)
        if window is not None and len(window) == window.maxlen:
            fired = window[0].copy()
            for mask in itertools.islice(window, 1, None):
                fired |= mask
            r["dead_share"] = 1.0 - np.count_nonzero(fired) / fired.size if fired.size else 0.0
        if not st["finite"]:
            r["finite"] = False

    def _type_of(self, name):
        for e in self.run.meta["layers"]:
            if e["name"] == name:
                return e["type"]
        return None

    # ---- once ----------------------------------------------------------------------------------
    def _locate_nonfinite(self, step, value):
        """The loss is non-finite at ``step``: name the first layer (in forward order) whose output
        was non-finite, and whether its weights were."""
        ev = {"kind": "nonfinite", "step": step, "loss": value, "layer": None, "where": "loss", "op": None}
        x = self._last_input
        if x is not None and x.array.dtype.kind == "f" and not np.isfinite(x.array).all():
            ev.update(layer="input", where="input")
        else:
            order = self._order or list(self._last_out)
            for name in order:
                out = self._last_out.get(name)
                if out is not None and out.array.dtype.kind in "fc" and not np.isfinite(out.array).all():
                    params = self._layers.get(name, (None, []))[1]
                    bad_w = any(not np.isfinite(p.array).all() for _, p in params)
                    ev.update(layer=name, op=self._type_of(name), where="weights" if bad_w else "output")
                    break
        self.run.events.append(ev)

    def _stop_graph_record(self):
        rec, self._graph_record = self._graph_record, None
        if rec is not None:
            rec.close()
        return rec

    def _draw_graph(self, loss):
        """Keep the loss's graph as DOT text (ops clustered by the module that ran them); a big
        graph is drawn down to the model's direct children only."""
        rec = self._stop_graph_record()
        if rec is None:
            return
        params = dict(self.model.named_parameters())
        drawn = draw_graph(loss, params=params, record=rec)
        if len(drawn.nodes) > GRAPH_MAX_NODES:
            drawn = draw_graph(loss, params=params, record=rec, depth=1)
        self.run.graph_dot = drawn.to_dot()

    def _check_graph(self, step, loss):
        run = self.run
        run.events.append({"kind": "loss_graph", "step": step, "ops": graph.loss_ops(loss),
                           "output_shape": list(self._output.shape)})
        path = graph.path_between(loss.grad_fn, self._output.grad_fn)
        if path is None:
            if self._output.grad_fn is not None:
                run.events.append({"kind": "output_not_in_loss", "step": step})
            return
        double = graph.check_double_softmax(path)
        if double:
            producer = next((n for n, t in self._last_out.items()
                             if t.grad_fn is not None and t.grad_fn.name() == double[1]), None)
            run.events.append({"kind": "double_softmax", "step": step, "layer": producer,
                               "loss_op": double[0], "earlier_op": double[1]})
        shape = graph.check_broadcast(path, tuple(self._output.shape))
        if shape is not None:
            run.events.append({"kind": "loss_broadcast", "step": step, "output_shape": list(self._output.shape),
                               "reduced_shape": list(shape)})

    # ---- output --------------------------------------------------------------------------------
    def save(self, run_dir):
        """Write the run to ``run_dir`` (see ``glassgrad.inspect.storage`` for the files)."""
        self.run.save(run_dir)
        return run_dir

    def write_tensorboard(self, log_dir):
        """Write the recorded scalars and histograms as TensorBoard event files in ``log_dir``
        (needs the ``tensorboard`` extra: tensorboardX)."""
        from .tensorboard import write_run
        write_run(self.run, log_dir)
        return log_dir

"""Doctor rules read from what the monitor saw once: non-finite values, gradients left from the last
step, the loss's graph, the inputs, the weights and activations at step 0."""
from . import thresholds as T
from .findings import Finding
from .trends import hidden_linear_layers


def nan_or_inf(run):
    """The first non-finite loss, output, weight or gradient."""
    out = []
    for ev in run.events_of("nonfinite")[:1]:
        layer, where, op, step = ev.get("layer"), ev.get("where"), ev.get("op"), ev["step"]
        what = {
            "input": "the input batch itself holds NaN or Inf",
            "weights": f"the weights of layer '{layer}' ({op}) became non-finite: the update before step {step} "
                       "overflowed",
            "output": f"layer '{layer}' ({op}) produced non-finite values from finite weights and inputs",
            "loss": "the loss became non-finite although every layer's output was finite: the loss op itself "
                    "overflowed (e.g. log(0) or division by zero)",
            "gradient or weights": f"the gradients or weights of layer '{layer}' ({op}) became non-finite",
        }.get(where, f"a non-finite value appeared ({where})")
        advice = {
            "input": "check the data pipeline for NaN/Inf (missing values, division by a zero std)",
            "loss": "use the fused, stable losses (F.cross_entropy on logits, F.binary_cross_entropy_with_logits) "
                    "instead of log(softmax)/log(sigmoid) by hand; add an epsilon inside log/sqrt/division",
        }.get(where, "lower the learning rate (10x), clip gradients (nn.utils.clip_grad_norm_(params, 1.0)), "
                     "and look for log/sqrt/division of values that can reach 0 in that layer; "
                     "run with glassgrad.autograd.detect_anomaly() to name the op")
        ev_fig = {"where": where}
        if "loss" in ev:
            ev_fig["loss"] = ev["loss"]
        out.append(Finding("nan_or_inf", "error", layer if where != "loss" else None, step, what, advice, ev_fig))
    return out


def gradients_accumulating(run):
    """``.grad`` still held the previous step's gradient when this step's backward began."""
    return [Finding("gradients_accumulating", "error", None, ev["step"],
                    "at the start of this step's backward the parameters' .grad still held earlier gradients: "
                    "zero_grad() is not called between steps, so each update uses the sum of all past gradients",
                    "call optimizer.zero_grad() (or model.zero_grad()) before loss.backward() in every step; if you "
                    "accumulate over micro-batches on purpose, zero after each optimizer.step()",
                    {"grad_norm_before_backward": ev["grad_norm_before_backward"]})
            for ev in run.events_of("grad_accumulation")[:1]]


def double_softmax(run):
    """A softmax (sigmoid) output fed to a loss that applies softmax (sigmoid) again."""
    out = []
    for ev in run.events_of("double_softmax")[:1]:
        loss_op, earlier = ev["loss_op"].replace("Backward", ""), ev["earlier_op"].replace("Backward", "")
        sig = earlier == "Sigmoid"
        out.append(Finding(
            "double_softmax", "error", ev.get("layer"), ev["step"],
            f"the model's output goes through {earlier} and then into {loss_op}, which applies "
            f"{'a sigmoid' if sig else 'log-softmax'} again: the loss is squashed and its gradients are far too small",
            ("remove the final nn.Sigmoid and give the logits to binary_cross_entropy_with_logits" if sig else
             "remove the final softmax from the model and give the logits to F.cross_entropy (or use "
             "log_softmax + F.nll_loss)"),
            {"loss_op": loss_op, "earlier_op": earlier}))
    return out


def loss_shape_broadcast(run):
    """The loss reduced a broadcast tensor bigger than the model's output."""
    return [Finding("loss_shape_broadcast", "error", None, ev["step"],
                    f"the loss reduced a tensor of shape {tuple(ev['reduced_shape'])} although the model's output "
                    f"has shape {tuple(ev['output_shape'])}: the output and the target broadcast against each "
                    "other (e.g. (N, 1) against (N,)), so every output is compared with every target",
                    "give the loss input and target the same shape: output.squeeze(1) or target.view(-1, 1)",
                    {"output_shape": ev["output_shape"], "reduced_shape": ev["reduced_shape"]})
            for ev in run.events_of("loss_broadcast")[:1]]


def unnormalized_inputs(run):
    """The model's input is far from unit scale at the first recorded step."""
    for row in run.inputs[:1]:
        rms = row.get("rms")
        if rms is not None and rms > T.INPUT_RMS_HIGH:
            return [Finding("unnormalized_inputs", "warning", None, row["step"],
                            f"the model's inputs have RMS {rms:.3g} (mean {row['mean']:.3g}, std {row['std']:.3g}); "
                            "layers initialized for unit-scale inputs start saturated or with huge gradients",
                            "standardize the inputs (subtract the training mean, divide by the std; images: divide "
                            "by 255 then normalize)",
                            {"input_rms": rms, "input_mean": row["mean"], "input_std": row["std"],
                             "threshold": T.INPUT_RMS_HIGH})]
    return []


def bad_init(run):
    """Units that start identical, or activations that collapse/blow up across depth at step 0."""
    out = []
    for ev in run.events_of("identical_units"):
        out.append(Finding("bad_init", "warning", ev["layer"], ev["step"],
                           f"all {ev['units']} units of layer '{ev['layer']}' start with the same weights: they get the "
                           "same gradients and stay identical (the symmetry is never broken)",
                           "initialize the weights randomly (the default init, or nn.init.kaiming_uniform_ / "
                           "xavier_uniform_), not with a constant",
                           {"row_spread": ev["row_spread"]}))
    layers = hidden_linear_layers(run)[:-1]  # the output head may start small on purpose
    if len(layers) >= 2 and run.layers:
        first_step = run.layers[0]["step"]
        sig = {r["layer"]: r["act_signal"] for r in run.layers
               if r["step"] == first_step and r["layer"] in layers and r.get("act_signal") is not None}
        names = [n for n in layers if n in sig]
        seq = [sig[n] for n in names]
        if len(seq) >= 2 and all(v > 0 for v in seq):  # a zero signal is dead_units' or unchanged_weights'
            ratio = seq[-1] / seq[0]
            per_layer = ratio ** (1.0 / (len(seq) - 1)) if ratio > 0 else 0.0
            if ((ratio < 1 / T.INIT_DEPTH_RATIO and per_layer < 1 / T.INIT_LAYER_FACTOR)
                    or (ratio > T.INIT_DEPTH_RATIO and per_layer > T.INIT_LAYER_FACTOR)):
                collapse = ratio < 1
                bad = names[-1]
                out.append(Finding(
                    "bad_init", "warning", bad, first_step,
                    f"at step {first_step} the activations {'collapse' if collapse else 'blow up'} across depth: "
                    f"how much layer '{bad}''s output varies with the input is {ratio:.3g}x what it is for layer "
                    f"'{names[0]}' ({per_layer:.3g}x per layer)",
                    "use an init scaled to the layer's fan-in (nn.init.kaiming_normal_ for ReLU, xavier for "
                    "tanh/sigmoid), or add normalization layers (nn.BatchNorm1d/2d, nn.LayerNorm)",
                    {"signal_by_depth": seq, "ratio": ratio, "per_layer": per_layer}))
    return out


RULES = [nan_or_inf, gradients_accumulating, double_softmax, loss_shape_broadcast, unnormalized_inputs, bad_init]

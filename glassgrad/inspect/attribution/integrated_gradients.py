"""Integrated gradients (Sundararajan et al. 2017) with respect to the inputs or to a layer's output:
attribution = (x − b) · ∫₀¹ ∂f(b + α(x − b))/∂x dα, whose sum over the features is f(x) − f(b)
(completeness) up to the quadrature error, which ``return_convergence_delta=True`` returns."""
import warnings

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...ops.creation import tensor
from ...ops.shape import cat
from .arguments import (check_target, dense_baselines, expand_forward_args, expand_target, format_baselines,
                        format_forward_args, format_inputs, format_output, gradients, repeat_batch)
from .base import GradientAttribution
from .quadrature import points_and_weights

__all__ = ["IntegratedGradients", "LayerIntegratedGradients"]


def _chunk(internal_batch_size, num_examples, n_steps, who):
    if internal_batch_size is None:
        return n_steps
    if isinstance(internal_batch_size, bool) or not isinstance(internal_batch_size, int) or internal_batch_size < 1:
        raise ValueError(f"{who}: internal_batch_size must be a positive int (examples per forward pass) or None, "
                         f"got {internal_batch_size!r}")
    if internal_batch_size < num_examples:
        warnings.warn(f"{who}: internal_batch_size {internal_batch_size} is less than the number of examples "
                      f"{num_examples}; using {num_examples} (one step per forward pass)", stacklevel=3)
    return max(1, internal_batch_size // num_examples)


def integrate(grad_at, starts, ends, method, n_steps, internal_batch_size, who):
    """Σₖ wₖ ∂f/∂z at z = s + αₖ(e − s), per tensor of ``ends`` (starts may be numbers). ``grad_at(points,
    k)`` gets the ``k`` steps' points stacked along the batch and returns their gradients."""
    alphas, weights = points_and_weights(method, n_steps, who)
    n = ends[0].shape[0]
    chunk = _chunk(internal_batch_size, n, n_steps, who)
    totals = None
    for lo in range(0, n_steps, chunk):
        a, w = alphas[lo:lo + chunk], weights[lo:lo + chunk]
        with no_grad():
            points = tuple(cat([s + al * (e - s) for al in a], 0) for s, e in zip(starts, ends))
        grads = grad_at(tuple(p.requires_grad_() for p in points), len(a))
        part = []
        for g in grads:
            rest = tuple(g.shape[1:])
            steps = tensor(w, dtype=g.dtype, device=g.device).reshape(len(a), *([1] * (len(rest) + 1)))
            part.append((g.detach().reshape(len(a), n, *rest) * steps).sum(0))
        totals = part if totals is None else [t + p for t, p in zip(totals, part)]
    return tuple(totals)


class IntegratedGradients(GradientAttribution):
    """Integrated gradients with respect to the inputs (Captum's ``IntegratedGradients``).

    ``multiply_by_inputs=False`` returns the integrated gradient itself, without the ``(x − b)`` factor.
    """

    def __init__(self, forward_func, multiply_by_inputs=True):
        super().__init__(forward_func)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs

    def has_convergence_delta(self):
        return True

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None, n_steps=50,
                  method="gausslegendre", internal_batch_size=None, return_convergence_delta=False):
        """Attributions shaped like ``inputs`` (a tuple for tuple inputs), and with
        ``return_convergence_delta=True`` also the delta, shape (N,): Σ attributions − (f(x) − f(b)).

        Args:
            inputs: Tensor (N, ...) or tuple of Tensors, floating point.
            baselines: the starting points: None (zeros), a number, a Tensor of the input's shape or of
                one example's (1, ...), or a tuple of those, one per input.
            target: which output to explain: None (the output is one value per example), an int (a
                column for every example), a tuple (an index into the output's dimensions after the
                batch), a list or 1-D Tensor (one per example; ints or tuples).
            additional_forward_args: more arguments for the model, after the inputs (tensors with a
                batch dimension are repeated along with the inputs).
            n_steps: points of the path integral.
            method: ``gausslegendre`` (default) or ``riemann_left``/``_right``/``_middle``/``_trapezoid``.
            internal_batch_size: examples per forward pass (the N·n_steps points are run in chunks).
        """
        who = "IntegratedGradients.attribute"
        xs, is_tuple = format_inputs(inputs, who)
        bs = format_baselines(baselines, xs, who)
        check_target(target, xs[0].shape[0], who)
        args = format_forward_args(additional_forward_args)
        xs = tuple(x.detach() for x in xs)
        bs = tuple(b.detach().to(x.dtype) if isinstance(b, Tensor) else b for b, x in zip(bs, xs))

        def grad_at(points, k):
            return gradients(self.forward_func, points, expand_target(target, k), expand_forward_args(args, k), who)

        totals = integrate(grad_at, bs, xs, method, n_steps, internal_batch_size, who)
        attrs = tuple(t * (x - b) for t, x, b in zip(totals, xs, bs)) if self._multiply_by_inputs else totals
        out = format_output(is_tuple, attrs)
        if return_convergence_delta:
            return out, self.compute_convergence_delta(attrs, bs, xs, target, args)
        return out


def _as_list(value):
    return list(value) if isinstance(value, tuple) else [value]


class LayerIntegratedGradients(GradientAttribution):
    """Integrated gradients with respect to a layer's output (or input), e.g. an ``nn.Embedding``'s
    vectors for token-id inputs (Captum's ``LayerIntegratedGradients``). The path runs from the layer's
    value at the baselines to its value at the inputs; the model runs on the inputs while a forward hook
    (public ``register_forward_hook``) puts each point of the path in place of the layer's output.

    Args:
        forward_func: the model (or a callable) that runs ``layer``.
        layer: an ``nn.Module`` the forward calls, or a list of them (then a list is returned).
        multiply_by_inputs: multiply by (layer value at x − at baseline).
    """

    def __init__(self, forward_func, layer, multiply_by_inputs=True):
        super().__init__(forward_func)
        layers = layer if isinstance(layer, list) else [layer]
        if not layers:
            raise ValueError("LayerIntegratedGradients: layer is an empty list; pass a module (or a list of them)")
        for m in layers:
            if not hasattr(m, "register_forward_hook"):
                raise TypeError(f"LayerIntegratedGradients: layer must be an nn.Module (or a list of them), got "
                                f"{type(m).__name__}")
        self.layer = layer
        self._layers = layers
        self._multiply_by_inputs = bool(multiply_by_inputs)

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs

    def has_convergence_delta(self):
        return True

    def _register(self, hook_for, to_input):
        handles = []
        for i, m in enumerate(self._layers):
            if to_input:
                handles.append(m.register_forward_pre_hook(hook_for(i, m)))
            else:
                handles.append(m.register_forward_hook(hook_for(i, m)))
        return handles

    def _layer_values(self, model_inputs, args, to_input, who):
        """Each layer's output (or input) when the model runs on ``model_inputs``: a list of
        ``(tensors, was it a tuple)``."""
        seen = {}

        def hook_for(i, m):
            def hook(module, hook_args, output=None):
                value = hook_args if to_input else output
                if i not in seen:
                    seen[i] = ([t.detach() for t in _as_list(value)], isinstance(value, tuple))
            return hook

        handles = self._register(hook_for, to_input)
        try:
            with no_grad():
                self.forward_func(*model_inputs, *(args or ()))
        finally:
            for h in handles:
                h.remove()
        for i, m in enumerate(self._layers):
            if i not in seen:
                raise RuntimeError(f"{who}: layer {type(m).__name__} did not run in the model's forward; pass a "
                                   "module the model calls")
            for t in seen[i][0]:
                if not isinstance(t, Tensor):
                    raise TypeError(f"{who}: layer {type(m).__name__} "
                                    f"{'takes' if to_input else 'returns'} a {type(t).__name__}; attribution "
                                    "needs Tensors (or a tuple of Tensors)")
        return [seen[i] for i in range(len(self._layers))]

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None, n_steps=50,
                  method="gausslegendre", internal_batch_size=None, return_convergence_delta=False,
                  attribute_to_layer_input=False):
        """Attributions shaped like the layer's output (input with ``attribute_to_layer_input``): one
        Tensor, a tuple for a layer with several, a list for a list of layers; with
        ``return_convergence_delta=True`` also the delta Σ attributions − (f(x) − f(b)), shape (N,).

        ``inputs`` and ``baselines`` are the model's (token ids may be integers; the default baseline is
        0, e.g. a padding id); the other arguments are those of ``IntegratedGradients.attribute``.
        """
        who = "LayerIntegratedGradients.attribute"
        xs, _ = format_inputs(inputs, who, floating=False)
        xs = tuple(x.detach() for x in xs)
        bs = dense_baselines(format_baselines(baselines, xs, who), xs)
        check_target(target, xs[0].shape[0], who)
        args = format_forward_args(additional_forward_args)
        to_input = bool(attribute_to_layer_input)
        at_x = self._layer_values(xs, args, to_input, who)
        at_b = self._layer_values(bs, args, to_input, who)
        counts = [len(v[0]) for v in at_x]
        for (vx, _), (vb, _), m in zip(at_x, at_b, self._layers):
            for tx, tb in zip(vx, vb):
                if tuple(tx.shape) != tuple(tb.shape):
                    raise RuntimeError(f"{who}: layer {type(m).__name__} gives shape {tuple(tx.shape)} at the inputs "
                                       f"but {tuple(tb.shape)} at the baselines; they must match")
        ends = tuple(t for v in at_x for t in v[0])
        starts = tuple(t for v in at_b for t in v[0])
        for t in ends:
            if t.ndim == 0 or t.shape[0] != xs[0].shape[0] or t.dtype.kind != "f":
                raise TypeError(f"{who}: the layer's value has shape {tuple(t.shape)} and dtype {t.dtype}; it "
                                f"needs the batch ({xs[0].shape[0]}) first and a floating dtype")

        def grad_at(points, k):
            model_inputs = tuple(repeat_batch(x, k) for x in xs)
            model_args = expand_forward_args(args, k)
            offsets = [sum(counts[:i]) for i in range(len(counts))]

            def hook_for(i, m):
                mine = points[offsets[i]:offsets[i] + counts[i]]
                was_tuple = at_x[i][1]

                def hook(module, hook_args, output=None):
                    old = _as_list(hook_args if to_input else output)
                    for o, p in zip(old, mine):
                        if tuple(o.shape) != tuple(p.shape):
                            raise RuntimeError(f"{who}: layer {type(m).__name__} gave shape {tuple(o.shape)} where "
                                               f"the path has {tuple(p.shape)}; the layer must give one row per "
                                               "example")
                    return tuple(mine) if (was_tuple or to_input) else mine[0]
                return hook

            def forward_with_points(*_):
                handles = self._register(hook_for, to_input)
                try:
                    return self.forward_func(*model_inputs, *(model_args or ()))
                finally:
                    for h in handles:
                        h.remove()

            return gradients(forward_with_points, points, expand_target(target, k), None, who)

        totals = integrate(grad_at, starts, ends, method, n_steps, internal_batch_size, who)
        attrs = tuple(t * (e - s) for t, e, s in zip(totals, ends, starts)) if self._multiply_by_inputs else totals
        per_layer, k = [], 0
        for c in counts:  # Captum's convention: a tuple only for a layer with several tensors
            per_layer.append(format_output(c > 1, attrs[k:k + c]))
            k += c
        out = per_layer if isinstance(self.layer, list) else per_layer[0]
        if return_convergence_delta:
            return out, self.compute_convergence_delta(attrs, bs, xs, target, args)
        return out

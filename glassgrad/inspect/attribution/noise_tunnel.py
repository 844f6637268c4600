"""``NoiseTunnel``: run an attribution method on noisy copies of the inputs and combine the results
(SmoothGrad, Smilkov et al. 2017; its square; VarGrad, Adebayo et al. 2018)."""
import numbers

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...ops.creation import randn
from ...ops.shape import cat
from .arguments import (expand_forward_args, expand_target, format_baselines, format_inputs, format_output,
                        is_float, repeat_batch)
from .base import Attribution

__all__ = ["NoiseTunnel", "NT_TYPES"]

NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


class NoiseTunnel(Attribution):
    """Wraps an attribution method (Captum's ``NoiseTunnel``): ``attribute`` adds Gaussian noise
    N(0, stdev²) to each input ``nt_samples`` times and returns the mean of the attributions
    (``smoothgrad``), the mean of their squares (``smoothgrad_sq``) or their variance (``vargrad``).

    The noise comes from glassgrad's default generator (``glassgrad.manual_seed`` makes it
    reproducible), drawn as Captum draws it: per batch of ``nt_samples_batch_size`` samples, input by
    input, ``stdev * randn((N * m,) + input.shape[1:], dtype=input.dtype)`` added to the input with each
    example repeated ``m`` times in a row.
    """

    def __init__(self, attribution_method):
        if not isinstance(attribution_method, Attribution):
            raise TypeError("NoiseTunnel: attribution_method must be one of glassgrad.inspect.attribution's "
                            f"methods (e.g. Saliency(model)), got {type(attribution_method).__name__}")
        super().__init__(attribution_method.forward_func)
        self.attribution_method = attribution_method
        self.is_delta_supported = attribution_method.has_convergence_delta()
        self.is_gradient_method = attribution_method.uses_gradients

    @property
    def multiplies_by_inputs(self):
        return self.attribution_method.multiplies_by_inputs

    def has_convergence_delta(self):
        return self.is_delta_supported

    def attribute(self, inputs, nt_type="smoothgrad", nt_samples=5, nt_samples_batch_size=None, stdevs=1.0,
                  **kwargs):
        """The combined attributions, shaped like the wrapped method's; with
        ``return_convergence_delta=True`` (for a method that has one) also the deltas of every noisy
        sample, shape (N * nt_samples,). Other keyword arguments go to the wrapped method's
        ``attribute`` (per-example targets, baselines and forward arguments are repeated with the
        samples).

        Args:
            nt_type: ``smoothgrad``, ``smoothgrad_sq`` or ``vargrad``.
            nt_samples: noisy samples per example.
            nt_samples_batch_size: samples per call of the wrapped method (None: all at once).
            stdevs: the noise's standard deviation, one number or a tuple with one per input.
        """
        who = "NoiseTunnel.attribute"
        xs, is_tuple = format_inputs(inputs, who, floating=False)
        for i, x in enumerate(xs):
            if not is_float(x):
                raise TypeError(f"{who}: inputs[{i}] has dtype {x.dtype}; noise needs floating-point inputs")
        if nt_type not in NT_TYPES:
            raise ValueError(f"{who}: nt_type must be one of {', '.join(NT_TYPES)}, got {nt_type!r}")
        if isinstance(nt_samples, bool) or not isinstance(nt_samples, int) or nt_samples < 1:
            raise ValueError(f"{who}: nt_samples must be a positive int, got {nt_samples!r}")
        if nt_samples_batch_size is not None and (isinstance(nt_samples_batch_size, bool)
                                                  or not isinstance(nt_samples_batch_size, int)
                                                  or nt_samples_batch_size < 1):
            raise ValueError(f"{who}: nt_samples_batch_size must be a positive int or None, got "
                             f"{nt_samples_batch_size!r}")
        sd = stdevs if isinstance(stdevs, tuple) else (stdevs,) * len(xs)
        if len(sd) != len(xs) or not all(isinstance(s, numbers.Real) and not isinstance(s, bool) and s >= 0
                                         for s in sd):
            raise ValueError(f"{who}: stdevs must be a number >= 0 or a tuple of them, one per input "
                             f"({len(xs)}), got {stdevs!r}")
        want_delta = bool(kwargs.get("return_convergence_delta", False))
        if want_delta and not self.is_delta_supported:
            raise ValueError(f"{who}: {type(self.attribution_method).__name__} has no convergence delta; drop "
                             "return_convergence_delta")
        batch = nt_samples if nt_samples_batch_size is None else min(nt_samples, nt_samples_batch_size)
        parts = [batch] * (nt_samples // batch) + ([nt_samples % batch] if nt_samples % batch else [])
        n = xs[0].shape[0]
        sums = sq_sums = None
        deltas = []
        out_tuple = is_tuple
        for m in parts:
            kw = self._expand(kwargs, m, xs, who)
            with no_grad():
                noisy = tuple(repeat_batch(x.detach(), m, interleave=True)
                              + float(s) * randn((n * m,) + tuple(x.shape[1:]), dtype=x.dtype, device=x.device)
                              for x, s in zip(xs, sd))
            result = self.attribution_method.attribute(noisy if is_tuple else noisy[0], **kw)
            if want_delta:
                result, delta = result
                deltas.append(delta)
            out_tuple = isinstance(result, tuple)
            attrs = result if out_tuple else (result,)
            with no_grad():
                s_part = [a.detach().reshape(a.shape[0] // m, m, *a.shape[1:]).sum(1) for a in attrs]
                q_part = [(a.detach() * a.detach()).reshape(a.shape[0] // m, m, *a.shape[1:]).sum(1) for a in attrs]
            sums = s_part if sums is None else [a + b for a, b in zip(sums, s_part)]
            sq_sums = q_part if sq_sums is None else [a + b for a, b in zip(sq_sums, q_part)]
        mean = [s / nt_samples for s in sums]
        mean_sq = [s / nt_samples for s in sq_sums]
        if nt_type == "smoothgrad":
            combined = mean
        elif nt_type == "smoothgrad_sq":
            combined = mean_sq
        else:
            combined = [q - a * a for a, q in zip(mean, mean_sq)]
        out = format_output(out_tuple, combined)
        if want_delta:
            return out, cat(deltas, 0)
        return out

    @staticmethod
    def _expand(kwargs, m, xs, who):
        """The wrapped method's keyword arguments for ``m`` samples of each example."""
        kw = dict(kwargs)
        if "target" in kw:
            kw["target"] = expand_target(kw["target"], m, interleave=True)
        if "additional_forward_args" in kw and kw["additional_forward_args"] is not None:
            args = kw["additional_forward_args"]
            kw["additional_forward_args"] = expand_forward_args(args if isinstance(args, tuple) else (args,), m,
                                                                interleave=True)
        if kw.get("baselines") is not None:
            bs = format_baselines(kw["baselines"], xs, who)
            kw["baselines"] = tuple(repeat_batch(b, m, interleave=True)
                                    if isinstance(b, Tensor) and b.shape[0] == x.shape[0] > 1 else b
                                    for b, x in zip(bs, xs))
        return kw

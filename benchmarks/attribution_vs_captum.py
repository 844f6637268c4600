"""glassgrad.inspect.attribution vs Captum on the same models (weights copied, float64): the largest
absolute difference and that difference relative to the largest |Captum attribution|, per method and
input kind, and each side's completeness error for integrated gradients.

    python benchmarks/attribution_vs_captum.py            # a table on stdout
    python benchmarks/attribution_vs_captum.py --json out.json

Needs torch and captum (the `test` extra)."""
import argparse
import json

import numpy as np
import torch
from captum import attr as ca
from captum.attr._core.noise_tunnel import NoiseTunnel as CaptumNoiseTunnel

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn

A = gi.attribution


class GEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.fc = nn.Embedding(50, 16), nn.Linear(16, 4)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(1))


class TEmbed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.fc = torch.nn.Embedding(50, 16), torch.nn.Linear(16, 4)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(1))


def twins(kind):
    torch.manual_seed(0)
    if kind == "image":
        t = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.Tanh(), torch.nn.Flatten(),
                                torch.nn.Linear(8 * 8 * 8, 10))
        g = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1),
                          nn.Tanh(), nn.Flatten(), nn.Linear(8 * 8 * 8, 10))
    elif kind == "tabular":
        t = torch.nn.Sequential(torch.nn.Linear(12, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 3))
        g = nn.Sequential(nn.Linear(12, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
    else:
        t, g = TEmbed(), GEmbed()
    t, g = t.double().eval(), g.double().eval()
    gp = dict(g.named_parameters())
    for name, p in t.named_parameters():
        gp[name].array[...] = p.detach().numpy()
    return t, g


def data(kind, n=8):
    rng = np.random.default_rng(1)
    if kind == "image":
        x, classes = rng.normal(size=(n, 3, 16, 16)), 10
    elif kind == "tabular":
        x, classes = rng.normal(size=(n, 12)), 3
    else:
        x, classes = rng.integers(0, 50, size=(n, 10)), 4
    target = [int(c) for c in rng.integers(0, classes, size=n)]
    return torch.tensor(x), gg.tensor(x), target


def diff(ours, theirs):
    o, t = ours.detach().numpy(), theirs.detach().numpy().astype(np.float64)
    d = float(np.abs(o - t).max())
    return d, d / float(np.abs(t).max())


def same_noise_tunnel(tm, gm, tx, gx, target, nt_type, seed=3, nt_samples=8, stdev=0.2):
    """Captum's NoiseTunnel fed the noise glassgrad's draws (glassgrad's documented order)."""
    gg.manual_seed(seed)
    draws = [gg.randn((gx.shape[0] * nt_samples,) + tuple(gx.shape[1:]), dtype=gg.float64).numpy()]
    feed = iter(draws)
    original = CaptumNoiseTunnel._add_noise_to_input
    CaptumNoiseTunnel._add_noise_to_input = staticmethod(
        lambda input, s, m: input.repeat_interleave(m, dim=0) + s * torch.tensor(next(feed)))
    try:
        theirs = CaptumNoiseTunnel(ca.Saliency(tm)).attribute(tx.clone().requires_grad_(), nt_type=nt_type,
                                                              nt_samples=nt_samples, stdevs=stdev, target=target)
    finally:
        CaptumNoiseTunnel._add_noise_to_input = original
    gg.manual_seed(seed)
    ours = A.NoiseTunnel(A.Saliency(gm)).attribute(gx, nt_type=nt_type, nt_samples=nt_samples, stdevs=stdev,
                                                   target=target)
    return ours, theirs


def measure():
    rows = []
    for kind in ("image", "tabular", "embedding"):
        tm, gm = twins(kind)
        tx, gx, target = data(kind)
        if kind == "embedding":
            ours, od = A.LayerIntegratedGradients(gm, gm.emb).attribute(gx, target=target,
                                                                        return_convergence_delta=True)
            theirs, td = ca.LayerIntegratedGradients(tm, tm.emb).attribute(tx, target=target,
                                                                           return_convergence_delta=True)
            rows.append(("LayerIntegratedGradients (embedding output)", kind, *diff(ours, theirs),
                         float(od.abs().max().item()), float(td.abs().max())))
            continue
        req = tx.clone().requires_grad_()
        rows.append(("Saliency", kind, *diff(A.Saliency(gm).attribute(gx, target=target),
                                             ca.Saliency(tm).attribute(req, target=target)), None, None))
        rows.append(("InputXGradient", kind, *diff(A.InputXGradient(gm).attribute(gx, target=target),
                                                   ca.InputXGradient(tm).attribute(req, target=target)), None, None))
        for method in ("gausslegendre", "riemann_trapezoid"):
            ours, od = A.IntegratedGradients(gm).attribute(gx, target=target, method=method,
                                                           return_convergence_delta=True)
            theirs, td = ca.IntegratedGradients(tm).attribute(tx, target=target, method=method,
                                                              return_convergence_delta=True)
            rows.append((f"IntegratedGradients ({method}, 50 steps)", kind, *diff(ours, theirs),
                         float(od.abs().max().item()), float(td.abs().max())))
        for nt_type in ("smoothgrad", "smoothgrad_sq", "vargrad"):
            rows.append((f"NoiseTunnel(Saliency) {nt_type}, same noise", kind,
                         *diff(*same_noise_tunnel(tm, gm, tx, gx, target, nt_type)), None, None))
        window = (3, 4, 4) if kind == "image" else (3,)
        strides = (3, 2, 2) if kind == "image" else 1
        ours = A.Occlusion(gm).attribute(gx, sliding_window_shapes=window, strides=strides, target=target,
                                         perturbations_per_eval=4)
        theirs = ca.Occlusion(tm).attribute(tx, sliding_window_shapes=window, strides=strides, target=target,
                                            perturbations_per_eval=4)
        rows.append((f"Occlusion window {window}", kind, *diff(ours, theirs), None, None))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = measure()
    print(f"{'method':<50} {'inputs':<10} {'max |diff|':>11} {'relative':>10} {'|delta| ours':>13} "
          f"{'|delta| Captum':>15}")
    for name, kind, d, rel, od, td in rows:
        extra = "" if od is None else f" {od:>13.2e} {td:>15.2e}"
        print(f"{name:<50} {kind:<10} {d:>11.2e} {rel:>10.2e}{extra}")
    if args.json:
        keys = ("method", "inputs", "max_abs_diff", "relative_diff", "delta_ours", "delta_captum")
        with open(args.json, "w") as f:
            json.dump([dict(zip(keys, r)) for r in rows], f, indent=1)


if __name__ == "__main__":
    main()

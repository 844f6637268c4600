"""``glassgrad explain``: backpropagation through a tiny network with fixed weights, every number
printed (forward, each backward step from ``gi.explain``, one SGD step), to check by hand."""
from ..errors import fail

NAME = "explain"
HELP = "walk through backpropagation of a tiny network with fixed weights, every number printed"
DESCRIPTION = ("Run the 2-2-2 sigmoid network of Matt Mazur's worked example 'A Step by Step Backpropagation "
               "Example' (inputs 0.05, 0.1; targets 0.01, 0.99) in float64: the forward pass, every step of the "
               "backward pass with its formula, upstream gradient, local derivative and the gradient it passes on "
               "(glassgrad.inspect.explain), and one SGD step (old weight, gradient, lr, new weight).")

X, TARGET = [[0.05, 0.10]], [[0.01, 0.99]]
W1, B1 = [[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35]
W2, B2 = [[0.40, 0.45], [0.50, 0.55]], [0.60, 0.60]


def add_arguments(g):
    """The flags of ``explain``."""
    g.add_argument("--lr", type=float, default=0.5, help="learning rate of the SGD step (default 0.5, as in the "
                   "worked example)")


def _network():
    import glassgrad as gg
    import glassgrad.nn as nn

    class TwoLayer(nn.Module):
        """x -> sigmoid(hidden(x)) -> sigmoid(output(h))"""

        def __init__(self):
            super().__init__()
            self.hidden, self.output = nn.Linear(2, 2, dtype=gg.float64), nn.Linear(2, 2, dtype=gg.float64)

        def forward(self, x):
            return gg.sigmoid(self.output(gg.sigmoid(self.hidden(x))))

    model = TwoLayer()
    with gg.no_grad():
        for p, value in ((model.hidden.weight, W1), (model.hidden.bias, B1), (model.output.weight, W2),
                         (model.output.bias, B2)):
            p.copy_(gg.tensor(value, dtype=gg.float64))
    return model


def _arr(a):
    """An array as nested lists of 9-digit numbers."""
    return f"{float(a):.9g}" if a.ndim == 0 else "[" + ", ".join(_arr(v) for v in a) + "]"


def _v(t):
    """A one-row batch (or a number) as a flat list."""
    a = t.detach().numpy().reshape(-1)
    return _arr(a[0]) if a.size == 1 else _arr(a)


def run(args):
    """Print the walk-through; exit status 0."""
    if not args.lr > 0:
        raise fail(f"--lr must be a positive number, got {args.lr}")
    import numpy as np

    import glassgrad as gg
    import glassgrad.inspect as gi
    import glassgrad.nn.functional as F
    from glassgrad import optim

    model = _network()
    x, t = gg.tensor(X, dtype=gg.float64), gg.tensor(TARGET, dtype=gg.float64)
    params = dict(model.named_parameters())
    print("A 2-2-2 network with sigmoid units and fixed weights (Matt Mazur, 'A Step by Step Backpropagation "
          "Example'), float64.")
    print(f"  x = {_v(x)}   target t = {_v(t)}")
    for name, p in params.items():
        print(f"  {name:14s}= {_arr(p.detach().numpy())}")
    print("  (the example's w1..w4 are hidden.weight row by row, w5..w8 output.weight; b1, b2 the biases)")
    print("  loss = mse_loss(o, t) = mean over the 2 outputs of (o - t)²  (= Σ ½(t - o)², the example's E_total)")
    with gg.no_grad():
        net_h = model.hidden(x)
        h = gg.sigmoid(net_h)
        net_o = model.output(h)
        o = gg.sigmoid(net_o)
    print("\nForward pass")
    print(f"  net_h = x Wᵀ + b (hidden)  = {_v(net_h)}")
    print(f"  h     = σ(net_h)           = {_v(h)}")
    print(f"  net_o = h Wᵀ + b (output)  = {_v(net_o)}")
    print(f"  o     = σ(net_o)           = {_v(o)}")
    loss = F.mse_loss(model(x), t)
    print(f"  loss  = mean((o - t)²)     = {_v(loss)}")
    print()
    print(gi.explain(loss, params=params))

    opt = optim.SGD(model.parameters(), lr=args.lr)
    old = {name: p.detach().clone() for name, p in params.items()}
    opt.zero_grad()
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in params.items()}
    opt.step()
    print(f"\nOne SGD step, lr = {args.lr:g}:  w ← w - lr · dL/dw")
    for name, p in params.items():
        w0, g, w1 = old[name].numpy(), grads[name].numpy(), p.detach().numpy()
        for index in np.ndindex(w0.shape):
            label = f"{name}[{', '.join(map(str, index))}]"
            print(f"  {label:20s} {w0[index]:.9g} - {args.lr:g} × {g[index]:.9g} = {w1[index]:.9g}")
    with gg.no_grad():
        after = F.mse_loss(model(x), t)
    print(f"\nLoss after the step: {_v(after)} (before: {_v(loss)})")
    return 0

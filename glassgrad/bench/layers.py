"""W_CNN's layers alone, forward + backward: the cases of ``glassgrad bench --layers``.

* ``conv1``  Conv2d(1, 32, 3, padding=1) on (64, 1, 28, 28), the input needs no gradient
* ``pool1``  MaxPool2d(2) on (64, 32, 28, 28)
* ``conv2``  Conv2d(32, 64, 3, padding=1) on (64, 32, 14, 14), the input needs a gradient
* ``pool2``  MaxPool2d(2) on (64, 64, 14, 14)
* ``stack``  conv1-ReLU-pool1-conv2-ReLU-pool2 together (W_CNN's feature extractor)
* ``model``  the whole W_CNN model (the stack, Flatten, Linear-ReLU-Linear) forward + backward

The same lines build each case in both frameworks (``fw`` is the glassgrad or torch module). This
module imports neither framework: the workers load it in a process that imports only the one timed.
"""
import numpy as np

CASES = ["conv1", "pool1", "conv2", "pool2", "stack", "model"]


def _array(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _layers(nn):
    """{case: (module factory, input shape, whether the input needs a gradient)}."""
    def features():
        return [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    return {
        "conv1": (lambda: nn.Conv2d(1, 32, 3, padding=1), (64, 1, 28, 28), False),
        "pool1": (lambda: nn.MaxPool2d(2), (64, 32, 28, 28), True),
        "conv2": (lambda: nn.Conv2d(32, 64, 3, padding=1), (64, 32, 14, 14), True),
        "pool2": (lambda: nn.MaxPool2d(2), (64, 64, 14, 14), True),
        "stack": (lambda: nn.Sequential(*features()), (64, 1, 28, 28), False),
        "model": (lambda: nn.Sequential(*features(), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(),
                                        nn.Linear(128, 10)), (64, 1, 28, 28), False),
    }


def build(fw, nn, case):
    """(layer, input, output gradient) of ``case`` in framework ``fw``; inputs are seeded NumPy
    data, the same in both frameworks."""
    fw.manual_seed(0)
    make, shape, input_grad = _layers(nn)[case]
    layer = make()
    x = fw.from_numpy(_array(shape, 0))
    if input_grad:
        x.requires_grad_(True)
    with fw.no_grad():
        out_shape = tuple(layer(x).shape)
    return layer, x, fw.from_numpy(_array(out_shape, 1))


def make_step(fw, nn, optim, case):
    """A function running forward + backward of ``case`` once in framework ``fw``."""
    layer, x, g = build(fw, nn, case)

    def step():
        for p in layer.parameters():
            p.grad = None
        x.grad = None
        layer(x).backward(g)
    return step

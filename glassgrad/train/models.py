"""Model builders used by the CLI (and handy elsewhere): the MLP and CNN of the standard workloads,
built from a JSON-able config so a checkpoint can rebuild its model."""
import math

from .. import nn

__all__ = ["mlp", "cnn", "build_model", "model_config"]


def mlp(in_features=784, num_classes=10, hidden=(512, 256)):
    """Flatten, then Linear-ReLU per hidden width, then Linear to ``num_classes`` logits.

    With the defaults this is W_MLP (benchmarks/WORKLOADS.md): Linear(784,512)-ReLU-Linear(512,256)-
    ReLU-Linear(256,10).

    Shape:
        - Input: (N, *) with prod(*) = in_features.
        - Output: (N, num_classes).
    """
    layers, width = [nn.Flatten()], int(in_features)
    for h in hidden:
        layers += [nn.Linear(width, int(h)), nn.ReLU()]
        width = int(h)
    layers.append(nn.Linear(width, int(num_classes)))
    return nn.Sequential(*layers)


def cnn(in_channels=1, num_classes=10, image_size=28):
    """W_CNN (benchmarks/WORKLOADS.md): Conv2d(C,32,3,pad 1)-ReLU-MaxPool(2)-Conv2d(32,64,3,pad 1)-ReLU-
    MaxPool(2)-Flatten-Linear(64*(S/4)^2,128)-ReLU-Linear(128,num_classes).

    Shape:
        - Input: (N, in_channels, image_size, image_size).
        - Output: (N, num_classes).
    """
    side = int(image_size) // 2 // 2
    if side < 1:
        raise ValueError(f"cnn: image_size {image_size} is too small for two 2x2 poolings (need >= 4)")
    return nn.Sequential(
        nn.Conv2d(int(in_channels), 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(), nn.Linear(128, int(num_classes)))


def model_config(name, input_shape, num_classes, hidden=None):
    """A JSON-able description of a model: what ``build_model`` needs."""
    if name not in ("mlp", "cnn"):
        raise ValueError(f"unknown model {name!r}; choose 'mlp' or 'cnn'")
    config = {"name": name, "input_shape": [int(d) for d in input_shape], "num_classes": int(num_classes)}
    if name == "mlp":
        config["hidden"] = [int(h) for h in (hidden if hidden is not None else (512, 256))]
    elif len(config["input_shape"]) != 3 or config["input_shape"][1] != config["input_shape"][2]:
        raise ValueError(f"the cnn model needs square images (C, S, S), got input shape {tuple(input_shape)}; "
                         "use --model mlp for tabular data")
    return config


def build_model(config):
    """Build the model a ``model_config`` describes."""
    name, shape = config["name"], config["input_shape"]
    if name == "mlp":
        return mlp(math.prod(shape), config["num_classes"], config.get("hidden", (512, 256)))
    if name == "cnn":
        return cnn(shape[0], config["num_classes"], shape[1])
    raise ValueError(f"unknown model {name!r} in config; expected 'mlp' or 'cnn'")

"""Model builders used by the CLI (and handy elsewhere): the MLP and CNN of the standard workloads,
built from a JSON-able config so a checkpoint can rebuild its model."""
import math

from .. import nn

__all__ = ["mlp", "cnn", "build_model", "model_config", "validate_config", "count_parameters", "MAX_PARAMETERS"]


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


MAX_PARAMETERS = 100_000_000   # 400 MB of float32 weights (1.2 GB more for Adam's moments)
MAX_CLASSES = 100_000
MAX_WIDTH = 1_000_000          # any one dimension of the input or a hidden layer
MAX_HIDDEN_LAYERS = 32


def _is_size(v, limit):
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= limit


def count_parameters(config):
    """The number of parameters of the model a (valid) config describes, without building it."""
    shape, classes = config["input_shape"], config["num_classes"]
    if config["name"] == "mlp":
        widths = [math.prod(shape), *config.get("hidden", (512, 256)), classes]
        return sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    side = shape[1] // 4
    return (shape[0] * 9 + 1) * 32 + (32 * 9 + 1) * 64 + (64 * side * side + 1) * 128 + 129 * classes


def validate_config(config):
    """Check a model description (as read from a checkpoint) before anything is allocated: the
    types, the sizes (each at most ``MAX_WIDTH``, at most ``MAX_CLASSES`` classes) and the
    parameter count (at most ``MAX_PARAMETERS``). Returns it; raises ValueError saying what is wrong."""
    if not isinstance(config, dict):
        raise ValueError(f"the model description must be a dict with 'name', 'input_shape' and 'num_classes', "
                         f"got {type(config).__name__} {str(config)[:60]!r}")
    name, shape, classes = config.get("name"), config.get("input_shape"), config.get("num_classes")
    if name not in ("mlp", "cnn"):
        raise ValueError(f"unknown model {str(name)[:60]!r}; expected 'mlp' or 'cnn'")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 4 or not all(_is_size(d, MAX_WIDTH) for d in shape):
        raise ValueError(f"input_shape must be a list of 1 to 4 sizes from 1 to {MAX_WIDTH}, got {str(shape)[:60]}")
    if not _is_size(classes, MAX_CLASSES):
        raise ValueError(f"num_classes must be an integer from 1 to {MAX_CLASSES}, got {str(classes)[:60]}")
    if name == "mlp":
        hidden = config.get("hidden", [512, 256])
        if (not isinstance(hidden, (list, tuple)) or len(hidden) > MAX_HIDDEN_LAYERS
                or not all(_is_size(h, MAX_WIDTH) for h in hidden)):
            raise ValueError(f"hidden must be a list of at most {MAX_HIDDEN_LAYERS} widths from 1 to {MAX_WIDTH}, "
                             f"got {str(hidden)[:60]}")
        if math.prod(shape) > MAX_WIDTH:
            raise ValueError(f"input_shape {shape} has {math.prod(shape)} features, more than {MAX_WIDTH}")
    elif len(shape) != 3 or shape[1] != shape[2] or shape[1] < 4:
        raise ValueError(f"the cnn model needs square images (C, S, S) with S >= 4, got input shape {tuple(shape)}; "
                         "use --model mlp for tabular data")
    n = count_parameters(config)
    if n > MAX_PARAMETERS:
        raise ValueError(f"the model would have {n:,} parameters, more than the limit of {MAX_PARAMETERS:,}")
    return config


def model_config(name, input_shape, num_classes, hidden=None):
    """A JSON-able description of a model: what ``build_model`` needs (validated: see
    ``validate_config``)."""
    if name not in ("mlp", "cnn"):
        raise ValueError(f"unknown model {name!r}; choose 'mlp' or 'cnn'")
    config = {"name": name, "input_shape": [int(d) for d in input_shape], "num_classes": int(num_classes)}
    if name == "mlp":
        config["hidden"] = [int(h) for h in (hidden if hidden is not None else (512, 256))]
    return validate_config(config)


def build_model(config):
    """Build the model a ``model_config`` describes (validated first: see ``validate_config``)."""
    validate_config(config)
    name, shape = config["name"], config["input_shape"]
    if name == "mlp":
        return mlp(math.prod(shape), config["num_classes"], config.get("hidden", (512, 256)))
    return cnn(shape[0], config["num_classes"], shape[1])

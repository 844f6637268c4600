"""The optimizer factory of ``glassgrad train``: PyTorch's defaults for every hyperparameter the
command line leaves out, and the ones it gives used as given."""
from .errors import fail

__all__ = ["OPTIMIZERS", "make_optimizer", "default_lr"]

# per optimizer: default lr and the hyperparameters it takes (with PyTorch's defaults)
OPTIMIZERS = {
    "sgd": (1e-2, {"momentum": 0.9, "weight_decay": 0.0}),   # (momentum 0.9: the CLI's own default)
    "adam": (1e-3, {"weight_decay": 0.0}),
    "adamw": (1e-3, {"weight_decay": 1e-2}),
    "rmsprop": (1e-3, {"momentum": 0.0, "weight_decay": 0.0}),
    "adagrad": (1e-2, {"weight_decay": 0.0}),
}


def default_lr(name):
    """The learning rate used when ``--lr`` is not given."""
    return OPTIMIZERS[name][0]


def make_optimizer(name, params, lr=None, momentum=None, weight_decay=None):
    """The optimizer ``name`` over ``params``; None means the optimizer's default. Giving a
    hyperparameter the optimizer does not take (``--momentum`` for Adam) is a usage error."""
    from glassgrad import optim
    default, known = OPTIMIZERS[name]
    given = {k: v for k, v in (("momentum", momentum), ("weight_decay", weight_decay)) if v is not None}
    for key in given:
        if key not in known:
            raise fail(f"--{key.replace('_', '-')} does not apply to --optimizer {name} "
                       f"(it takes {', '.join('--' + k.replace('_', '-') for k in known)})")
    kwargs = dict(known, **given)
    cls = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
           "adagrad": optim.Adagrad}[name]
    return cls(params, lr=default if lr is None else lr, **kwargs)

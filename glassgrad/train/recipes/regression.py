"""L_REGRESSION: scikit-learn's bundled diabetes data, fixed 80/20 split (seed 0), standardized
features and targets (training statistics), an MLP regressor trained with MSE in full-batch Adam
steps (the NumPy update: fused=False), compared with scikit-learn's ``Ridge`` on the same split.

The model is ``Linear(x) + MLP(x)``: a linear path beside a one-hidden-layer MLP (the data is
nearly linear; the MLP adds what the linear path misses). Its form (with or without the linear
path, activation, hidden width), the learning rate, weight decay, epochs and Ridge's alpha were
chosen on a validation split carved from the training 80% (``regression_tuning.py``; run
``python -m glassgrad.train.recipes.regression_tuning`` to repeat the choice); the test split
is used only for the final report."""
import sys

import numpy as np

from ... import nn, optim
from ...data.split import fixed_split
from .loop import predict_arrays
from .runner import RecipeSetup, run_recipe

__all__ = ["RECIPE", "DATASET", "MODEL", "DEFAULTS", "HIDDEN", "WEIGHT_DECAY", "ACTIVATION", "SKIP", "RIDGE_ALPHA",
           "ACTIVATIONS", "SkipMLP", "build_model", "prepare", "regression_metrics", "ridge_baseline", "setup", "train"]

RECIPE, DATASET, MODEL = "L_REGRESSION", "diabetes", "mlp-regressor"
# chosen on the validation split (regression_tuning.py); a batch larger than the data = full-batch steps
DEFAULTS = {"epochs": 50, "lr": 1e-2, "batch_size": 512}
HIDDEN, WEIGHT_DECAY, ACTIVATION, SKIP = 16, 1e-2, "tanh", True
RIDGE_ALPHA = 10.0
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "silu": nn.SiLU}


class SkipMLP(nn.Module):
    """``linear(x) + mlp(x)``: a linear regression path beside an MLP with one hidden layer."""

    def __init__(self, in_features, hidden, activation=ACTIVATION):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)
        self.mlp = nn.Sequential(nn.Linear(in_features, hidden), ACTIVATIONS[activation](), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.linear(x) + self.mlp(x)


def build_model(in_features=10, hidden=HIDDEN, activation=ACTIVATION, skip=SKIP):
    """The regressor: ``SkipMLP`` (Linear(x) + Linear-act-Linear(x)), or without the linear path
    (``skip=False``) the plain Linear(10, hidden)-act-Linear(hidden, 1)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"regression model: unknown activation {activation!r}; use one of {sorted(ACTIVATIONS)}")
    if skip:
        return SkipMLP(in_features, hidden, activation)
    return nn.Sequential(nn.Linear(in_features, hidden), ACTIVATIONS[activation](), nn.Linear(hidden, 1))


def prepare(validation=False):
    """((x_train, y_train), (x_test, y_test)) standardized with the training split's mean/std, float32.

    With ``validation=True``, the test split is left out altogether: the training 80% is split
    again 80/20 (seed 0) and ((x_fit, y_fit), (x_val, y_val)) come back, standardized with the
    fitting part's statistics."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError:
        raise ImportError("the diabetes recipe needs scikit-learn: pip install 'glassgrad[demo]'") from None
    x, y = load_diabetes(return_X_y=True)
    tr, te = fixed_split(len(x), 0.2, seed=0)
    if validation:
        fit, val = fixed_split(len(tr), 0.2, seed=0)
        tr, te = tr[fit], tr[val]
    xm, xs, ym, ys = x[tr].mean(0), x[tr].std(0), y[tr].mean(), y[tr].std()
    x, y = ((x - xm) / xs).astype(np.float32), ((y - ym) / ys).astype(np.float32)[:, None]
    return (x[tr], y[tr]), (x[te], y[te])


def regression_metrics(pred, target):
    """{'mse', 'mae', 'r2'} of predictions against targets (same units)."""
    pred, target = np.asarray(pred, np.float64).ravel(), np.asarray(target, np.float64).ravel()
    err = pred - target
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err))),
            "r2": float(1 - np.sum(err ** 2) / np.sum((target - target.mean()) ** 2))}


def ridge_baseline(train_split, test_split, alpha=RIDGE_ALPHA):
    """scikit-learn ``Ridge(alpha)`` fitted on ``train_split``: its metrics on ``test_split``."""
    from sklearn.linear_model import Ridge
    ridge = Ridge(alpha=alpha).fit(train_split[0], train_split[1].ravel())
    return regression_metrics(ridge.predict(test_split[0]), test_split[1])


def setup(data_dir, lr, verbose=True, hidden=HIDDEN, weight_decay=WEIGHT_DECAY, validation=False,
          activation=ACTIVATION, skip=SKIP):
    """The recipe's data (``data_dir`` unused: scikit-learn's bundled copy), model and Adam optimizer;
    ``validation=True`` scores on the validation split instead of the test split (for tuning)."""
    (xtr, ytr), (xte, yte) = prepare(validation)
    model = build_model(xtr.shape[1], hidden, activation, skip)
    if verbose:
        print(f"L_REGRESSION: {len(xtr)} train / {len(xte)} {'validation' if validation else 'test'} patients, "
              f"{xtr.shape[1]} features", flush=True)

    def evaluate(m):
        return {**regression_metrics(predict_arrays(m, xte), yte), "ridge": ridge_baseline((xtr, ytr), (xte, yte)),
                "ridge_alpha": RIDGE_ALPHA}
    # fused=False: on 193 weights Numba's kernel gains nothing, and importing it would cost more than training
    opt = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=False)
    return RecipeSetup(model, opt, nn.MSELoss(),
                       xtr, ytr, evaluate=evaluate,
                       info={"model": {"name": MODEL, "in_features": int(xtr.shape[1]), "hidden": hidden,
                                       "activation": activation, "skip": bool(skip)},
                             "weight_decay": weight_decay})


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True, out=None, resume=None):
    """Train; returns (model, optimizer, result dict with test mse/mae/r2, ridge's, seconds, extra)."""
    return run_recipe(sys.modules[__name__], data_dir, epochs, lr, batch_size, seed, verbose, out, resume,
                      checkpoint_every=50)

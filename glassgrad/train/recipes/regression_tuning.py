"""How L_REGRESSION's hyperparameters and Ridge's alpha were chosen: on a validation split carved
from the training 80% (``regression.prepare(validation=True)``), never on the test split.

    python -m glassgrad.train.recipes.regression_tuning      # prints the table and the choice
"""
import itertools

from ... import manual_seed
from . import regression
from .loop import predict_arrays, train_epochs

__all__ = ["GRID", "RIDGE_ALPHAS", "tune_mlp", "tune_ridge"]

GRID = {"hidden": (16, 64), "lr": (3e-3, 1e-2), "weight_decay": (1e-2, 1e-1), "epochs": (50, 100, 200, 300, 500)}
RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)


def tune_mlp(grid=GRID, seed=0):
    """[(validation MSE, {hidden, lr, weight_decay, epochs})] for every point of ``grid``, best first
    (full-batch steps; one run per (hidden, lr, weight_decay), scored after each epoch count)."""
    fit, val = regression.prepare(validation=True)
    rows = []
    for hidden, lr, wd in itertools.product(grid["hidden"], grid["lr"], grid["weight_decay"]):
        manual_seed(seed)
        s = regression.setup(None, lr, verbose=False, hidden=hidden, weight_decay=wd, validation=True)
        done = 0
        for epochs in sorted(grid["epochs"]):
            train_epochs(s.model, s.optimizer, s.loss_fn, fit[0], fit[1], epochs, len(fit[0]), seed, verbose=False,
                         start_epoch=done)
            done = epochs
            mse = regression.regression_metrics(predict_arrays(s.model, val[0]), val[1])["mse"]
            rows.append((mse, {"hidden": hidden, "lr": lr, "weight_decay": wd, "epochs": epochs}))
    return sorted(rows, key=lambda r: r[0])


def tune_ridge(alphas=RIDGE_ALPHAS):
    """[(validation MSE, alpha)] of scikit-learn's Ridge, best first."""
    fit, val = regression.prepare(validation=True)
    return sorted(((regression.ridge_baseline(fit, val, a)["mse"], a) for a in alphas), key=lambda r: r[0])


if __name__ == "__main__":
    for mse, config in tune_mlp():
        print(f"validation MSE {mse:.4f}  {config}")
    for mse, alpha in tune_ridge():
        print(f"validation MSE {mse:.4f}  Ridge alpha {alpha}")

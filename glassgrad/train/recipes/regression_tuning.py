"""How L_REGRESSION's model, hyperparameters and Ridge's alpha were chosen: on a validation split
carved from the training 80% (``regression.prepare(validation=True)``), never on the test split.

Two stages: every point of ``GRID`` trained once (seed 0); then the ``ENSEMBLE_TOP`` best of those
again as the average of ``ENSEMBLE_MEMBERS`` independently trained seeds. The choice is the row
with the lowest validation MSE over both stages.

    python -m glassgrad.train.recipes.regression_tuning      # prints the table and the choice
"""
import itertools

import numpy as np

from ... import manual_seed
from . import regression
from .loop import predict_arrays, train_epochs

__all__ = ["GRID", "RIDGE_ALPHAS", "ENSEMBLE_TOP", "ENSEMBLE_MEMBERS", "tune_mlp", "tune_ensembles", "tune_ridge"]

# skip: the linear path beside the MLP (regression.SkipMLP) or the plain MLP
GRID = {"skip": (False, True), "activation": ("tanh", "relu", "silu"), "hidden": (8, 16, 64), "lr": (3e-3, 1e-2),
        "weight_decay": (1e-2, 1e-1, 1.0), "epochs": (50, 100, 200, 300, 500, 1000)}
RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)
ENSEMBLE_TOP, ENSEMBLE_MEMBERS = 12, 5
_FIXED = {"skip": regression.SKIP, "activation": regression.ACTIVATION}  # for grids that leave them out


def _trained(config, fit, seed, epoch_counts):
    """Train ``config`` on ``fit`` (full-batch steps) from seed ``seed``: yields (epochs, the model)
    after each of ``epoch_counts``, in increasing order."""
    manual_seed(seed)
    s = regression.setup(None, config["lr"], verbose=False, hidden=config["hidden"],
                         weight_decay=config["weight_decay"], validation=True, activation=config["activation"],
                         skip=config["skip"])
    done = 0
    for epochs in sorted(epoch_counts):
        train_epochs(s.model, s.optimizer, s.loss_fn, fit[0], fit[1], epochs, len(fit[0]), seed, verbose=False,
                     start_epoch=done)
        done = epochs
        yield epochs, s.model


def tune_mlp(grid=GRID, seed=0):
    """[(validation MSE, config)] for every point of ``grid``, best first (full-batch steps; one
    run per point but the epochs, scored after each epoch count); config holds ``members=1``."""
    grid = {**{k: (v,) for k, v in _FIXED.items()}, **grid}
    fit, val = regression.prepare(validation=True)
    rows = []
    keys = ("skip", "activation", "hidden", "lr", "weight_decay")
    for values in itertools.product(*(grid[k] for k in keys)):
        config = dict(zip(keys, values))
        for epochs, model in _trained(config, fit, seed, grid["epochs"]):
            mse = regression.regression_metrics(predict_arrays(model, val[0]), val[1])["mse"]
            rows.append((mse, {**config, "epochs": epochs, "members": 1}))
    return sorted(rows, key=lambda r: r[0])


def tune_ensembles(rows, top=ENSEMBLE_TOP, members=ENSEMBLE_MEMBERS):
    """[(validation MSE, config)] of the ``top`` best configs of ``rows`` as the average of the
    predictions of ``members`` runs (seeds 0 to members-1), best first."""
    fit, val = regression.prepare(validation=True)
    out = []
    for _, config in rows[:top]:
        preds = [predict_arrays(next(_trained(config, fit, seed, (config["epochs"],)))[1], val[0])
                 for seed in range(members)]
        mse = regression.regression_metrics(np.mean(preds, 0), val[1])["mse"]
        out.append((mse, {**config, "members": members}))
    return sorted(out, key=lambda r: r[0])


def tune_ridge(alphas=RIDGE_ALPHAS):
    """[(validation MSE, alpha)] of scikit-learn's Ridge, best first."""
    fit, val = regression.prepare(validation=True)
    return sorted(((regression.ridge_baseline(fit, val, a)["mse"], a) for a in alphas), key=lambda r: r[0])


if __name__ == "__main__":
    single = tune_mlp()
    rows = sorted(single + tune_ensembles(single), key=lambda r: r[0])
    for mse, config in rows[:30]:
        print(f"validation MSE {mse:.4f}  {config}")
    print(f"... {len(rows) - 30} more rows")
    for mse, alpha in tune_ridge():
        print(f"validation MSE {mse:.4f}  Ridge alpha {alpha}")
    print(f"chosen: {rows[0][1]}")

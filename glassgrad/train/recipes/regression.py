"""L_REGRESSION: scikit-learn's bundled diabetes data, fixed 80/20 split (seed 0), standardized
features and targets (training statistics), an MLP regressor trained with MSE, compared with
scikit-learn's ``Ridge`` on the same split."""
import numpy as np

from ... import manual_seed, nn, optim
from ...data.split import fixed_split
from .loop import predict_arrays, train_epochs

__all__ = ["DATASET", "MODEL", "DEFAULTS", "build_model", "prepare", "regression_metrics", "ridge_baseline", "train"]

DATASET, MODEL = "diabetes", "mlp-regressor"
DEFAULTS = {"epochs": 50, "lr": 3e-3, "batch_size": 32}
WEIGHT_DECAY = 1e-2


def build_model(in_features=10, hidden=16):
    """Linear(10, 16)-Tanh-Linear(16, 1)."""
    return nn.Sequential(nn.Linear(in_features, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def prepare():
    """((x_train, y_train), (x_test, y_test)) standardized with the training split's mean/std, float32."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError:
        raise ImportError("the diabetes recipe needs scikit-learn: pip install 'glassgrad[demo]'") from None
    x, y = load_diabetes(return_X_y=True)
    tr, te = fixed_split(len(x), 0.2, seed=0)
    xm, xs, ym, ys = x[tr].mean(0), x[tr].std(0), y[tr].mean(), y[tr].std()
    x, y = ((x - xm) / xs).astype(np.float32), ((y - ym) / ys).astype(np.float32)[:, None]
    return (x[tr], y[tr]), (x[te], y[te])


def regression_metrics(pred, target):
    """{'mse', 'mae', 'r2'} of predictions against targets (same units)."""
    pred, target = np.asarray(pred, np.float64).ravel(), np.asarray(target, np.float64).ravel()
    err = pred - target
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err))),
            "r2": float(1 - np.sum(err ** 2) / np.sum((target - target.mean()) ** 2))}


def ridge_baseline(train_split, test_split):
    """scikit-learn ``Ridge()`` (alpha 1) fitted on the same standardized split: its test metrics."""
    from sklearn.linear_model import Ridge
    ridge = Ridge().fit(train_split[0], train_split[1].ravel())
    return regression_metrics(ridge.predict(test_split[0]), test_split[1])


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True):
    """Train; returns (model, optimizer, result dict with test mse/mae/r2, ridge's, seconds, extra)."""
    manual_seed(seed)
    (xtr, ytr), (xte, yte) = prepare()
    model = build_model(xtr.shape[1])
    opt = optim.Adam(model.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    if verbose:
        print(f"L_REGRESSION: {len(xtr)} train / {len(xte)} test patients, {xtr.shape[1]} features", flush=True)
    seconds = train_epochs(model, opt, nn.MSELoss(), xtr, ytr, epochs, batch_size, seed, verbose)
    ours = regression_metrics(predict_arrays(model, xte), yte)
    ridge = ridge_baseline((xtr, ytr), (xte, yte))
    extra = {"recipe": "L_REGRESSION", "dataset": DATASET, "model": {"name": MODEL, "in_features": int(xtr.shape[1])},
             "test": ours, "ridge": ridge, "train_seconds": seconds}
    return model, opt, {**ours, "ridge": ridge, "seconds": seconds, "extra": extra}

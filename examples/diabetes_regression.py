"""MLP regressor on scikit-learn's diabetes data next to scikit-learn's Ridge, written the way a
PyTorch user writes it. Standardized features and targets, fixed 80/20 split. The model is a
linear path beside a small MLP (``Linear(x) + MLP(x)``), with the settings the recipe chose on
a validation split (``python -m glassgrad.train.recipes.regression_tuning``).

    python examples/diabetes_regression.py
"""
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

import glassgrad as torch
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.data import fixed_split

torch.manual_seed(0)
x, y = load_diabetes(return_X_y=True)
tr, te = fixed_split(len(x), 0.2, seed=0)
x = (x - x[tr].mean(0)) / x[tr].std(0)
y = (y - y[tr].mean()) / y[tr].std()
x_train, y_train = torch.tensor(x[tr], dtype=torch.float32), torch.tensor(y[tr, None], dtype=torch.float32)
x_test, y_test = torch.tensor(x[te], dtype=torch.float32), torch.tensor(y[te, None], dtype=torch.float32)


class SkipMLP(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.linear = nn.Linear(10, 1)
        self.mlp = nn.Sequential(nn.Linear(10, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.linear(x) + self.mlp(x)


model = SkipMLP()
opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-2)
for epoch in range(50):  # full-batch steps
    loss = F.mse_loss(model(x_train), y_train)
    opt.zero_grad()
    loss.backward()
    opt.step()

with torch.no_grad():
    pred = model(x_test)
mse = F.mse_loss(pred, y_test).item()
mae = (pred - y_test).abs().mean().item()
r2 = 1 - ((pred - y_test) ** 2).sum().item() / ((y_test - y_test.mean()) ** 2).sum().item()
ridge = Ridge(alpha=10.0).fit(x[tr], y[tr]).predict(x[te])
print(f"MLP:   MSE {mse:.4f}  MAE {mae:.4f}  R2 {r2:.4f}")
print(f"Ridge: MSE {np.mean((ridge - y[te]) ** 2):.4f}  MAE {np.mean(np.abs(ridge - y[te])):.4f}  "
      f"R2 {1 - np.sum((ridge - y[te]) ** 2) / np.sum((y[te] - y[te].mean()) ** 2):.4f}")

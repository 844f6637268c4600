"""Spoken digits (Free Spoken Digit Dataset): log-mel spectrograms into a small CNN, written the way a
PyTorch user writes it. Recordings 0-4 of each speaker and digit are the test split.

    python examples/spoken_digits.py PATH/fsdd
"""
import sys

import numpy as np

import glassgrad as torch
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.data.fsdd import load_fsdd

torch.manual_seed(0)
(x_train, y_train), (x_test, y_test) = load_fsdd(sys.argv[1] if len(sys.argv) > 1 else "tests/data/fsdd")
mean, std = x_train.mean(), x_train.std()
x_train, x_test = torch.tensor((x_train - mean) / std), torch.tensor((x_test - mean) / std)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(32 * 10 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
rng = np.random.default_rng(0)
for epoch in range(15):
    model.train()
    order = rng.permutation(len(x_train))
    for i in range(0, len(order), 32):
        batch = torch.tensor(order[i:i + 32])
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {100 * accuracy:.2f}%")

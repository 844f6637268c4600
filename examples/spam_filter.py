"""Spam filter on the SMS Spam Collection, written the way a PyTorch user writes it.

    python examples/spam_filter.py PATH/sms-spam-collection

Bag of words (vocabulary from the training split only) -> Linear-ReLU-Linear, fixed 80/20 split.
"""
import sys

import numpy as np

import glassgrad as torch
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.data import Vocabulary, fixed_split, read_sms_spam

torch.manual_seed(0)
messages, labels = read_sms_spam(sys.argv[1] if len(sys.argv) > 1 else "tests/data/sms-spam-collection")
train_idx, test_idx = fixed_split(len(messages), 0.2, seed=0)
vocab = Vocabulary.build([messages[i] for i in train_idx], min_freq=2)
x = torch.tensor(vocab.bag_of_words(messages))
y = torch.tensor(labels)

model = nn.Sequential(nn.Linear(len(vocab), 64), nn.ReLU(), nn.Linear(64, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
rng = np.random.default_rng(0)
for epoch in range(5):
    model.train()
    order = train_idx[rng.permutation(len(train_idx))]
    for i in range(0, len(order), 32):
        batch = torch.tensor(order[i:i + 32])
        loss = F.cross_entropy(model(x[batch]), y[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        test = torch.tensor(test_idx)
        accuracy = (model(x[test]).argmax(1) == y[test]).float().mean().item()
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {100 * accuracy:.2f}%")

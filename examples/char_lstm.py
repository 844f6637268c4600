"""A character-level LSTM language model on tiny Shakespeare, written the way a PyTorch user writes
it: Embedding(65, 64) - LSTM(64 -> 256) - Linear(256, 65), windows of 64 characters, Adam with
gradient clipping; the last 10% of the text is validation. Prints the validation loss (nats per
character) after each epoch, then 400 sampled characters.

    python examples/char_lstm.py PATH/tinyshakespeare/input.txt [epochs]
"""
import sys
import time

import numpy as np

import glassgrad as torch
import glassgrad.nn as nn
import glassgrad.nn.functional as F

path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/tinyshakespeare/input.txt"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.manual_seed(0)

text = open(path, encoding="utf-8").read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.int64)
cut = len(data) - len(data) // 10
train_data, val_data = data[:cut], data[cut:]
seq_len, batch_size = 64, 32


def windows(ids):
    """Non-overlapping windows of seq_len characters and the next character of each."""
    n = (len(ids) - 1) // seq_len
    return ids[:n * seq_len].reshape(n, seq_len), ids[1:n * seq_len + 1].reshape(n, seq_len)


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed=64, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        h, state = self.lstm(self.embed(x), state)
        return self.head(h), state


model = CharLSTM(len(chars))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
x_train, y_train = windows(train_data)
x_val, y_val = windows(val_data)
rng = np.random.default_rng(0)

for epoch in range(epochs):
    model.train()
    start = time.perf_counter()
    order = torch.from_numpy(rng.permutation(len(x_train)))
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        logits, _ = model(x_train[idx])
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y_train[idx].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
    model.eval()
    with torch.no_grad():
        val_loss = sum(F.cross_entropy(model(x_val[i:i + 64])[0].reshape(-1, len(chars)), y_val[i:i + 64].reshape(-1),
                                       reduction="sum").item() for i in range(0, len(x_val), 64)) / y_val.numel()
    print(f"epoch {epoch + 1}: validation loss {val_loss:.4f} nats/char ({time.perf_counter() - start:.0f}s)")

# sample: feed the prompt, then one character at a time, carrying the LSTM state
sampler = np.random.default_rng(0)  # (glassgrad has no torch.multinomial yet)
prompt, out = "ROMEO:", list("ROMEO:")
with torch.no_grad():
    logits, state = model(torch.tensor([[stoi[c] for c in prompt]]))
    for _ in range(400):
        probs = F.softmax(logits[0, -1].double() / 0.8, dim=-1).numpy()
        nxt = int(sampler.choice(len(chars), p=probs / probs.sum()))
        out.append(chars[nxt])
        logits, state = model(torch.tensor([[nxt]]), state)
print("".join(out))

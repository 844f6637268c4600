"""One application recipe (L_TEXT, L_SPEECH, L_REGRESSION, L_CHAR_LSTM, L_CHAR_GPT) in glassgrad or
PyTorch: the same data, split, model, optimizer, gradient clipping, batches (NumPy PCG64
permutations) and epochs as ``glassgrad train``'s recipe, written once against the PyTorch API.
Prints one JSON line: the held-out metric and the training wall time (epochs only: data
preparation and evaluation excluded, as in the recipe's own report). Each framework runs in its
own process:

    python benchmarks/apps_twin.py --framework torch --recipe L_SPEECH --data-dir PATH/fsdd

--threads sets the framework's intra-op threads (default 1); with 1, set OPENBLAS_NUM_THREADS=1
too (apps_compare.py does) so that NumPy's BLAS under glassgrad is one thread as well.
"""
import argparse
import json
import sys
import time

import numpy as np

# epochs, lr, batch size, weight decay, max gradient norm: the recipes' defaults
SETTINGS = {"L_TEXT": (5, 1e-3, 32, 0.0, None), "L_SPEECH": (15, 1e-3, 32, 0.0, None),
            "L_REGRESSION": (50, 1e-2, 512, 1e-2, None), "L_CHAR_LSTM": (10, 2e-3, 32, 0.0, 5.0),
            "L_CHAR_GPT": (3, 1e-3, 32, 0.0, None)}


def _data(recipe, data_dir):
    """((x_train, y_train), (x_test, y_test), vocabulary size or None) from the NumPy-only readers
    (glassgrad.data), so that both frameworks see identical arrays."""
    if recipe == "L_TEXT":
        from glassgrad.train.recipes.text import prepare
        _, train, test = prepare(data_dir)
    elif recipe == "L_SPEECH":
        from glassgrad.data.fsdd import load_fsdd
        (xtr, ytr), (xte, yte) = load_fsdd(data_dir)
        mean, std = xtr.mean(), xtr.std()
        train, test = ((xtr - mean) / std, ytr), ((xte - mean) / std, yte)
    elif recipe == "L_REGRESSION":
        from glassgrad.train.recipes.regression import prepare
        train, test = prepare()
    else:
        from glassgrad.data.char_text import read_char_text
        from glassgrad.train.recipes.char_lm import windows
        vocab, train_ids, val_ids = read_char_text(data_dir)
        return windows(train_ids), windows(val_ids), len(vocab)
    return train, test, None


def _model(torch, recipe, train, vocab):
    nn = torch.nn
    if recipe == "L_TEXT":
        return nn.Sequential(nn.Linear(train[0].shape[1], 64), nn.ReLU(), nn.Linear(64, 2))
    if recipe == "L_SPEECH":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 10 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
    if recipe == "L_REGRESSION":
        class SkipMLP(nn.Module):  # Linear(x) + MLP(x), as regression.SkipMLP
            def __init__(self):
                super().__init__()
                self.linear = nn.Linear(10, 1)
                self.mlp = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 1))

            def forward(self, x):
                return self.linear(x) + self.mlp(x)
        return SkipMLP()
    if recipe == "L_CHAR_LSTM":
        class CharLSTM(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed, self.lstm, self.head = nn.Embedding(vocab, 64), nn.LSTM(64, 256, batch_first=True), \
                    nn.Linear(256, vocab)

            def forward(self, idx):
                h, _ = self.lstm(self.embed(idx))
                return self.head(h)
        return CharLSTM()

    class CharGPT(nn.Module):
        def __init__(self, context=64, d_model=128):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d_model), nn.Embedding(context, d_model)
            block = nn.TransformerEncoderLayer(d_model, 4, 4 * d_model, dropout=0.0, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(block, 2, enable_nested_tensor=False)
            self.ln_f, self.head = nn.LayerNorm(d_model), nn.Linear(d_model, vocab)

        def forward(self, idx):
            t = idx.shape[1]
            mask = nn.Transformer.generate_square_subsequent_mask(t)
            h = self.tok(idx) + self.pos(torch.arange(t))
            return self.head(self.ln_f(self.blocks(h, mask=mask, is_causal=True)))
    return CharGPT()


def _loss(F, recipe):
    if recipe == "L_REGRESSION":
        return F.mse_loss
    if recipe.startswith("L_CHAR"):
        return lambda logits, y: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return F.cross_entropy


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=("glassgrad", "torch"), required=True)
    p.add_argument("--recipe", choices=tuple(SETTINGS), required=True)
    p.add_argument("--data-dir")
    p.add_argument("--threads", type=int, default=1, help="the framework's intra-op threads (default 1)")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs (e.g. 1 to time one epoch)")
    args = p.parse_args()
    train, test, vocab = _data(args.recipe, args.data_dir)
    if args.framework == "torch":
        import torch
    else:
        import glassgrad as torch
    torch.set_num_threads(args.threads)
    F = torch.nn.functional
    torch.manual_seed(0)
    epochs, lr, batch_size, wd, clip = SETTINGS[args.recipe]
    epochs = args.epochs or epochs
    model = _model(torch, args.recipe, train, vocab)
    # the regression recipe's 204 weights take the plain update (glassgrad: no Numba kernel to import)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd, fused=False if args.recipe == "L_REGRESSION" else None)
    loss_fn = _loss(F, args.recipe)
    xtr, ytr = torch.from_numpy(np.ascontiguousarray(train[0])), torch.from_numpy(np.ascontiguousarray(train[1]))
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(xtr))
        for i in range(0, len(order), batch_size):
            idx = torch.from_numpy(order[i:i + batch_size])
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            loss.item()  # as the recipe, which reads each batch's loss for its progress line
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        xte, yte = np.ascontiguousarray(test[0]), test[1]
        if args.recipe.startswith("L_CHAR"):
            total = sum(float(loss_fn(model(torch.from_numpy(xte[i:i + 64])), torch.from_numpy(yte[i:i + 64])))
                        * len(xte[i:i + 64]) for i in range(0, len(xte), 64))
            metric = {"val_loss": total / len(xte)}
        else:
            out = model(torch.from_numpy(xte)).numpy()
            if args.recipe == "L_REGRESSION":
                metric = {"test_mse": float(np.mean((out - yte) ** 2))}
            else:
                metric = {"test_accuracy": float((out.argmax(1) == yte).mean())}
    print(json.dumps({"framework": args.framework, "recipe": args.recipe, "epochs": epochs, **metric,
                      "train_seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A word-level LSTM language model, written for PyTorch, run by either framework: only the imports
change.

It follows PyTorch's ``examples/word_language_model`` (``data.py``'s Dictionary/Corpus with an
``<eos>`` token per line, ``batchify``, ``get_batch`` over ``bptt`` steps, ``model.py``'s RNNModel
with encoder/LSTM/decoder, uniform init and optional weight tying, ``main.py``'s loop: hidden state
repackaged between batches, ``clip_grad_norm_``, a plain SGD update through ``p.data.add_``, the
learning rate divided by 4 when validation loss stops improving, perplexity reported), in a small
configuration so that a run takes a minute or two on a CPU.

    python examples/ported/word_lm.py --framework torch
    python examples/ported/word_lm.py --framework glassgrad

Data: ``--data FILE`` (plain text; the first 80% of lines train, the next 10% validate, the last 10%
test); default ``$GLASSGRAD_DATA/tinyshakespeare/input.txt`` when set, else the sample in ``tests/data``.
"""
import argparse
import json
import math
import os
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--framework", choices=["torch", "glassgrad"], default="glassgrad")
parser.add_argument("--data", default=None, help="a plain-text file")
parser.add_argument("--emsize", type=int, default=64)
parser.add_argument("--nhid", type=int, default=64)
parser.add_argument("--nlayers", type=int, default=2)
parser.add_argument("--lr", type=float, default=20.0)
parser.add_argument("--clip", type=float, default=0.25)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=20)
parser.add_argument("--bptt", type=int, default=35)
parser.add_argument("--dropout", type=float, default=0.2)
parser.add_argument("--tied", action="store_true", default=True)
parser.add_argument("--seed", type=int, default=1111)
args = parser.parse_args()

# ---- the only framework-specific lines --------------------------------------------------------
if args.framework == "torch":
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(os.cpu_count())
else:
    import glassgrad as torch
    import glassgrad.nn as nn
    import glassgrad.nn.functional as F
# ------------------------------------------------------------------------------------------------


class Dictionary:
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus:
    def __init__(self, path):
        self.dictionary = Dictionary()
        with open(path, encoding="utf8") as f:
            lines = [line for line in f if line.strip()]
        a, b = int(len(lines) * 0.8), int(len(lines) * 0.9)
        self.train = self.tokenize(lines[:a])
        self.valid = self.tokenize(lines[a:b])
        self.test = self.tokenize(lines[b:])

    def tokenize(self, lines):
        ids = []
        for line in lines:
            for word in line.split() + ["<eos>"]:
                ids.append(self.dictionary.add_word(word))
        return torch.tensor(ids, dtype=torch.int64)


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.nhid, self.nlayers = nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, criterion, data_source, ntokens, eval_batch_size):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def main():
    torch.manual_seed(args.seed)
    path = args.data or (os.path.join(os.environ["GLASSGRAD_DATA"], "tinyshakespeare", "input.txt")
                         if os.environ.get("GLASSGRAD_DATA")
                         else os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "tinyshakespeare",
                                           "input.txt"))
    corpus = Corpus(path)
    eval_batch_size = 10
    train_data = batchify(corpus.train, args.batch_size)
    val_data = batchify(corpus.valid, eval_batch_size)
    test_data = batchify(corpus.test, eval_batch_size)
    ntokens = len(corpus.dictionary)
    model = RNNModel(ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied)
    criterion = nn.NLLLoss()

    lr, best_val_loss = args.lr, None
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss, batches = 0.0, 0
        hidden = model.init_hidden(args.batch_size)
        for i in range(0, train_data.size(0) - 1, args.bptt):
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            total_loss += loss.item()
            batches += 1
        val_loss = evaluate(model, criterion, val_data, ntokens, eval_batch_size)
        print(f"epoch {epoch}: train loss {total_loss / batches:.3f}, valid loss {val_loss:.3f}, "
              f"valid ppl {math.exp(val_loss):.1f}, lr {lr:g}")
        if best_val_loss is None or val_loss < best_val_loss:
            best_val_loss = val_loss
        else:
            lr /= 4.0
    test_loss = evaluate(model, criterion, test_data, ntokens, eval_batch_size)
    seconds = time.perf_counter() - start
    print(json.dumps({"framework": args.framework, "vocabulary": ntokens, "train_tokens": len(corpus.train),
                      "valid_ppl": round(math.exp(best_val_loss), 1), "test_ppl": round(math.exp(test_loss), 1),
                      "epochs": args.epochs, "seconds": round(seconds, 1)}))


if __name__ == "__main__":
    main()

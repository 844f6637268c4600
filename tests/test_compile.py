"""glassgrad.compile: a captured and replayed training step gives the eager step's results bit for
bit, over many steps, for every benchmark workload and for models with dropout, batch norm,
schedulers, gradient clipping and momentum; guards re-record; what cannot be replayed runs eagerly
with a one-line reason."""
import warnings

import numpy as np
import pytest

import glassgrad
import glassgrad.inspect as gi
from glassgrad import nn, optim
from glassgrad.bench import workloads


def _run(build, steps, compiled, batches=None):
    """Losses and final parameters/buffers of ``steps`` steps of the model ``build()`` makes."""
    glassgrad.manual_seed(0)
    model, loss_fn, opt, sched, x, y = build()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if sched == "clip":
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        if sched not in (None, "clip"):
            sched.step()
        return loss

    fn = glassgrad.compile(step) if compiled else step
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a step that falls back to eager fails the test
        for i in range(steps):
            bx, by = batches(i) if batches else (x, y)
            losses.append(fn(bx, by).array.copy())
    state = [t.array.copy() for t in list(model.parameters()) + list(model.buffers())]
    return losses, state, fn


def _assert_bitwise(build, steps=8, batches=None):
    eager_losses, eager_state, _ = _run(build, steps, False, batches)
    losses, state, fn = _run(build, steps, True, batches)
    assert fn.status()[0].startswith("replaying"), fn.status()
    for i, (a, b) in enumerate(zip(eager_losses, losses)):
        assert a.dtype == b.dtype and np.array_equal(a, b), f"step {i}: loss {a} (eager) vs {b} (compiled)"
    for a, b in zip(eager_state, state):
        assert np.array_equal(a, b)
    return fn


@pytest.mark.parametrize("name", ["W_TINY", "W_MLP", "W_CNN", "W_LSTM", "W_GPT"])
def test_every_workload_replays_bit_for_bit(name):
    def build():
        model, loss_fn, opt, x, y = workloads.WORKLOADS[name].glassgrad(glassgrad, nn, optim)
        return model, loss_fn, opt, None, x, y
    fn = _assert_bitwise(build, steps=5 if name in ("W_CNN", "W_LSTM", "W_GPT") else 10)
    assert "backward nodes" in fn.status()[0]


def _small_data(i, n=16):
    rng = np.random.default_rng(i)
    x = glassgrad.from_numpy(rng.standard_normal((n, 3, 8, 8)).astype(np.float32))
    y = glassgrad.from_numpy(rng.integers(0, 4, n).astype(np.int64))
    return x, y


def _conv_bn_dropout():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.3),
                          nn.Flatten(), nn.Linear(8 * 8 * 8, 4))
    return model, nn.CrossEntropyLoss()


def test_dropout_batchnorm_scheduler_and_new_batches_every_step():
    def build():
        model, loss_fn = _conv_bn_dropout()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, loss_fn, opt, optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), None, None
    _assert_bitwise(build, steps=9, batches=_small_data)


def test_gradient_clipping_and_adamw():
    def build():
        model, loss_fn = _conv_bn_dropout()
        return model, loss_fn, optim.AdamW(model.parameters(), lr=1e-2), "clip", None, None
    _assert_bitwise(build, steps=8, batches=_small_data)


def test_recurrent_and_attention_models_with_their_own_initial_states():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(5, 7, num_layers=2, batch_first=True, dropout=0.2)
            self.attn = nn.MultiheadAttention(7, 1, batch_first=True, dropout=0.1)
            self.head = nn.Linear(7, 3)

        def forward(self, x):
            h, _ = self.gru(x)   # its zero initial state is made inside the step each time
            a, _ = self.attn(h, h, h, need_weights=False)
            return self.head(a[:, -1])

    def batches(i):
        rng = np.random.default_rng(100 + i)
        return (glassgrad.from_numpy(rng.standard_normal((4, 6, 5)).astype(np.float32)),
                glassgrad.from_numpy(rng.integers(0, 3, 4).astype(np.int64)))

    def build():
        model = Net()
        return model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), None, None, None
    _assert_bitwise(build, steps=7, batches=batches)


def test_guards_record_again_for_new_shapes_and_modes():
    glassgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)

    @glassgrad.compile
    def step(x):
        opt.zero_grad()
        loss = model(x).pow(2).mean()
        loss.backward()
        opt.step()
        return loss

    for n in (5, 5, 5, 7, 7, 7):
        step(glassgrad.randn(n, 4))
    model.eval()
    for _ in range(3):
        step(glassgrad.randn(5, 4))
    assert step.status() == ["replaying: 5 op forwards, 5 backward nodes, 4 gradient accumulations, 2 calls, "
                             "1 backward passes"] * 2 + [
        "replaying: 4 op forwards, 4 backward nodes, 4 gradient accumulations, 2 calls, 1 backward passes"]


def _fallback(step, *args):
    with pytest.warns(RuntimeWarning, match="runs eagerly") as record:
        for _ in range(3):
            step(*args)
    return str(record[0].message)


def test_a_value_read_in_the_step_falls_back_with_the_reason():
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = glassgrad.randn(4, 3)
    seen = []

    def step():
        opt.zero_grad()
        loss = model(x).sum()
        if loss.item() > -1e9:     # data-dependent Python
            loss.backward()
        opt.step()
        seen.append(1)
        return loss
    message = _fallback(glassgrad.compile(step))
    assert "item()" in message and len(seen) == 3   # it ran eagerly every time


def test_random_numbers_drawn_outside_ops_and_changing_constants_fall_back():
    model = nn.Linear(3, 1)

    def noisy():
        return model(glassgrad.randn(2, 3)).sum()
    assert "random numbers" in _fallback(glassgrad.compile(noisy))

    calls = [0]

    def counting():
        calls[0] += 1
        return (model(glassgrad.ones(2, 3)) * glassgrad.tensor(float(calls[0]))).sum()
    assert "changed between calls" in _fallback(glassgrad.compile(counting))


def test_a_monitor_is_never_skipped_silently():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = glassgrad.randn(8, 3), glassgrad.randn(8, 1)
    mon = gi.Monitor(model, opt, every=1)

    def step():
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    compiled = glassgrad.compile(step)
    with pytest.warns(RuntimeWarning, match="hooks"):
        for _ in range(3):
            mon.record(compiled())
    mon.close()
    assert compiled.status()[0].startswith("eager: Sequential has forward or backward hooks (a Monitor")


def test_fullgraph_raises_and_disable_returns_the_function():
    def step():
        return glassgrad.randn(2).sum()
    with pytest.raises(RuntimeError, match="fullgraph=True.*random numbers"):
        compiled = glassgrad.compile(step, fullgraph=True)
        compiled()
        compiled()
    assert glassgrad.compile(step, disable=True) is step
    with pytest.raises(TypeError, match="expected a function or a module"):
        glassgrad.compile(3)


def test_returned_tensors_are_detached_and_equal():
    w = glassgrad.ones(3, requires_grad=True)

    @glassgrad.compile
    def f(x):
        return (w * x).sum(), x * 2

    x = glassgrad.arange(3.0)
    outs = [f(x) for _ in range(3)]
    assert not outs[2][0].requires_grad and outs[2][0].item() == 3.0
    assert np.array_equal(outs[2][1].array, np.array([0.0, 2.0, 4.0], np.float32))
    assert w.grad is None


def test_modules_reached_through_other_objects_are_guarded_too():
    class Trainer:
        def __init__(self):
            glassgrad.manual_seed(0)
            self.model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1))

        def predict(self, x):
            return self.model(x)

    trainer, x = Trainer(), glassgrad.randn(8, 4)
    predict = glassgrad.compile(trainer.predict)
    with glassgrad.no_grad():
        for _ in range(3):
            predict(x)
        trainer.model.eval()
        outs = [predict(x) for _ in range(3)]
        expected = trainer.model(x)
    assert all(np.array_equal(o.array, expected.array) for o in outs)   # dropout off: eval mode is seen
    assert len(predict.status()) == 2 and all(s.startswith("replaying") for s in predict.status())


class _Packed(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.lstm = nn.Embedding(20, 8), nn.LSTM(8, 16, batch_first=True, bidirectional=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(x), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        return self.head(out.sum(1))


def _cnn_case():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.GELU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 8, 3), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 5))
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    return (model, opt, optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=50),
            lambda m, x, y: nn.functional.cross_entropy(m(x), y, label_smoothing=0.1),
            lambda rng: (rng.standard_normal((6, 3, 12, 12)).astype(np.float32), rng.integers(0, 5, 6)))


def _packed_case():
    model, lengths = _Packed(), glassgrad.tensor([5, 3, 7, 2])
    return (model, optim.RMSprop(model.parameters(), lr=1e-2), None,
            lambda m, x, y: nn.functional.cross_entropy(m(x, lengths), y),
            lambda rng: (rng.integers(0, 20, (4, 7)), rng.integers(0, 3, 4)))


def _transformer_case():
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True), 2,
                                  enable_nested_tensor=False)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    pad = glassgrad.tensor(np.array([[False] * 5 + [True]] * 3))
    return (model, opt, optim.lr_scheduler.StepLR(opt, 2),
            lambda m, x, y: nn.functional.mse_loss(m(x, src_key_padding_mask=pad), y),
            lambda rng: (rng.standard_normal((3, 6, 16)).astype(np.float32),
                         rng.standard_normal((3, 6, 16)).astype(np.float32)))


@pytest.mark.parametrize("case", [_cnn_case, _packed_case, _transformer_case],
                         ids=["groupnorm-gelu-inplace-relu-onecycle", "packed-bidirectional-lstm-rmsprop",
                              "transformer-padding-mask-dropout"])
def test_more_architectures_with_clipping_replay_bit_for_bit(case):
    results = []
    for compiled in (False, True):
        glassgrad.manual_seed(0)
        model, opt, sched, loss_fn, draw = case()

        def step(x, y):
            opt.zero_grad()
            loss = loss_fn(model, x, y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if sched is not None:
                sched.step()
            return loss
        fn = glassgrad.compile(step, fullgraph=True) if compiled else step
        losses = [fn(*map(glassgrad.from_numpy, draw(np.random.default_rng(i)))).array.copy() for i in range(6)]
        results.append((losses, [t.array.copy() for t in list(model.parameters()) + list(model.buffers())]))
    (eager_losses, eager_state), (losses, state) = results
    assert all(np.array_equal(a, b) for a, b in zip(eager_losses, losses))
    assert all(np.array_equal(a, b) for a, b in zip(eager_state, state))

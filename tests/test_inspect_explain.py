"""gi.explain: every step's numbers against PyTorch (same tiny networks, copied weights) and against
a hand derivation of a 2-2-1 sigmoid network; follow one element; clear errors; glassgrad explain
against the published figures of Matt Mazur's worked example."""
import re

import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn.functional as F
from glassgrad.cli import main

DT = gg.float64


def _pair(shape, rng):
    """The same float64 leaf in glassgrad and in PyTorch, both requiring grad."""
    a = rng.standard_normal(shape)
    return gg.tensor(a, dtype=DT, requires_grad=True), torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _chain(build_gg, build_torch, params_gg, params_torch, x_gg, x_torch):
    """Run both networks; torch keeps every intermediate's gradient. Returns (explanation, torch
    intermediates in forward order, loss last)."""
    loss = build_gg(x_gg, *params_gg)
    inter = build_torch(x_torch, *params_torch)
    for t in inter:
        t.retain_grad()
    ex = gi.explain(loss, params={f"p{i}": p for i, p in enumerate(params_gg)})
    inter[-1].backward()
    return ex, inter


def _check_chain(ex, inter, params_torch):
    """Step k works on the op that made inter[-k]: its upstream is that tensor's gradient, and the
    gradient it passes on to the op before is inter[-k-1]'s gradient; parameters get torch's .grad."""
    assert len(ex) == len(inter)
    names = {f"p{i}": q for i, q in enumerate(params_torch)}
    for k, step in enumerate(ex, start=1):
        np.testing.assert_allclose(step.upstream, inter[-k].grad.numpy(), rtol=1e-10, atol=1e-14)
        for operand in step.inputs:
            if operand.source is not None:
                assert operand.source == k + 1
                ref = inter[-k - 1].grad.numpy()
            else:
                ref = names[operand.name].grad.numpy()
            np.testing.assert_allclose(operand.gradient, ref, rtol=1e-10, atol=1e-14,
                                       err_msg=f"step {k} {step.op} input {operand.position}")
    compared = {o.name for s in ex for o in s.inputs if o.source is None}
    assert compared == set(names)


def test_mlp_tanh_relu_cross_entropy_matches_pytorch():
    rng = np.random.default_rng(0)
    (w1, tw1), (b1, tb1) = _pair((5, 3), rng), _pair((5,), rng)
    (w2, tw2), (b2, tb2) = _pair((4, 5), rng), _pair((4,), rng)
    (w3, tw3), (b3, tb3) = _pair((3, 4), rng), _pair((3,), rng)
    xa = rng.standard_normal((6, 3))
    y = np.array([0, 2, 1, 1, 0, 2])

    def g(x, w1, b1, w2, b2, w3, b3):
        return F.cross_entropy(F.linear(F.relu(F.linear(gg.tanh(F.linear(x, w1, b1)), w2, b2)), w3, b3),
                               gg.tensor(y))

    def t(x, w1, b1, w2, b2, w3, b3):
        z1 = torch.nn.functional.linear(x, w1, b1)
        a1 = torch.tanh(z1)
        z2 = torch.nn.functional.linear(a1, w2, b2)
        a2 = torch.relu(z2)
        z3 = torch.nn.functional.linear(a2, w3, b3)
        return [z1, a1, z2, a2, z3, torch.nn.functional.cross_entropy(z3, torch.tensor(y))]

    params = [w1, b1, w2, b2, w3, b3]
    tparams = [tw1, tb1, tw2, tb2, tw3, tb3]
    ex, inter = _chain(g, t, params, tparams, gg.tensor(xa, dtype=DT), torch.tensor(xa))
    assert [s.op for s in ex] == ["CrossEntropy", "Linear", "Relu", "Linear", "Tanh", "Linear"]
    _check_chain(ex, inter, tparams)
    assert all(p.grad is None for p in params)  # explain touches no .grad


def test_matmul_add_softmax_log_mul_sum_mean_sigmoid_mse_match_pytorch():
    rng = np.random.default_rng(1)
    (w, tw), (b, tb) = _pair((3, 4), rng), _pair((4,), rng)
    xa, ca, target = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.random((2,))

    def g(x, w, b):
        s = F.softmax(x @ w + b, dim=1)
        ls = F.log_softmax(s * gg.tensor(ca), dim=1)
        return F.mse_loss(gg.sigmoid(ls.sum(dim=1)), gg.tensor(target))

    def t(x, w, b):
        z = x @ w
        z2 = z + b
        s = torch.softmax(z2, dim=1)
        m = s * torch.tensor(ca)
        ls = torch.log_softmax(m, dim=1)
        sm = ls.sum(dim=1)
        o = torch.sigmoid(sm)
        d = o - torch.tensor(target)
        sq = d * d
        return [z, z2, s, m, ls, sm, o, d, sq, sq.mean()]

    ex, inter = _chain(g, t, [w, b], [tw, tb], gg.tensor(xa, dtype=DT), torch.tensor(xa))
    assert [s.op for s in ex] == ["Mean", "Mul", "Sub", "Sigmoid", "Sum", "LogSoftmax", "Mul", "Softmax", "Add",
                                  "MatMul"]
    # Mul(d, d) reads d twice: both of its inputs carry d's whole gradient
    mul = ex[1]
    assert [o.uses for o in mul.inputs] == [2, 2]
    np.testing.assert_allclose(mul.inputs[0].local, inter[7].detach().numpy(), rtol=1e-12)
    _check_chain(ex, inter, [tw, tb])


def test_small_cnn_matches_pytorch():
    rng = np.random.default_rng(5)
    (w, tw), (b, tb) = _pair((3, 2, 3, 3), rng), _pair((3,), rng)
    (v, tv), (c, tc) = _pair((4, 12), rng), _pair((4,), rng)   # 7 - 3 + 1 = 5, pooled to 2
    xa, y = rng.standard_normal((2, 2, 7, 7)), np.array([3, 0])

    def g(x, w, b, v, c):
        return F.cross_entropy(F.linear(F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2).flatten(1), v, c), gg.tensor(y))

    def t(x, w, b, v, c):
        z = torch.nn.functional.conv2d(x, w, b)
        a = torch.relu(z)
        p = torch.nn.functional.max_pool2d(a, 2)
        f = p.flatten(1)
        o = torch.nn.functional.linear(f, v, c)
        return [z, a, p, f, o, torch.nn.functional.cross_entropy(o, torch.tensor(y))]

    ex, inter = _chain(g, t, [w, b, v, c], [tw, tb, tv, tc], gg.tensor(xa, dtype=DT), torch.tensor(xa))
    assert [s.op for s in ex] == ["CrossEntropy", "Linear", "Reshape", "MaxPool2d", "Relu", "Conv2d"]
    _check_chain(ex, inter, [tw, tb, tv, tc])
    assert ex[3].inputs[0].local.sum() == 2 * 3 * 2 * 2   # one argmax per pooling window
    np.testing.assert_allclose(ex[4].inputs[0].local, (inter[0] > 0).double().numpy())  # relu' = [x > 0]


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_hand_derivation_of_a_2_2_1_network():
    W1, b1 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([0.35, 0.35])
    W2, b2 = np.array([[0.40, 0.45]]), np.array([0.60])
    x, t = np.array([0.05, 0.10]), 0.01
    # pen and paper
    h = _sigmoid(W1 @ x + b1)
    o = _sigmoid(W2 @ h + b2)[0]
    dL_do = 2 * (o - t)                 # L = (o - t)², the mean over one output
    dL_dnet_o = dL_do * o * (1 - o)
    dL_dW2 = dL_dnet_o * h
    dL_dh = dL_dnet_o * W2[0]
    dL_dnet_h = dL_dh * h * (1 - h)
    dL_dW1 = np.outer(dL_dnet_h, x)

    params = {n: gg.tensor(v, dtype=DT, requires_grad=True) for n, v in
              (("hidden.weight", W1), ("hidden.bias", b1), ("out.weight", W2), ("out.bias", b2))}
    hid = gg.sigmoid(F.linear(gg.tensor([x], dtype=DT), params["hidden.weight"], params["hidden.bias"]))
    out = gg.sigmoid(F.linear(hid, params["out.weight"], params["out.bias"]))
    loss = F.mse_loss(out, gg.tensor([[t]], dtype=DT))
    ex = gi.explain(loss, params=params)
    assert ex.loss == pytest.approx((o - t) ** 2, rel=1e-14)
    assert [s.op for s in ex] == ["Mean", "Mul", "Sub", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    sig_o, lin_o, sig_h, lin_h = ex[3], ex[4], ex[5], ex[6]
    np.testing.assert_allclose(sig_o.upstream, [[dL_do]], rtol=1e-13)
    np.testing.assert_allclose(sig_o.inputs[0].local, [[o * (1 - o)]], rtol=1e-13)   # σ' = y(1 - y)
    np.testing.assert_allclose(sig_o.passed[0], [[dL_dnet_o]], rtol=1e-13)
    grads = {op.name: op.gradient for op in lin_o.inputs}
    np.testing.assert_allclose(grads["out.weight"], [dL_dW2], rtol=1e-13)
    np.testing.assert_allclose(grads["out.bias"], [dL_dnet_o], rtol=1e-13)
    np.testing.assert_allclose(lin_o.inputs[0].gradient, [dL_dh], rtol=1e-13)
    np.testing.assert_allclose(lin_o.inputs[1].local, [h], rtol=1e-13)                # ∂net_o/∂W2 = h
    np.testing.assert_allclose(sig_h.inputs[0].local, [h * (1 - h)], rtol=1e-13)
    np.testing.assert_allclose(sig_h.passed[0], [dL_dnet_h], rtol=1e-13)
    grads = {op.name: op.gradient for op in lin_h.inputs}
    np.testing.assert_allclose(grads["hidden.weight"], dL_dW1, rtol=1e-13)
    np.testing.assert_allclose(grads["hidden.bias"], dL_dnet_h, rtol=1e-13)
    # the walk-through prints the numbers with at least 6 significant digits, and each op's formula
    text = str(ex)
    for v in (dL_dnet_o, dL_dW2[1], dL_dW1[1, 0], dL_dnet_h[0]):
        assert f"{v:.6g}"[:-1] in text
    assert "y = σ(x); dx = dy * y(1 - y)" in text
    assert "y = x Wᵀ + b" in text


def test_explain_leaves_the_graph_usable_and_grads_untouched():
    rng = np.random.default_rng(2)
    (w, tw) = _pair((3, 2), rng)
    x = gg.tensor(rng.standard_normal((4, 3)), dtype=DT)
    loss = (x @ w).tanh().sum()
    ex = gi.explain(loss)
    assert w.grad is None
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), ex[-1].inputs[0].gradient, rtol=1e-14)
    assert ex[-1].inputs[0].name == "input (a leaf)"
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        gi.explain(loss)


def test_every_step_has_its_ops_docstring_formula():
    rng = np.random.default_rng(3)
    w, _ = _pair((4, 3), rng)
    x = gg.tensor(rng.standard_normal((5, 4)), dtype=DT)
    z = F.log_softmax(F.relu(x @ w) * 2 + 1, dim=1)
    loss = F.cross_entropy(gg.tanh(z), gg.tensor([0, 1, 2, 0, 1])) + z.mean()
    for step in gi.explain(loss):
        assert "=" in step.formula and ";" in step.formula, (step.op, step.formula)


def test_follow_one_element_of_a_big_weight():
    rng = np.random.default_rng(4)
    (w1, tw1), (w2, tw2) = _pair((30, 20), rng), _pair((1, 30), rng)
    (u, tu) = _pair((1, 20), rng)    # a side branch that does not reach w1
    xa = rng.standard_normal((8, 20))
    x = gg.tensor(xa, dtype=DT)
    loss = F.linear(gg.sigmoid(F.linear(x, w1)), w2).pow(2).mean() + F.linear(x, u).mean()
    ex = gi.explain(loss, params={"w1": w1, "w2": w2, "u": u}, follow=(w1, (3, 4)))
    tl = (torch.sigmoid(torch.tensor(xa) @ tw1.T) @ tw2.T).pow(2).mean() + (torch.tensor(xa) @ tu.T).mean()
    tl.backward()
    assert ex.followed["gradient"] == pytest.approx(tw1.grad[3, 4].item(), rel=1e-12)
    # only the way from the loss to w1: the side branch (its Linear and Mean) is left out
    assert not any(o.name == "u" for s in ex for o in s.inputs)
    assert ex[-1].op == "Linear" and ex[-1].followed is not None
    text = str(ex)
    assert f"{tw1.grad[3, 4].item():.9g}" in text
    assert "shape (30, 20), norm" in text   # a big tensor is summarized
    # an elementwise step on the way shows the element as upstream × local
    hidden = gg.sigmoid(F.linear(x, w1))
    loss2 = (hidden * 3).sum()
    ex2 = gi.explain(loss2, follow=(hidden, (2, 5)))
    assert ex2[-1].op == "Sigmoid" and ex2.followed["gradient"] == pytest.approx(3.0)
    assert any("× local" in line for s in ex2 if s.followed for line in s.followed["lines"])


def test_bad_input_gives_clear_errors():
    w = gg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="one element"):
        gi.explain(w * 2)
    with pytest.raises(RuntimeError, match="no graph"):
        gi.explain(gg.ones(()))
    loss = (w * 2).sum()
    with pytest.raises(ValueError, match="not in the loss's graph"):
        gi.explain(loss, follow=(gg.ones(3, requires_grad=True), 0))
    with pytest.raises(IndexError, match="not valid for"):
        gi.explain(loss, follow=(w, 7))
    with pytest.raises(TypeError, match="pair"):
        gi.explain(loss, follow=w)


# Matt Mazur, "A Step by Step Backpropagation Example" (2015): the figures as published
MAZUR = {"E_total": 0.298371109, "out_h1": 0.593269992, "out_o1": 0.75136507, "dE/dw5": 0.082167041,
         "w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
         "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}


def test_glassgrad_explain_reproduces_the_published_worked_example(capsys):
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    new = {m[0]: (float(m[1]), float(m[2]), float(m[3])) for m in
           re.findall(r"^\s+(\w+\.\w+\[[\d, ]+\])\s+(\S+) - 0\.5 × (\S+) = (\S+)$", out, re.M)}
    assert len(new) == 12
    for i, key in enumerate(["hidden.weight[0, 0]", "hidden.weight[0, 1]", "hidden.weight[1, 0]",
                             "hidden.weight[1, 1]", "output.weight[0, 0]", "output.weight[0, 1]",
                             "output.weight[1, 0]", "output.weight[1, 1]"]):
        old, g, w = new[key]
        assert w == pytest.approx(old - 0.5 * g, rel=1e-8)
        assert w == pytest.approx(MAZUR[f"w{i + 1}"], abs=2e-8)
    assert new["output.weight[0, 0]"][1] == pytest.approx(MAZUR["dE/dw5"], abs=1e-9)
    for key in ("E_total", "out_h1", "out_o1"):
        assert f"{MAZUR[key]:.9g}" in out
    assert out.count("\nstep ") == 7 and "formula     y = σ(x); dx = dy * y(1 - y)" in out
    assert main(["explain", "--lr", "-1"]) == 2
    assert "--lr must be a positive number" in capsys.readouterr().err

"""The doctor: each pathology, built on purpose in a small run, is found with the right kind, layer
and step; healthy runs of several kinds (MLP/CNN, dropout, batch norm, SGD/Adam) raise no error or
warning. (python -m glassgrad.bench.doctor_accuracy runs the same scenarios over more seeds.)"""
import numpy as np
import pytest

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad import optim
from glassgrad.inspect import scenarios

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the nan scenario overflows on purpose


@pytest.mark.parametrize("name", list(scenarios.PATHOLOGIES))
def test_pathology_is_found_with_its_layer_and_step(name):
    out = scenarios.run(name, seed=0)
    kind, layer, step = out.expect
    findings = gi.diagnose(out.monitor)
    hits = [f for f in findings if f.kind == kind]
    assert hits, f"{name}: {kind} not found; findings: {[str(f) for f in findings]}"
    assert any((f.layer, f.step) == (layer, step) for f in hits), [str(f) for f in hits]
    assert all(f.severity in ("error", "warning") for f in hits)


@pytest.mark.parametrize("name", ["mlp_adam", "mlp_sgd", "mlp_dropout_adam", "mlp_batchnorm_sgd", "mlp_tanh_sgd",
                                  "cnn_batchnorm_adam"])
def test_healthy_run_has_no_error_or_warning(name):
    out = scenarios.run(name, seed=1)
    alarms = [str(f) for f in gi.diagnose(out.monitor) if f.severity in ("error", "warning")]
    assert not alarms
    assert out.losses[-1] < 0.7 * out.losses[0]  # it did learn: the quiet doctor is not a blind one


def test_finding_text_and_vocabulary():
    f = gi.Finding("dead_units", "warning", "fc1", 12, "90% of units never fire", "use LeakyReLU",
                   {"dead_share": 0.9})
    text = str(f)
    assert text.startswith("[warning] dead_units in layer 'fc1' from step 12: 90% of units never fire")
    assert "dead_share=0.9" in text and text.endswith("Try: use LeakyReLU")
    assert f.to_dict()["evidence"] == {"dead_share": 0.9}
    with pytest.raises(ValueError, match="unknown kind"):
        gi.Finding("sad_units", "warning", None, 0, "", "")
    with pytest.raises(ValueError, match="severity"):
        gi.Finding("dead_units", "fatal", None, 0, "", "")
    assert len(gi.KINDS) == 16


def _one_step(model, x, y, loss_fn):
    mon = gi.Monitor(model, optim.SGD(model.parameters(), lr=0.0), every=1)
    loss = loss_fn(model(x), y)
    loss.backward()
    mon.record(loss)
    mon.close()
    return {f.kind for f in gi.diagnose(mon)}


def test_loss_graph_rules_do_not_fire_on_correct_losses():
    gg.manual_seed(0)
    x = gg.randn(16, 5)
    labels = gg.tensor(np.arange(16) % 3)
    head = nn.Sequential(nn.Linear(5, 3), nn.LogSoftmax(dim=1))
    assert "double_softmax" not in _one_step(head, x, labels, F.nll_loss)
    binary = nn.Sequential(nn.Linear(5, 1), nn.Sigmoid())
    target = gg.tensor((np.arange(16) % 2).astype(np.float32)).view(-1, 1)
    assert "double_softmax" not in _one_step(binary, x, target, F.binary_cross_entropy)
    assert "double_softmax" in _one_step(binary, x, target, F.binary_cross_entropy_with_logits)
    reg = nn.Linear(5, 1)
    assert "loss_shape_broadcast" not in _one_step(reg, x, gg.randn(16, 1), F.mse_loss)
    assert "loss_shape_broadcast" not in _one_step(reg, x, gg.randn(16), lambda o, t: F.mse_loss(o.squeeze(1), t))
    with pytest.warns(UserWarning, match="target size"):
        assert "loss_shape_broadcast" in _one_step(reg, x, gg.randn(16), F.mse_loss)


def test_diagnose_rejects_other_sources():
    with pytest.raises(TypeError, match="Monitor, a RunRecord or a run directory"):
        gi.diagnose(42)


def test_docs_list_every_kind_and_threshold():
    import os
    from glassgrad.inspect import thresholds
    text = open(os.path.join(os.path.dirname(__file__), "..", "docs", "inspect.md")).read()
    for kind in gi.KINDS:
        assert f"| `{kind}` |" in text
    documented = {n for n in dir(thresholds) if n.isupper() and n not in ("HIST_BINS", "HIST_SAMPLE", "HIST_KEEP",
                                                                          "SIGNAL_SAMPLES", "SIGNAL_UNITS")}
    for name in documented:
        assert f"`{name}`" in text, name


def test_weights_that_vanishing_gradients_leave_unchanged_point_at_the_cause():
    """20 sigmoid layers: the first layers' lr · gradient is below float32's rounding of their weights.
    Their unchanged_weights findings are informational and point at vanishing_gradients (the one
    warning to act on), instead of suggesting a learning rate of 0."""
    gg.manual_seed(0)
    layers = [nn.Linear(16, 32), nn.Sigmoid()]
    for _ in range(19):
        layers += [nn.Linear(32, 32), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(32, 4))
    opt = optim.SGD(model.parameters(), lr=0.05)
    x, y = gg.randn(64, 16), gg.randint(0, 4, (64,))
    with gi.Monitor(model, opt, every=1) as mon:
        for _ in range(6):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            mon.record(loss)
    findings = gi.diagnose(mon)
    assert any(f.kind == "vanishing_gradients" and f.severity == "warning" for f in findings)
    unchanged = [f for f in findings if f.kind == "unchanged_weights"]
    assert unchanged and all(f.severity == "info" and "rounds away" in f.message for f in unchanged)
    lr, first = 0.05, unchanged[0]
    w = model[0].weight.detach().numpy()
    assert lr * first.evidence["max_grad_norm"] < np.finfo(np.float32).eps * np.linalg.norm(w)

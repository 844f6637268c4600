"""nn.Module semantics: registration, traversal, train/eval, zero_grad, to(), state_dict round
trips (with PyTorch's key names), strict loading errors, hooks, repr, containers, summary."""
import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
from glassgrad.nn import Parameter


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 5)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList([nn.Linear(5, 5), nn.Linear(5, 5)])
        self.heads = nn.ModuleDict({"a": nn.Linear(5, 2), "b": nn.Linear(5, 3, bias=False)})
        self.scale = Parameter(glassgrad.ones(1))
        self.register_buffer("steps", glassgrad.zeros(1))
        self.register_buffer("scratch", glassgrad.zeros(2), persistent=False)

    def forward(self, x):
        h = self.act(self.fc1(x))
        for block in self.blocks:
            h = block(h)
        return self.heads["a"](h) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 5)
        self.act = torch.nn.ReLU()
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(5, 5), torch.nn.Linear(5, 5)])
        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(5, 2), "b": torch.nn.Linear(5, 3, bias=False)})
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        h = self.act(self.fc1(x))
        for block in self.blocks:
            h = block(h)
        return self.heads["a"](h) * self.scale


# ---- registration and traversal ----------------------------------------------------------------
def test_names_match_torch():
    ours, theirs = Net(), TorchNet()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert len(list(ours.parameters())) == 10 and len(list(ours.buffers())) == 2
    assert len(list(ours.children())) == 4 and len(list(ours.modules())) == 9


def test_setattr_registers_and_unregisters():
    m = nn.Module()
    m.w = Parameter(glassgrad.ones(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("b", glassgrad.zeros(2))
    m.plain = 3
    assert set(m._parameters) == {"w"} and set(m._modules) == {"sub"} and set(m._buffers) == {"b"}
    assert m.w is m._parameters["w"] and m.sub is m._modules["sub"] and m.b is m._buffers["b"]
    m.w = None  # a parameter slot may be emptied
    assert m.w is None and list(m.parameters(recurse=False)) == []
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = glassgrad.ones(2)
    with pytest.raises(TypeError, match="child module 'sub'"):
        m.sub = 5
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.b = 5
    m.b = glassgrad.ones(3)
    assert m.b.shape == (3,)
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        m.nothing
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", glassgrad.ones(1))
    with pytest.raises(KeyError, match=r'contain "\."'):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("x", glassgrad.ones(1))
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)
    assert {"w", "b"} <= set(dir(m))


def test_assign_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = Parameter(glassgrad.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_missing_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(glassgrad.ones(1))


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("blocks.1") is net.blocks[1]
    assert net.get_parameter("heads.b.weight") is net.heads["b"].weight
    assert net.get_buffer("steps") is net.steps
    with pytest.raises(AttributeError, match="nope"):
        net.get_submodule("blocks.nope")


# ---- modes and bulk operations -----------------------------------------------------------------
def test_train_eval_propagates_and_affects_dropout():
    model = nn.Sequential(nn.Linear(10, 10), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.5)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    x = glassgrad.randn(8, 10)
    np.testing.assert_array_equal(model(x).array, model(x).array)
    model.train()
    assert all(m.training for m in model.modules())
    assert not np.array_equal(model(x).array, model(x).array)
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(glassgrad.randn(3, 4)).sum().backward()
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert len(grads) == 9  # heads.b is unused
    net.zero_grad(set_to_none=False)
    assert all(not g.array.any() for g in grads)
    assert all(p.grad is g for p, g in zip([p for p in net.parameters() if p.grad is not None], grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first():
    seen = []
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_double_float_keeps_parameter_objects():
    net = Net()
    params = list(net.parameters())
    net(glassgrad.randn(2, 4)).sum().backward()
    assert net.double() is net
    assert all(p.dtype == np.float64 for p in net.parameters()) and net.steps.dtype == np.float64
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert net.fc1.weight.grad.dtype == np.float64
    assert net(glassgrad.randn(2, 4).double()).dtype == np.float64
    net.to(glassgrad.float32)
    assert net.fc1.weight.dtype == np.float32
    net.to(glassgrad.zeros(1, dtype=glassgrad.float64))
    assert net.fc1.weight.dtype == np.float64
    net.float().to("cpu")
    assert net.fc1.weight.dtype == np.float32 and net.fc1.weight.device.type == "cpu"
    with pytest.raises(TypeError, match="floating point"):
        net.to(glassgrad.int64)


def test_to_leaves_integer_buffers_alone():
    m = nn.Module()
    m.register_buffer("count", glassgrad.tensor([3]))
    m.w = Parameter(glassgrad.ones(2))
    m.double()
    assert m.count.dtype == np.int64 and m.w.dtype == np.float64


def test_deepcopy_and_pickle():
    import pickle
    net = Net()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert all(a is not b for a, b in zip(net.parameters(), clone.parameters()))
        assert all(isinstance(p, Parameter) and p.requires_grad for p in clone.parameters())
        x = glassgrad.randn(2, 4)
        np.testing.assert_array_equal(net(x).array, clone(x).array)


# ---- state_dict --------------------------------------------------------------------------------
def test_state_dict_round_trip_with_torch():
    ours, theirs = Net(), TorchNet()
    sd = ours.state_dict()
    assert isinstance(sd, OrderedDict)
    assert all(not v.requires_grad and v.grad_fn is None for v in sd.values())
    assert sd["fc1.weight"].array is ours.fc1.weight.array  # detached, sharing memory
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in sd.items()})
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(glassgrad.Tensor(x)).array, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    # and back: torch's tensors are accepted directly, copied in place
    fresh = Net()
    weight = fresh.fc1.weight
    result = fresh.load_state_dict(TorchNet().state_dict() | theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert fresh.fc1.weight is weight
    np.testing.assert_array_equal(fresh(glassgrad.Tensor(x)).array, ours(glassgrad.Tensor(x)).array)


def test_state_dict_keep_vars_and_non_persistent():
    net = Net()
    sd = net.state_dict(keep_vars=True)
    assert sd["fc1.weight"] is net.fc1.weight
    assert "scratch" not in sd and "steps" in sd
    sd = net.state_dict(prefix="model.")
    assert list(sd)[:3] == ["model.scale", "model.steps", "model.fc1.weight"]


def test_load_state_dict_strict_errors_like_torch():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    bad = {"weight": np.ones((3, 2), np.float32), "foo": np.ones(1, np.float32)}
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict(bad)
    with pytest.raises(RuntimeError) as theirs_err:
        theirs.load_state_dict({k: torch.tensor(v) for k, v in bad.items()})
    assert str(ours_err.value) == str(theirs_err.value).replace("torch.Size(", "").replace("])", "]")
    assert 'Missing key(s) in state_dict: "bias"' in str(ours_err.value)
    assert 'Unexpected key(s) in state_dict: "foo"' in str(ours_err.value)
    assert "size mismatch for weight" in str(ours_err.value)


def test_load_state_dict_non_strict_reports_keys():
    net = Net()
    before = net.fc1.bias.array.copy()
    sd = {"fc1.weight": np.zeros((5, 4)), "extra.thing": np.ones(1)}
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert unexpected == ["extra.thing"]
    assert "fc1.bias" in missing and "fc1.weight" not in missing and "scratch" not in missing
    assert not net.fc1.weight.array.any() and net.fc1.weight.dtype == np.float32  # cast to the param's dtype
    np.testing.assert_array_equal(net.fc1.bias.array, before)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        net.load_state_dict({"fc1.weight": np.zeros((4, 5))}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])
    assert repr(net.load_state_dict(net.state_dict())) == "<All keys matched successfully>"


def test_load_state_dict_buffers_and_nested_unexpected():
    net = Net()
    sd = net.state_dict()
    sd["steps"] = glassgrad.tensor([7.0])
    sd["fc1.weight.nested"] = glassgrad.ones(1)
    with pytest.raises(RuntimeError, match='Unexpected key.*"fc1.weight.nested"'):
        net.load_state_dict(sd)
    del sd["fc1.weight.nested"]
    net.load_state_dict(sd)
    assert net.steps.item() == 7.0


# ---- hooks -------------------------------------------------------------------------------------
def test_forward_pre_hook_and_forward_hook():
    lin = nn.Linear(3, 2)
    calls = []

    def pre(module, args):
        calls.append(("pre", module, args[0].shape))
        return (args[0] * 2,)

    def post(module, args, output):
        calls.append(("post", module, output.shape))
        return output + 1

    h1, h2 = lin.register_forward_pre_hook(pre), lin.register_forward_hook(post)
    x = glassgrad.randn(4, 3)
    y = lin(x)
    expected = (x.array * 2) @ lin.weight.array.T + lin.bias.array + 1
    np.testing.assert_allclose(y.array, expected, rtol=1e-6)
    assert calls == [("pre", lin, (4, 3)), ("post", lin, (4, 2))]
    h1.remove()
    h2.remove()
    h2.remove()  # removing twice is harmless
    np.testing.assert_allclose(lin(x).array, x.array @ lin.weight.array.T + lin.bias.array, rtol=1e-6)
    assert len(calls) == 2


def test_hooks_with_kwargs_prepend_and_context_manager():
    order = []
    ident = nn.Identity()
    ident.register_forward_hook(lambda m, a, o: order.append("second"))
    ident.register_forward_hook(lambda m, a, o: order.append("first"), prepend=True)
    with ident.register_forward_pre_hook(lambda m, a, kw: ((a[0] + 1,), kw), with_kwargs=True):
        assert ident(glassgrad.zeros(1)).item() == 1
    assert ident(glassgrad.zeros(1)).item() == 0
    assert order == ["first", "second"] * 2
    ident.register_forward_hook(lambda m, a, kw, o: o * 3, with_kwargs=True)
    assert ident(glassgrad.ones(1)).item() == 3


def test_full_backward_hook_matches_torch(rng):
    x = rng.standard_normal((4, 3))
    ours, theirs = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    ours.load_state_dict(theirs.state_dict())
    got = {}

    def ours_hook(module, grad_input, grad_output):
        got["ours"] = (module, [g.array.copy() for g in grad_input], [g.array.copy() for g in grad_output])

    def theirs_hook(module, grad_input, grad_output):
        got["theirs"] = ([g.numpy().copy() for g in grad_input], [g.numpy().copy() for g in grad_output])

    ours.register_full_backward_hook(ours_hook)
    theirs.register_full_backward_hook(theirs_hook)
    xg, xt = glassgrad.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ours(xg) ** 2).sum().backward()
    (theirs(xt) ** 2).sum().backward()
    module, gi, go = got["ours"]
    assert module is ours and len(gi) == 1 and len(go) == 1
    np.testing.assert_allclose(gi[0], got["theirs"][0][0], rtol=1e-12)
    np.testing.assert_allclose(go[0], got["theirs"][1][0], rtol=1e-12)
    np.testing.assert_allclose(gi[0], xg.grad.array, rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.array, theirs.weight.grad.numpy(), rtol=1e-12)


def test_full_backward_hook_without_input_grad_and_replacement():
    lin = nn.Linear(3, 2)
    seen = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    lin(glassgrad.randn(5, 3)).sum().backward()
    assert seen == [((None,), (5, 2))]
    handle.remove()
    # a hook returning grad_input replaces what flows to the input
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 1,))
    x = glassgrad.randn(5, 3, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, np.ones((5, 3), np.float32))


def test_full_backward_hook_on_a_container():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    seen = {}
    model.register_full_backward_hook(lambda m, gi, go: seen.update(gi=gi[0], go=go[0]))
    x = glassgrad.randn(2, 3, requires_grad=True)
    model(x).sum().backward()
    np.testing.assert_allclose(seen["gi"].array, x.grad.array)
    np.testing.assert_array_equal(seen["go"].array, np.ones((2, 1), np.float32))


# ---- repr --------------------------------------------------------------------------------------
def test_repr_matches_torch():
    ours, theirs = Net(), TorchNet()
    assert repr(ours).replace("Net(", "X(") == repr(theirs).replace("TorchNet(", "X(")

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


# ---- containers --------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:] and list(sub._modules) == ["1", "2"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and isinstance(seq[1], nn.Linear)
    seq.insert(1, nn.ReLU())
    assert isinstance(seq[1], nn.ReLU) and len(seq) == 4
    assert isinstance(seq.pop(1), nn.ReLU) and len(seq) == 3
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert named.fc is named[0] and list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert len(nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh())) == 2
    x = glassgrad.randn(4, 2)
    np.testing.assert_allclose(seq(x).array, seq[2](seq[1](seq[0](x))).array)


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU()).extend([nn.Tanh(), nn.Sigmoid()])
    assert len(ml) == 4 and isinstance(ml[-1], nn.Sigmoid)
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert isinstance(ml[0], nn.ReLU) and list(ml._modules) == ["0", "1", "2"]
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity)
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(nn.ReLU())
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Linear(2, 2)
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert list(md.state_dict()) == ["b.weight", "b.bias"]
    assert isinstance(md.pop("a"), nn.ReLU) and list(md) == ["b", "c"]
    md.clear()
    assert len(md) == 0
    assert repr(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])) == \
        repr(torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.ReLU()]))


# ---- summary -----------------------------------------------------------------------------------
def test_summary_counts_for_a_small_mlp(capsys):
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    model[0].bias.requires_grad_(False)
    text = glassgrad.summary(model, (2, 784))
    assert capsys.readouterr().out.strip() == text.strip()
    assert "Total params: 101,770" in text
    assert "Trainable params: 101,642" in text and "Non-trainable params: 128" in text
    lines = text.splitlines()
    row = next(line for line in lines if "0 (Linear)" in line)
    assert "[2, 128]" in row and row.rstrip().endswith("100,480")
    row = next(line for line in lines if "3 (Linear)" in line)
    assert "[2, 10]" in row and row.rstrip().endswith("1,290")
    assert all(m.training for m in model.modules())  # modes restored


def test_summary_nested_modes_and_errors():
    net = Net().eval()
    text = glassgrad.summary(net, (1, 4), print_fn=None)
    assert "blocks (ModuleList)" in text and "    a (Linear)" in text.replace("  a (Linear)", "    a (Linear)")
    assert "b (Linear)" in text and "--" in text  # heads.b never ran
    assert "Total params: 113" in text
    assert not any(m.training for m in net.modules())
    emb = nn.Sequential(nn.Embedding(10, 3), nn.Flatten())
    assert "Output shape: [2, 15]" in glassgrad.summary(emb, (2, 5), dtype=glassgrad.int64, print_fn=None)
    with pytest.raises(ValueError, match="input_size"):
        glassgrad.summary(net, "1x4")
    with pytest.raises(TypeError, match="nn.Module"):
        glassgrad.summary(lambda x: x, (1, 4))


class TwoInTwoOut(nn.Module):
    def forward(self, a, b, scale=1.0):
        return a * b * scale, a + b


class TorchTwoInTwoOut(torch.nn.Module):
    def forward(self, a, b, scale=1.0):
        return a * b * scale, a + b


def test_full_backward_hook_several_inputs_and_outputs_match_torch(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    results = []
    for module, lib, make in ((TwoInTwoOut(), glassgrad, glassgrad.Tensor), (TorchTwoInTwoOut(), torch, torch.tensor)):
        seen = {}
        module.register_full_backward_hook(lambda m, gi, go, seen=seen: seen.update(gi=gi, go=go))
        ta, tb = make(a.copy(), requires_grad=True), make(b.copy())  # b needs no gradient
        p, s = module(ta, tb, scale=2.0)
        ((p * p).sum() + (s * 3).sum()).backward()
        results.append(seen)
    ours, theirs = results
    # the input without gradient: None here; PyTorch hands None or (in this mixed case) zeros
    assert len(ours["gi"]) == 2 and ours["gi"][1] is None and not theirs["gi"][1].any()
    np.testing.assert_allclose(ours["gi"][0].array, theirs["gi"][0].numpy(), rtol=1e-12)
    for g, t in zip(ours["go"], theirs["go"]):
        np.testing.assert_allclose(g.array, t.numpy(), rtol=1e-12)


def test_backward_hook_is_transparent_to_double_backward(rng):
    lin = nn.Linear(3, 1).double()
    lin.register_full_backward_hook(lambda m, gi, go: None)
    x = glassgrad.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    (g,) = glassgrad.autograd.grad(lin(glassgrad.tanh(x)).sum(), [x], create_graph=True)
    g.sum().backward()
    xt = torch.tensor(x.array, requires_grad=True)
    w = torch.tensor(lin.weight.array)
    (gt,) = torch.autograd.grad((torch.tanh(xt) @ w.T).sum(), [xt], create_graph=True)
    gt.sum().backward()
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-10)


def test_parameter_basics():
    p = Parameter(glassgrad.ones(2, 3))
    assert p.requires_grad and p.is_leaf and isinstance(p, glassgrad.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    data = glassgrad.zeros(2)
    assert Parameter(data).array is data.array  # shared, not copied
    assert not Parameter(glassgrad.zeros(2), requires_grad=False).requires_grad
    assert Parameter().shape == (0,)


def test_float_model_with_double_input_is_a_clear_error():
    with pytest.raises(RuntimeError, match="same dtype.*model.to"):
        nn.Linear(2, 2)(glassgrad.randn(3, 2).double())

"""ModuleDict, ParameterList, ParameterDict and forward hooks, against PyTorch where it is installed:
state_dict names, repr, hook order and arguments, and the dict/list behaviour of the containers."""
import io
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn


def make_model(lib):
    """The same model in either framework (``lib`` is ``torch`` or ``tinygrad_tutorial``)."""

    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = lib.nn.ModuleDict({"encoder": lib.nn.Linear(4, 3), "act": lib.nn.ReLU()})
            self.layers["decoder"] = lib.nn.Linear(3, 2)
            self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.zeros(2)])
            self.extras = lib.nn.ParameterDict({"shift": lib.ones(2), "gain": lib.nn.Parameter(lib.ones(1))})

        def forward(self, x):
            for layer in self.layers.values():
                x = layer(x)
            return (x * self.scales[0] + self.scales[1]) * self.extras["gain"] + self.extras["shift"]

    return Model()


def pytorch_names(text):
    return text.replace("torch.", "tinygrad_tutorial.")


def test_state_dict_names_repr_and_outputs_match_pytorch():
    torch = pytest.importorskip("torch")
    theirs, ours = make_model(torch), make_model(tt)
    their_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(their_state)  # layers.encoder.weight, scales.0, extras.gain, ...
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in their_state.values()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == pytorch_names(repr(theirs))
    ours.load_state_dict({k: v.detach().numpy() for k, v in their_state.items()})
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(ours(tt.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_containers_move_and_save_with_their_parent(device):
    model = make_model(tt).to(device)
    assert {p.device for p in model.parameters()} == {tt.device(device)}
    buffer = io.BytesIO()
    tt.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = make_model(tt).to(device)
    fresh.load_state_dict(tt.load(buffer))
    x = tt.randn(3, 4, device=device)
    np.testing.assert_array_equal(fresh(x).detach().cpu().numpy(), model(x).detach().cpu().numpy())


# ---------------------------------------------------------------- ModuleDict
def test_module_dict_reads_like_an_ordered_dict():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    d = nn.ModuleDict([("a", a), ("b", b)])
    d.update(OrderedDict(c=c))
    assert list(d) == list(d.keys()) == ["a", "b", "c"] and list(d.values()) == [a, b, c]
    assert list(d.items()) == [("a", a), ("b", b), ("c", c)] and len(d) == 3
    assert "a" in d and "z" not in d and d["b"] is b
    d["a"] = nn.Sigmoid()  # replacing keeps the position
    assert list(d) == ["a", "b", "c"] and type(d["a"]) is nn.Sigmoid
    assert d.pop("b") is b and list(d) == ["a", "c"]
    del d["a"]
    assert list(d) == ["c"] and [m for m in d.children()] == [c]
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []


@pytest.mark.parametrize("action, error, message", [
    (lambda d, nn: d.update(3), TypeError, "iterable of key/value pairs, but got int"),
    (lambda d, nn: d.update([3]), TypeError, "element #0 should be Iterable"),
    (lambda d, nn: d.update([("a", nn.ReLU(), 1)]), ValueError, "element #0 has length 3; 2 is required"),
    (lambda d, nn: d.__setitem__("keys", nn.ReLU()), KeyError, "attribute 'keys' already exists"),
    (lambda d, nn: d.__setitem__("a", 3), TypeError, "int is not a Module subclass"),
    (lambda d, nn: d["missing"], KeyError, "missing"),
    (lambda d, nn: d(1), NotImplementedError, 'Module \\[ModuleDict\\] is missing the required "forward" function'),
])
def test_module_dict_errors_as_pytorch(action, error, message):
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        with pytest.raises(error, match=message):
            action(lib.nn.ModuleDict(), lib.nn)


# ---------------------------------------------------------------- ParameterList and ParameterDict
def test_parameter_list_converts_tensors_and_indexes_like_a_list():
    plain = tt.ones(2)
    params = nn.ParameterList([plain])
    params.append(nn.Parameter(tt.zeros(3)))
    params += [tt.full((1,), 2.0)]
    assert len(params) == 3 and all(type(p) is nn.Parameter and p.requires_grad for p in params)
    assert np.shares_memory(params[0].array, plain.array)  # wrapped, not copied, as in PyTorch
    assert params[-1].tolist() == [2.0] and [p.shape for p in params[:2]] == [(2,), (3,)]
    assert type(params[:2]) is nn.ParameterList
    params[1] = tt.ones(4)
    assert params[1].shape == (4,) and [n for n, _ in params.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        params[3]
    with pytest.raises(TypeError, match="iterable, but got Tensor"):
        params.extend(tt.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        params(1)


def test_parameter_dict_reads_like_a_dict_and_sorts_a_plain_dict_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        params = lib.nn.ParameterDict({"b": lib.ones(1), "a": lib.zeros(2)})
        params.update(OrderedDict([("z", lib.ones(3)), ("c", lib.ones(1))]))
        assert list(params) == ["a", "b", "z", "c"]  # a plain dict sorted, an OrderedDict kept in order
    assert type(params["a"]) is nn.Parameter and "z" in params and len(params) == 4
    assert [k for k, _ in params.items()] == list(params.keys()) and len(list(params.values())) == 4
    assert params.pop("z").shape == (3,) and params.get("z") is None and params.get("c") is params["c"]
    del params["c"]
    assert [n for n, _ in params.named_parameters()] == ["a", "b"]
    params.clear()
    assert len(params) == 0 and list(params.parameters()) == []
    with pytest.raises(TypeError, match="not a string"):
        params[0]


def test_module_list_repr_folds_runs_of_identical_layers_as_pytorch():
    torch = pytest.importorskip("torch")

    def build(lib):
        block = [lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.ReLU()) for _ in range(3)]
        return (lib.nn.ModuleList(block + [lib.nn.Linear(3, 1), lib.nn.Linear(3, 1), lib.nn.Linear(3, 2)]),
                lib.nn.ModuleList(), lib.nn.ModuleList([lib.nn.ReLU()]))

    for theirs, ours in zip(build(torch), build(tt)):
        assert repr(ours) == pytorch_names(repr(theirs))


def test_parameter_container_reprs_match_pytorch():
    torch = pytest.importorskip("torch")

    def build(lib):
        return (lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.ones(4, dtype=lib.float64)]),
                lib.nn.ParameterDict(OrderedDict(w=lib.ones(2, 2), b=lib.zeros(1, dtype=lib.float16))))

    for theirs, ours in zip(build(torch), build(tt)):
        assert repr(ours) == pytorch_names(repr(theirs))


# ---------------------------------------------------------------- hooks
def record_hooks(lib, model, events):
    """Pre- and forward hooks on every module, recording what PyTorch passes them."""
    handles = []
    for name, module in model.named_modules():
        def pre(module, args, name=name):
            events.append((name or "model", "pre", type(args).__name__, [tuple(a.shape) for a in args]))

        def post(module, args, output, name=name):
            events.append((name or "model", "forward", type(args).__name__, [tuple(a.shape) for a in args],
                           tuple(output.shape)))

        handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
    return handles


def nested(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(4, 2)))


def test_hooks_fire_in_pytorch_order_with_pytorch_arguments():
    torch = pytest.importorskip("torch")
    events = {}
    for lib in (torch, tt):
        events[lib] = []
        model = nested(lib)
        handles = record_hooks(lib, model, events[lib])
        model(lib.ones(5, 3))
        for handle in handles:
            handle.remove()
        model(lib.ones(5, 3))  # removed: nothing more is recorded
    assert events[tt] == events[torch] and len(events[tt]) == 10
    assert events[tt][0] == ("model", "pre", "tuple", [(5, 3)]) and events[tt][-1][:2] == ("model", "forward")


def test_hooks_can_replace_arguments_and_output_as_in_pytorch():
    torch = pytest.importorskip("torch")
    outputs = {}
    for lib in (torch, tt):
        torch.manual_seed(0)
        theirs = nested(torch)
        model = theirs if lib is torch else nested(tt)
        if lib is tt:
            model.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        model[0].register_forward_pre_hook(lambda module, args: args[0] * 2)  # one value, not a tuple
        model[1][0].register_forward_hook(lambda module, args, output: output + 1)
        model[1].register_forward_hook(lambda module, args, output: None)  # None keeps the output
        model[1][1].register_forward_pre_hook(lambda module, args: (args[0] - 3,))
        outputs[lib] = model(lib.ones(2, 3)).detach().numpy()
    np.testing.assert_allclose(outputs[tt], outputs[torch], rtol=1e-6)


def test_hook_order_prepend_and_with_block():
    layer = nn.Identity()
    calls = []
    first = layer.register_forward_hook(lambda m, a, o: calls.append("first"))
    layer.register_forward_hook(lambda m, a, o: calls.append("prepended"), prepend=True)
    layer(tt.ones(1))
    assert calls == ["prepended", "first"]
    first.remove()
    first.remove()  # removing twice is harmless
    calls.clear()
    with layer.register_forward_pre_hook(lambda m, a: calls.append("inside")):
        layer(tt.ones(1))
    layer(tt.ones(1))
    assert calls == ["inside", "prepended", "prepended"]


def test_a_forward_hook_captures_an_activation_and_gradients_flow_through_it():
    model = nested(tt)
    captured = {}
    handle = model[1][0].register_forward_hook(lambda module, args, output: captured.update(relu=output))
    out = model(tt.randn(6, 3))
    handle.remove()
    assert captured["relu"].shape == (6, 4) and captured["relu"].min().item() >= 0
    out.sum().backward()
    assert model[0].weight.grad is not None and model[0].weight.grad.dtype == tt.float32


def test_keyword_arguments_reach_forward_but_not_the_hooks_as_in_pytorch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (torch, tt):

        class Scale(lib.nn.Module):
            def forward(self, x, factor=1.0):
                return x * factor

        module, seen[lib] = Scale(), []
        module.register_forward_pre_hook(lambda m, args, log=seen[lib]: log.append(len(args)))
        module.register_forward_hook(lambda m, args, out, log=seen[lib]: log.append(out.tolist()))
        module(lib.ones(2), factor=3.0)
    assert seen[tt] == seen[torch] == [1, [3.0, 3.0]]

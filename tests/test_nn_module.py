"""nn.Module's bookkeeping: registration, names, modes, state_dict, devices, repr and errors."""
import copy

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 5)
        self.fc2 = nn.Linear(5, 1)

    def forward(self, x):
        return self.fc2(tt.relu(self.fc1(x)))


class Nested(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2))
        self.scale = nn.Parameter(tt.ones(1))
        self.register_buffer("steps", tt.zeros(1))
        self.plain = tt.ones(2)  # a plain tensor attribute: not a parameter

    def forward(self, x):
        return self.body(x) * self.scale


def test_imports_work_every_way():
    import tinygrad_tutorial.nn.functional as F
    from tinygrad_tutorial import nn as nn_again
    from tinygrad_tutorial import optim, utils

    assert nn_again is nn and tt.nn is nn
    assert F is nn.functional and nn.init.kaiming_uniform_
    assert optim.SGD and utils.data.DataLoader and tt.utils.data is utils.data


def test_named_parameters_use_pytorch_names():
    names = [name for name, _ in Nested().named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "body.3.weight", "body.3.bias"]
    assert [name for name, _ in SimpleNet().named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                                    "fc2.bias"]


def test_parameters_are_registered_on_assignment_and_plain_tensors_are_not():
    net = Nested()
    params = list(net.parameters())
    assert len(params) == 5 and all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert not any(p is net.plain for p in params)
    assert [name for name, _ in net.named_buffers()] == ["steps"]
    assert [name for name, _ in net.named_children()] == ["body"]
    assert [type(m).__name__ for m in net.modules()] == ["Nested", "Sequential", "Linear", "ReLU", "Dropout",
                                                         "Linear"]
    assert list(net.parameters(recurse=False)) == [net.scale]


def test_a_shared_layer_is_listed_once():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(net.parameters())) == 2
    assert len(list(net.modules())) == 3


def test_reassigning_and_deleting_attributes():
    net = SimpleNet()
    net.fc1 = nn.Linear(2, 5, bias=False)
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc2.weight", "fc2.bias"]
    net.fc2.bias = None
    assert net.fc2.bias is None and [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc2.weight"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        net.fc2.weight = tt.ones(1, 5)
    del net.fc1
    assert [n for n, _ in net.named_parameters()] == ["fc2.weight"]


def test_unknown_attribute_raises_naming_the_class():
    with pytest.raises(AttributeError, match="'SimpleNet' object has no attribute 'fc3'"):
        SimpleNet().fc3


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_missing_forward_is_explained():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=r'\[NoForward\] is missing the required "forward"'):
        NoForward()(tt.ones(1))


def test_train_and_eval_propagate_and_dropout_in_eval_is_identity():
    net = Nested()
    x = tt.randn(64, 3)
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert np.array_equal(net(x).detach().numpy(), net(x).detach().numpy())  # deterministic in eval
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_zero_grad_sets_to_none_or_zero():
    net = SimpleNet()
    net(tt.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip():
    source, target = Nested(), Nested()
    state = source.state_dict()
    assert list(state) == ["scale", "steps", "body.0.weight", "body.0.bias", "body.3.weight", "body.3.bias"]
    assert all(not t.requires_grad for t in state.values())
    params_before = list(target.parameters())
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(target.parameters()) == params_before  # loaded in place: the same Parameter objects
    x = tt.randn(5, 3)
    source.eval(), target.eval()
    assert np.array_equal(source(x).detach().numpy(), target(x).detach().numpy())
    state["scale"].fill_(7.0)  # state_dict tensors share memory with the module, as in PyTorch
    assert source.scale.item() == 7.0


def test_load_state_dict_strict_errors_name_keys_and_shapes():
    net = SimpleNet()
    state = net.state_dict()
    del state["fc1.bias"]
    state["fc3.weight"] = tt.zeros(1)
    with pytest.raises(RuntimeError, match=r'(?s)SimpleNet.*Missing key\(s\) in state_dict: "fc1.bias".*'
                                           r'Unexpected key\(s\) in state_dict: "fc3.weight"'):
        net.load_state_dict(state)
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["fc3.weight"]

    state = net.state_dict()
    state["fc1.weight"] = tt.zeros(5, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape \[5, 3\] "
                                           r"from checkpoint, the shape in current model is \[5, 2\]"):
        net.load_state_dict(state, strict=False)


def test_load_state_dict_casts_to_the_parameter_dtype():
    net = SimpleNet()
    state = {k: v.numpy().astype(np.float64) for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    assert all(p.dtype == tt.float32 for p in net.parameters())


def test_to_dtype_keeps_parameter_objects():
    net = SimpleNet()
    params = list(net.parameters())
    assert net.double() is net
    assert list(net.parameters()) == params and all(p.dtype == tt.float64 for p in params)
    assert net(tt.randn(3, 2, dtype=tt.float64)).dtype == tt.float64
    with pytest.raises(TypeError, match="floating point"):
        net.to(tt.int64)


def test_to_device(device):
    net = Nested()
    params = list(net.parameters())
    net(tt.randn(2, 3)).sum().backward()
    assert net.to(device) is net
    assert list(net.parameters()) == params
    assert all(p.device == tt.device(device) and p.grad.device == tt.device(device) for p in params)
    assert net.steps.device == tt.device(device)
    out = net(tt.randn(2, 3, device=device))
    assert out.device == tt.device(device)
    assert net.cpu().scale.device == tt.device("cpu")


def test_moving_to_a_missing_gpu_says_why():
    if tt.cuda.is_available():
        pytest.skip("a GPU is present, so moving there works")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        SimpleNet().cuda()


def test_repr_like_pytorch():
    assert repr(SimpleNet()) == ("SimpleNet(\n"
                                 "  (fc1): Linear(in_features=2, out_features=5, bias=True)\n"
                                 "  (fc2): Linear(in_features=5, out_features=1, bias=True)\n"
                                 ")")
    assert repr(nn.Sequential(nn.Flatten(), nn.Sequential(nn.ReLU()), nn.Softmax(dim=1))) == (
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "  )\n"
        "  (2): Softmax(dim=1)\n"
        ")")
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1, inplace=False)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    param = nn.Parameter(tt.tensor([1.0, 2.0]))
    assert repr(param) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_parameter_shares_memory_and_requires_grad():
    data = tt.zeros(3)
    param = nn.Parameter(data)
    assert isinstance(param, tt.Tensor) and param.requires_grad and param.is_leaf
    data.fill_(2.0)
    assert param.tolist() == [2.0, 2.0, 2.0]
    assert not nn.Parameter(tt.zeros(1), requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(tt.tensor([1, 2]))


def test_sequential_indexing_len_iteration_and_slicing():
    layers = [nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    x = tt.randn(5, 3)
    assert np.allclose(seq(x).detach().numpy(), layers[2](head(x)).detach().numpy())
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]


def test_module_list_registers_its_modules():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    net = Stack()
    assert [n for n, _ in net.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    assert len(list(net.parameters())) == 6 and len(net.layers) == 3
    replacement = nn.Linear(2, 2)
    net.layers[1] = replacement
    assert net.layers[1] is replacement and [n for n, _ in net.layers.named_children()] == ["0", "1", "2"]
    assert net(tt.randn(4, 2)).shape == (4, 2)


def test_apply_visits_every_module():
    net = Nested()

    def init_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)

    net.apply(init_linear)
    assert not net.body[0].weight.detach().numpy().any() and not net.body[3].weight.detach().numpy().any()


def test_deepcopy_gives_an_independent_module():
    net = SimpleNet()
    twin = copy.deepcopy(net)
    with tt.no_grad():
        twin.fc1.weight.fill_(0.0)
    assert net.fc1.weight.detach().numpy().any()
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]


def test_buffers_are_saved_unless_not_persistent_and_follow_to():
    class WithBuffers(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running_mean", tt.zeros(3))
            self.register_buffer("scratch", tt.ones(2), persistent=False)

    module = WithBuffers()
    assert list(module.state_dict()) == ["running_mean"]
    assert [name for name, _ in module.named_buffers()] == ["running_mean", "scratch"]
    assert not list(module.parameters())
    module.running_mean = tt.full((3,), 2.0)  # reassigning a buffer keeps it a buffer
    assert module.state_dict()["running_mean"].tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(TypeError, match="cannot assign 'list' as buffer 'running_mean'"):
        module.running_mean = [1, 2, 3]
    assert module.double().running_mean.dtype == tt.float64


def build_tree(lib):
    model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(3, 1)))
    model.register_buffer("steps", lib.zeros(1))
    model.note = 3  # a plain attribute: neither a module nor a parameter
    return model


def test_get_submodule_and_get_parameter_follow_dotted_names():
    model = Nested()
    assert model.get_submodule("") is model
    assert model.get_submodule("body.3") is model.body[3]
    assert model.get_parameter("body.3.bias") is model.body[3].bias
    assert model.get_parameter("scale") is model.scale
    assert all(model.get_parameter(name) is param for name, param in model.named_parameters())


GET_ERRORS = [("get_submodule", "2"), ("get_submodule", "1.5.weight"), ("get_submodule", "0.weight"),
              ("get_submodule", "note"), ("get_parameter", "0.missing"), ("get_parameter", "steps"),
              ("get_parameter", "1.0"), ("get_parameter", "note"), ("get_parameter", "9.weight"),
              ("get_parameter", "")]


@pytest.mark.parametrize("method, target", GET_ERRORS)
def test_get_submodule_and_get_parameter_errors_name_what_is_missing_as_pytorch(method, target):
    torch = pytest.importorskip("torch")
    with pytest.raises(AttributeError) as theirs:
        getattr(build_tree(torch), method)(target)
    with pytest.raises(AttributeError) as ours:
        getattr(build_tree(tt), method)(target)
    assert str(ours.value) == str(theirs.value)

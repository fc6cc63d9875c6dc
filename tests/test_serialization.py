"""save/load: tensors, state_dicts and optimizer states round trip on every device; map_location;
weights_only refuses files that name code; PyTorch's own files are recognised and explained."""
import io
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.optim as optim
from tinygrad_tutorial import serialization


def round_trip(obj, **load_options):
    buffer = io.BytesIO()
    tt.save(obj, buffer)
    buffer.seek(0)
    return tt.load(buffer, **load_options)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
        self.register_buffer("calls", tt.zeros(1, dtype=tt.int64))

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"])
def test_a_tensor_keeps_values_dtype_shape_and_device(device, dtype):
    values = np.random.default_rng(0).normal(size=(2, 3)) * 10
    x = tt.tensor(values.astype(dtype), device=device)
    loaded = round_trip(x)
    assert type(loaded) is tt.Tensor and loaded.dtype == x.dtype and loaded.shape == (2, 3)
    assert loaded.device == x.device
    np.testing.assert_array_equal(loaded.cpu().numpy(), x.cpu().numpy())
    assert loaded.array is not x.array


def test_a_zero_dim_and_an_empty_tensor_round_trip():
    scalar, empty = round_trip([tt.tensor(3.5), tt.zeros(0, 4)])
    assert scalar.shape == () and scalar.item() == 3.5 and empty.shape == (0, 4)


def test_requires_grad_and_parameters_are_kept(device):
    saved = {"leaf": tt.ones(2, device=device, requires_grad=True), "plain": tt.ones(2, device=device),
             "param": nn.Parameter(tt.ones(3, device=device)),
             "frozen": nn.Parameter(tt.ones(3, device=device), requires_grad=False)}
    loaded = round_trip(saved)
    assert loaded["leaf"].requires_grad and not loaded["plain"].requires_grad
    assert type(loaded["param"]) is nn.Parameter and loaded["param"].requires_grad
    assert type(loaded["frozen"]) is nn.Parameter and not loaded["frozen"].requires_grad
    assert all(t.device == tt.device(device) and t.grad is None for t in loaded.values())


def test_a_computed_tensor_comes_back_as_a_leaf_that_requires_grad_as_in_pytorch():
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save(torch.ones(3, requires_grad=True) * 2, buffer)
    buffer.seek(0)
    theirs = torch.load(buffer)
    ours = round_trip(tt.ones(3, requires_grad=True) * 2)
    assert (ours.is_leaf, ours.requires_grad, ours.grad_fn) == (theirs.is_leaf, theirs.requires_grad, None)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_nested_containers_numbers_strings_dtypes_and_devices(protocol):
    x = tt.arange(4.0)
    saved = {"list": [1, 2.5, "text", None, True, (x, {"inner": x.shape})], "ordered": OrderedDict(b=1, a=2),
             "dtype": tt.float16, "device": tt.device("cpu"), "set": {1, 2}, "complex": 1 + 2j,
             "numpy": np.arange(3, dtype=np.int16), "numpy scalar": np.float32(0.5), "bytes": b"\x00\x01"}
    buffer = io.BytesIO()
    tt.save(saved, buffer, pickle_protocol=protocol)
    buffer.seek(0)
    loaded = tt.load(buffer)  # weights_only: every global these protocols name is allowed
    assert loaded["list"][:5] == [1, 2.5, "text", None, True]
    assert loaded["list"][5][0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert type(loaded["list"][5][1]["inner"]) is tt.Size and loaded["list"][5][1]["inner"] == (4,)
    assert type(loaded["ordered"]) is OrderedDict and list(loaded["ordered"]) == ["b", "a"]
    assert loaded["dtype"] is tt.float16 and loaded["device"] == tt.device("cpu")
    assert loaded["set"] == {1, 2} and loaded["complex"] == 1 + 2j and loaded["bytes"] == b"\x00\x01"
    assert loaded["numpy"].dtype == np.int16 and loaded["numpy"].tolist() == [0, 1, 2]
    assert type(loaded["numpy scalar"]) is np.float32 and loaded["numpy scalar"] == 0.5


def test_a_tensor_saved_twice_comes_back_as_one_object():
    x = tt.ones(2)
    first, second, other = round_trip([x, x, tt.ones(2)])
    assert first is second and first is not other


def test_a_view_is_saved_as_its_own_elements_only():
    big = tt.arange(100_000, dtype=tt.float64)
    view = big[10:13]
    buffer = io.BytesIO()
    tt.save(view, buffer)
    assert len(buffer.getvalue()) < 1000  # 3 float64s and headers, not the 800 kB storage
    buffer.seek(0)
    loaded = tt.load(buffer)
    assert loaded.tolist() == [10.0, 11.0, 12.0]
    loaded.add_(1)  # an independent tensor: the original is untouched
    assert big[10].item() == 10.0


def test_save_and_load_by_path(tmp_path):
    path = tmp_path / "x.pt"
    tt.save(tt.tensor([1, 2]), path)
    assert tt.load(path).tolist() == [1, 2]
    tt.save(tt.tensor([3]), str(path))  # a str works too, and overwrites
    assert tt.load(str(path)).tolist() == [3]


def test_model_state_dict_round_trip_gives_identical_outputs(device, tmp_path):
    model = Net().to(device)
    model.calls.add_(7)
    path = tmp_path / "model.pt"
    tt.save(model.state_dict(), path)
    loaded = tt.load(path)
    assert type(loaded) is OrderedDict and list(loaded) == list(model.state_dict())
    fresh = Net().to(device)
    x = tt.randn(5, 3, device=device)
    assert not np.array_equal(fresh(x).detach().cpu().numpy(), model(x).detach().cpu().numpy())
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(fresh(x).detach().cpu().numpy(), model(x).detach().cpu().numpy())
    assert fresh.calls.item() == 7 and fresh.calls.dtype == tt.int64


def train_steps(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    device = next(model.parameters()).device
    for _ in range(steps):
        x = tt.tensor(rng.normal(size=(6, 3)).astype("float32"), device=device)
        y = tt.tensor(rng.normal(size=(6, 2)).astype("float32"), device=device)
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize("make_optimizer", [
    lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    lambda params: optim.Adam(params, lr=0.01, amsgrad=True),
    lambda params: optim.AdamW(params, lr=0.01),
], ids=["SGD-nesterov", "Adam-amsgrad", "AdamW"])
def test_optimizer_state_round_trip_continues_training_identically(device, make_optimizer):
    model = Net().to(device)
    optimizer = make_optimizer(model.parameters())
    train_steps(model, optimizer, 3, seed=1)
    checkpoint = round_trip({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3})

    train_steps(model, optimizer, 3, seed=2)  # the run that was never interrupted
    fresh = Net().to(device)
    fresh_optimizer = make_optimizer(fresh.parameters())
    fresh.load_state_dict(checkpoint["model"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    train_steps(fresh, fresh_optimizer, 3, seed=2)

    assert checkpoint["epoch"] == 3
    for ours, resumed in zip(model.parameters(), fresh.parameters()):
        assert resumed.dtype == tt.float32 and resumed.device == ours.device
        np.testing.assert_array_equal(resumed.detach().cpu().numpy(), ours.detach().cpu().numpy())


def test_optimizer_state_dict_keeps_its_structure():
    model = Net()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    train_steps(model, optimizer, 1, seed=0)
    saved, loaded = optimizer.state_dict(), round_trip(optimizer.state_dict())
    assert loaded["param_groups"] == saved["param_groups"]  # lists, tuples (betas), floats and bools
    assert list(loaded["state"]) == list(saved["state"]) == [0, 1, 2, 3]
    assert loaded["state"][0]["step"] == 1
    np.testing.assert_array_equal(loaded["state"][2]["exp_avg"].numpy(), saved["state"][2]["exp_avg"].numpy())


def test_map_location_moves_tensors(device):
    saved = tt.ones(2, device=device)
    assert round_trip(saved).device == tt.device(device)
    for where in ("cpu", tt.device("cpu"), {str(saved.device): "cpu"}, {"cuda:0": "cpu", "cpu": "cpu"}):
        assert round_trip(saved, map_location=where).device == tt.device("cpu")
    if device == "cuda":  # dict keys are saved locations, matched whole as in PyTorch: "cuda" is not "cuda:0"
        assert round_trip(saved, map_location={"cuda": "cpu"}).device == tt.device("cuda:0")
    seen = []
    loaded = round_trip(saved, map_location=lambda tensor, location: seen.append((tensor.device, location)) or
                        tensor)
    assert seen == [(tt.device("cpu"), str(tt.device(device)))] and loaded.device == tt.device("cpu")
    if device == "cuda":
        assert round_trip(saved.cpu(), map_location="cuda").device == tt.device("cuda")


class SavedOnCuda(tt.Tensor):
    """A CPU tensor that says it is on a GPU: what save would write on a GPU machine, made here."""

    device = property(lambda self: tt.device("cuda:0"))


def test_a_gpu_file_on_a_machine_without_gpu_needs_map_location(monkeypatch):
    monkeypatch.setattr(serialization.backend, "cuda_is_available", lambda: False)
    buffer = io.BytesIO()
    tt.save({"w": SavedOnCuda(np.ones(2, dtype=np.float32))}, buffer)
    buffer.seek(0)
    with pytest.raises(RuntimeError, match=r"tensor on cuda:0.*CUDA is not available.*map_location='cpu'"):
        tt.load(buffer)
    for where in ("cpu", {"cuda:0": "cpu"}, lambda tensor, location: tensor):
        buffer.seek(0)
        loaded = tt.load(buffer, map_location=where)["w"]
        assert loaded.device == tt.device("cpu") and loaded.tolist() == [1.0, 1.0]
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        tt.load(buffer, map_location="cuda")


class Malicious:
    """Unpickling this calls ``os.system``: what a hostile checkpoint looks like."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_weights_only_refuses_a_malicious_pickle_and_names_the_global(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    tt.save({"weights": tt.ones(2), "payload": Malicious(f"touch {marker}")}, path)
    with pytest.raises(pickle.UnpicklingError, match=rf"global {os.system.__module__}\.system.*weights_only"):
        tt.load(path)
    assert not marker.exists()
    tt.load(path, weights_only=False)  # what weights_only=True prevented: the file ran a command
    assert marker.exists()


def test_weights_only_refuses_a_whole_model_and_weights_only_false_loads_it():
    model = Net()
    buffer = io.BytesIO()
    tt.save(model, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"global test_serialization\.Net.*state_dict"):
        tt.load(buffer)
    buffer.seek(0)
    loaded = tt.load(buffer, weights_only=False)
    x = tt.randn(2, 3)
    assert type(loaded) is Net and type(loaded.body[0].weight) is nn.Parameter
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_a_pytorch_file_is_recognised_and_explained(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(RuntimeError, match=r"PyTorch file \(a zip archive\).*numpy"):
        tt.load(path)


def test_other_files_and_wrong_arguments_are_explained(tmp_path):
    with pytest.raises(RuntimeError, match="not a file written by tinygrad_tutorial.save"):
        tt.load(io.BytesIO(pickle.dumps([1, 2])))
    with open(tmp_path / "text.txt", "w") as text_file:
        with pytest.raises(TypeError, match="binary file.*'wb'"):
            tt.save(tt.ones(1), text_file)
    with pytest.raises(TypeError, match="path or a binary file object, got int"):
        tt.load(3)

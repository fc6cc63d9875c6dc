"""Tensors: creation, dtypes, attributes, conversions, printing and seeded randomness."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from conftest import CUDA_SKIP_REASON

needs_cuda = pytest.mark.skipif(not tt.cuda.is_available(), reason=CUDA_SKIP_REASON)


# ---------------------------------------------------------------- creation
def test_tensor_from_nested_lists_numbers_and_arrays(device):
    x = tt.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert x.shape == (2, 2) and x.device == tt.device(device) and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert tt.tensor(3.5, device=device).shape == () and tt.tensor(3.5).item() == 3.5
    from_array = tt.tensor(np.arange(6.0).reshape(2, 3), device=device)
    assert from_array.dtype == tt.float64 and from_array.shape == (2, 3)  # NumPy arrays keep their dtype


def test_tensor_from_a_list_holding_scalar_tensors(device):
    """As PyTorch's tensor([loss_a, loss_b]): each tensor is read as a number, also from a GPU (which NumPy
    cannot read, so the package copies it first); the result is on the default device."""
    t = tt.arange(4.0, device=device)
    made = tt.tensor([t.sum(), t[1], 2.0])
    assert made.tolist() == [6.0, 1.0, 2.0] and made.device == tt.device("cpu") and made.dtype == tt.float32


def test_numbers_given_as_scalar_tensors(device):
    """PyTorch reads a 0-d tensor where a number goes (arange's bounds, fill_'s value), from any device:
    here GPU memory cannot go through NumPy, and arange(tensor(3)) must count in int64 as arange(3) does."""
    n, v = tt.tensor(3, device=device), tt.tensor(2.5, device=device)
    assert tt.arange(n).tolist() == [0, 1, 2] and tt.arange(n).dtype == tt.int64
    assert tt.arange(v, device=device).tolist() == [0.0, 1.0, 2.0] and tt.arange(v).dtype == tt.float32
    assert tt.zeros(2, device=device).fill_(v).tolist() == [2.5, 2.5]


def test_tensor_copies_its_data(device):
    source = np.zeros(3, np.float32)
    x = tt.tensor(source, device=device)
    y = tt.tensor(x)
    source[0] = 1.0
    y.array[1] = 2.0
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_from_numpy_shares_memory():
    source = np.zeros(3)
    x = tt.from_numpy(source)
    source[0] = 5.0
    assert x.tolist() == [5.0, 0.0, 0.0] and x.dtype == tt.float64
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tt.from_numpy([1, 2])


@pytest.mark.parametrize("make, shape, dtype, values", [
    (lambda d: tt.zeros(2, 3, device=d), (2, 3), tt.float32, 0.0),
    (lambda d: tt.zeros((2, 3), device=d), (2, 3), tt.float32, 0.0),
    (lambda d: tt.ones([4], dtype=tt.int64, device=d), (4,), tt.int64, 1),
    (lambda d: tt.full((2, 2), 1.5, device=d), (2, 2), tt.float32, 1.5),
    (lambda d: tt.full((3,), 7, device=d), (3,), tt.int64, 7),
    (lambda d: tt.full((1,), True, device=d), (1,), tt.bool, True),
    (lambda d: tt.zeros_like(tt.ones(2, 5, dtype=tt.float64), device=d), (2, 5), tt.float64, 0.0),
    (lambda d: tt.ones_like(tt.zeros(3, dtype=tt.int64, device=d)), (3,), tt.int64, 1),
])
def test_filled_creation_functions(make, shape, dtype, values, device):
    x = make(device)
    assert x.shape == shape and x.dtype == dtype and x.device == tt.device(device)
    assert (x == values).all().item()


def test_arange_eye_and_linspace(device):
    assert tt.arange(4, device=device).tolist() == [0, 1, 2, 3] and tt.arange(4).dtype == tt.int64
    assert tt.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tt.arange(0, 1, 0.25, device=device).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tt.arange(0, 1, 0.25).dtype == tt.float32 and tt.arange(3, dtype=tt.float64).dtype == tt.float64
    assert tt.eye(3, device=device).tolist() == np.eye(3).tolist() and tt.eye(2, 3).shape == (2, 3)
    assert tt.linspace(0, 1, 5, device=device).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_creation_with_requires_grad():
    for x in (tt.zeros(2, requires_grad=True), tt.tensor([1.0], requires_grad=True), tt.randn(2, requires_grad=True),
              tt.ones_like(tt.ones(2), requires_grad=True)):
        assert x.requires_grad and x.is_leaf and x.grad is None


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("data, dtype", [
    ([1.0, 2.0], tt.float32),
    ([1, 2], tt.int64),
    ([True, False], tt.bool),
    ([1, 2.5], tt.float32),
    (3, tt.int64),
    (3.0, tt.float32),
    (True, tt.bool),
    ([[1, 2], [3, 4]], tt.int64),
])
def test_python_data_gets_torch_dtypes(data, dtype, device):
    assert tt.tensor(data, device=device).dtype == dtype


def test_python_floats_with_a_dtype_are_not_rounded_to_float32_first(device):
    assert tt.tensor([0.7], dtype=tt.float64, device=device).item() == 0.7  # as torch
    big = 16777217.0  # 2^24 + 1, which float32 rounds to 2^24
    assert tt.tensor(big, dtype=tt.int64, device=device).item() == 16777217


def test_dtype_names_and_aliases():
    assert tt.float is tt.float32 and tt.long is tt.int64 and tt.double is tt.float64
    assert tt.tensor([1, 2], dtype=tt.float).dtype == tt.float32
    assert tt.tensor([1, 2], dtype=float).dtype == tt.float64  # as torch: Python float means double
    assert tt.tensor([1.5], dtype="float64").dtype == tt.float64
    assert repr(tt.float32) == "tinygrad_tutorial.float32"
    assert tt.float32.is_floating_point and not tt.int64.is_floating_point
    with pytest.raises(TypeError, match="unsupported dtype"):
        tt.tensor([1], dtype="complex64")


def test_set_default_dtype_as_torch(device):
    """float64 as the default: what Python floats, float factories and new layers get,
    and the dtype a tensor's repr leaves unsaid; only float dtypes are accepted."""
    torch = pytest.importorskip("torch")
    made = {
        "tensor": lambda t, d: t.tensor([1.5, 2.0], device=d),
        "Tensor": lambda t, d: t.Tensor([1, 2]),
        "zeros": lambda t, d: t.zeros(2, device=d),
        "full": lambda t, d: t.full((2,), 0.5, device=d),
        "arange": lambda t, d: t.arange(0.0, 2.0, device=d),
        "linspace": lambda t, d: t.linspace(0, 1, 3),
        "randn": lambda t, d: t.randn(2, device=d),
        "normal": lambda t, d: t.normal(0.0, 1.0, (2,)),
        "int / int": lambda t, d: t.tensor([1, 2], device=d) / 2,
        "float32 + float": lambda t, d: t.ones(2, dtype=t.float32, device=d) + 0.5,
        "Linear.weight": lambda t, d: t.nn.Linear(2, 2).weight,
        "Conv2d.bias": lambda t, d: t.nn.Conv2d(1, 1, 1).bias,
    }
    for lib, dev in ((torch, "cpu"), (tt, device)):
        lib.set_default_dtype(lib.float64)
        try:
            dtypes = {name: str(make(lib, dev).dtype).split(".")[-1]
                      for name, make in made.items()}
            text = [repr(lib.tensor([0.5]).cpu()),
                    repr(lib.tensor([0.5], dtype=lib.float32).cpu())]
            assert lib.get_default_dtype() == lib.float64
            if lib is torch:
                text = [t.replace("torch", "tinygrad_tutorial") for t in text]
                expected = dtypes, text
        finally:
            lib.set_default_dtype(lib.float32)
    assert (dtypes, text) == expected
    assert tt.get_default_dtype() == tt.float32 and tt.tensor([0.5]).dtype == tt.float32
    with pytest.raises(TypeError, match="only floating-point types are supported"):
        tt.set_default_dtype(tt.int64)


@pytest.mark.parametrize("name, make, dtype", [
    ("int + float tensor", lambda d: tt.tensor([1, 2], device=d) + tt.tensor([0.5, 1.0], device=d), tt.float32),
    ("int + Python float", lambda d: tt.tensor([1, 2], device=d) + 0.5, tt.float32),
    ("float32 * Python float", lambda d: tt.ones(2, device=d) * 0.1, tt.float32),
    ("Python float * float32", lambda d: 0.1 * tt.ones(2, device=d), tt.float32),
    ("float32 * np.float64", lambda d: tt.ones(2, device=d) * np.float64(0.1), tt.float32),
    ("np.float64 * float32", lambda d: np.float64(0.1) * tt.ones(2, device=d), tt.float32),
    ("float32 / np.float64", lambda d: tt.ones(2, device=d) / np.float64(3), tt.float32),
    ("float32 ** Python float", lambda d: tt.ones(2, device=d) ** 2.5, tt.float32),
    ("Python float ** float32", lambda d: 2.5 ** tt.ones(2, device=d), tt.float32),
    ("0-d float64 + float32", lambda d: tt.tensor(1.0, dtype=tt.float64, device=d) + tt.ones(2, device=d),
     tt.float32),
    ("float64 + float32, both with dims", lambda d: tt.ones(2, dtype=tt.float64, device=d) + tt.ones(2, device=d),
     tt.float64),
    ("0-d float + int tensor", lambda d: tt.tensor(1.5, device=d) + tt.tensor([1, 2], device=d), tt.float32),
    ("int / int", lambda d: tt.tensor([1, 2], device=d) / tt.tensor([2, 2], device=d), tt.float32),
    ("int // ... as true division by a scalar", lambda d: tt.tensor([1, 3], device=d) / 2, tt.float32),
    ("bool + bool", lambda d: tt.tensor([True], device=d) + tt.tensor([True], device=d), tt.bool),
    ("bool * int", lambda d: tt.tensor([True], device=d) * 3, tt.int64),
    ("comparison", lambda d: tt.ones(2, device=d) > 0.5, tt.bool),
    ("mean of float32", lambda d: tt.ones(2, 3, device=d).mean(0), tt.float32),
    ("softmax of float32", lambda d: tt.ones(2, 3, device=d).softmax(-1), tt.float32),
    ("sum of bools", lambda d: tt.tensor([True, True], device=d).sum(), tt.int64),
])
def test_promotion_never_leaves_torch_rules(name, make, dtype, device):
    assert make(device).dtype == dtype


def test_gradients_keep_the_dtype_of_their_leaf(device):
    w = tt.randn(3, device=device, requires_grad=True)
    w64 = tt.randn(3, dtype=tt.float64, device=device, requires_grad=True)
    (w * np.float64(2.0) + w64.float() * 0.5).sum().backward()
    assert w.grad.dtype == tt.float32 and w64.grad.dtype == tt.float64


def test_only_floating_tensors_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tt.tensor([1, 2], requires_grad=True)


# ---------------------------------------------------------------- attributes and conversions
def test_attributes(device):
    x = tt.zeros(2, 3, 4, device=device)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tt.Size) and x.size() == x.shape
    assert x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert x.dtype == tt.float32 and x.device == tt.device(device) and str(x.device) == str(tt.device(device))
    assert repr(x.shape) == "tinygrad_tutorial.Size([2, 3, 4])" and x.shape.numel() == 24
    with pytest.raises(TypeError, match="0-d"):
        len(tt.tensor(1.0))


def test_item_tolist_and_python_numbers(device):
    assert tt.tensor([[2.5]], device=device).item() == 2.5
    assert type(tt.tensor(3, device=device).item()) is int and type(tt.tensor(3.0).item()) is float
    assert tt.tensor([[1, 2]], device=device).tolist() == [[1, 2]]
    assert float(tt.tensor(1.5, device=device)) == 1.5 and int(tt.tensor(2.9)) == 2
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        tt.tensor([1.0, 2.0], device=device).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tt.tensor([1.0, 2.0]))


def test_numpy_shares_memory_on_cpu_and_refuses_grad():
    x = tt.tensor([1.0, 2.0])
    x.numpy()[0] = 9.0
    assert x.tolist() == [9.0, 2.0]
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        tt.tensor([1.0], requires_grad=True).numpy()
    assert np.asarray(tt.tensor([1.0, 2.0], requires_grad=True)).tolist() == [1.0, 2.0]


def test_numpy_on_cuda_asks_for_cpu_first(device):
    x = tt.tensor([1.0, 2.0], device=device)
    if device == "cpu":
        assert x.numpy().tolist() == [1.0, 2.0]
    else:
        with pytest.raises(TypeError, match=r"\.cpu\(\)"):
            x.numpy()
        assert x.cpu().numpy().tolist() == [1.0, 2.0]


def test_float_long_and_to(device):
    x = tt.tensor([1.7, -2.2], device=device)
    assert x.long().dtype == tt.int64 and x.long().tolist() == [1, -2]
    assert x.long().float().dtype == tt.float32 and x.double().dtype == tt.float64
    assert x.to(tt.float64).dtype == tt.float64 and x.to(device) is x and x.to(tt.float32) is x
    assert x.to(x.long()).dtype == tt.int64 and x.to(dtype=tt.float64, device=device).dtype == tt.float64
    assert x.cpu().device == tt.device("cpu") and x.bool().tolist() == [True, True]


@needs_cuda
def test_to_cuda_moves_and_back():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.device == tt.device("cuda:0") and y.is_cuda and tt.tensor([1.0], device=tt.device("cuda")).is_cuda
    (y * 2).sum().backward()
    assert x.grad.device == tt.device("cpu") and x.grad.tolist() == [2.0, 2.0]
    assert y.to("cpu").device == tt.device("cpu") and y.cpu().tolist() == [1.0, 2.0]


def test_devices_parse_like_torch():
    assert tt.device("cuda") == tt.device("cuda:0") == "cuda:0"
    assert tt.device("cpu") == "cpu" and str(tt.device("cuda:1")) == "cuda:1"
    assert repr(tt.device("cuda:1")) == "device(type='cuda', index=1)"
    assert repr(tt.device("cpu")) == "device(type='cpu')"
    with pytest.raises(RuntimeError, match="'tpu'"):
        tt.device("tpu")


def test_detach_shares_memory_and_leaves_the_graph():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    d = x.detach()
    d.array[0] = 5.0
    assert x.tolist()[0] == 5.0


def test_clone_copies(device):
    x = tt.tensor([1.0, 2.0], device=device)
    y = x.clone()
    y.array[0] = 7.0
    assert x.tolist() == [1.0, 2.0] and y.dtype == x.dtype


def test_iteration_and_indexing_values(device):
    x = tt.arange(6, device=device).reshape(2, 3)
    rows = [row.tolist() for row in x]
    assert rows == [[0, 1, 2], [3, 4, 5]]
    assert x[1, -1].item() == 5 and x[:, 1].tolist() == [1, 4] and x[x > 3].tolist() == [4, 5]
    assert x[tt.tensor([1, 1, 0], device=device)].shape == (3, 3)


# ---------------------------------------------------------------- printing
def test_repr_like_pytorch():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    assert repr(tt.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tt.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(tt.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tt.tensor([1.0], dtype=tt.float64)) == "tensor([1.], dtype=tinygrad_tutorial.float64)"
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward>)"
    assert repr(tt.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    with tt.no_grad():
        assert repr(x * 2) == "tensor([2., 4.])"


@needs_cuda
def test_repr_names_the_cuda_device():
    assert repr(tt.tensor([1.0], device="cuda")) == "tensor([1.], device='cuda:0')"


# ---------------------------------------------------------------- randomness
def test_manual_seed_makes_random_streams_reproducible(device):
    tt.manual_seed(123)
    first = [tt.randn(2, 3, device=device), tt.rand(4, device=device), tt.randint(0, 10, (5,)), tt.randperm(6)]
    tt.manual_seed(123)
    again = [tt.randn(2, 3, device=device), tt.rand(4, device=device), tt.randint(0, 10, (5,)), tt.randperm(6)]
    for a, b in zip(first, again):
        assert a.tolist() == b.tolist() and a.dtype == b.dtype
    tt.manual_seed(124)
    assert tt.randn(2, 3, device=device).tolist() != first[0].tolist()
    assert tt.initial_seed() == 124


def test_random_shapes_dtypes_and_ranges(device):
    x, u = tt.randn(1000, device=device), tt.rand(10, 100, device=device)
    assert x.dtype == u.dtype == tt.float32 and x.device == tt.device(device) and u.shape == (10, 100)
    assert abs(x.mean().item()) < 0.2 and 0.8 < x.std().item() < 1.2
    assert 0.0 <= u.min().item() and u.max().item() < 1.0
    assert tt.randn((2, 3), dtype=tt.float64).dtype == tt.float64
    assert tt.randint(3, 5, (100,)).min().item() >= 3 and tt.randint(3, 5, (100,)).max().item() <= 4
    assert sorted(tt.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(NotImplementedError, match="random floats"):  # as torch
        tt.randn(2, dtype=tt.int64)


def test_a_generator_is_its_own_stream():
    g = tt.Generator().manual_seed(7)
    a = tt.randn(3, generator=g)
    tt.manual_seed(0)
    b = tt.randn(3, generator=tt.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()


def test_type_converts_or_names_the_type(device):
    """``(pred.argmax(1) == y).type(torch.float)`` from PyTorch's quickstart; ``type()`` gives the legacy name."""
    x = tt.tensor([True, False], device=device)
    assert x.type(tt.float).dtype == tt.float32 and x.type(tt.float).tolist() == [1.0, 0.0]
    assert x.type("float64").dtype == tt.float64 and x.type("torch.DoubleTensor").dtype == tt.float64
    prefix = "torch.cuda." if device == "cuda" else "torch."
    assert x.type() == prefix + "BoolTensor" and x.float().type() == prefix + "FloatTensor"
    assert x.long().type() == prefix + "LongTensor"


def test_set_default_device_places_created_tensors(device):
    """``torch.set_default_device(device)`` (PyTorch's "Learning PyTorch with Examples" starts with it)."""
    import tinygrad_tutorial.nn as nn

    tt.set_default_device(device)
    try:
        assert tt.get_default_device() == tt.device(device)
        made = [tt.zeros(2), tt.ones(2), tt.linspace(0, 1, 3), tt.arange(3), tt.randn(2), tt.rand(2),
                tt.randint(0, 5, (2,)), tt.tensor([1.0, 2.0]), tt.tensor(np.ones(2)), tt.normal(0.0, 1.0, (2,)),
                nn.Linear(2, 3).weight]
        assert all(t.device == tt.device(device) for t in made), [t.device for t in made]
        assert tt.zeros(2, device="cpu").device == tt.device("cpu")  # an explicit device still wins
        assert tt.from_numpy(np.ones(2)).device == tt.device("cpu")  # shares NumPy's memory: stays on the CPU
    finally:
        tt.set_default_device(None)
    assert tt.get_default_device() == tt.device("cpu") and tt.zeros(1).device == tt.device("cpu")
    with pytest.raises(RuntimeError, match="Expected one of 'cpu', 'cuda'"):
        tt.set_default_device("gpu")


def test_accelerator_picks_cuda_only_when_there_is_one():
    """The tutorials' ``current_accelerator().type if torch.accelerator.is_available() else "cpu"``."""
    assert tt.accelerator.is_available() == tt.cuda.is_available()
    assert tt.accelerator.device_count() == tt.cuda.device_count()
    expected = "cuda" if tt.cuda.is_available() else None
    current = tt.accelerator.current_accelerator()
    assert (current.type if current is not None else None) == expected

"""Bad input raises an error that says what was wrong: the shapes, the devices, the dtypes."""
import re
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import backend


@pytest.mark.parametrize("name, fn", [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a.abs() ** b),
    ("maximum", lambda a, b: tt.maximum(a, b)),
    ("minimum", lambda a, b: tt.minimum(a, b)),
    ("where", lambda a, b: tt.where(a > 0, a, b)),
    ("compare", lambda a, b: a < b),
])
def test_incompatible_broadcasting_names_both_shapes(name, fn, device):
    a, b = tt.ones(2, 3, device=device), tt.ones(4, 3, device=device)
    with pytest.raises(RuntimeError, match=re.escape("(2, 3) and (4, 3)")):
        fn(a, b)


def test_broadcast_error_names_the_dimension(device):
    with pytest.raises(RuntimeError, match=r"tensor a \(5\) must match the size of tensor b \(3\) at non-singleton "
                                           r"dimension 1"):
        tt.ones(2, 5, device=device) + tt.ones(3, device=device)


def test_broadcast_error_names_the_last_clash_as_pytorch(device):
    # two clashing dimensions: PyTorch checks from the right and names dimension 2, not 0
    with pytest.raises(RuntimeError, match=r"tensor a \(4\) must match the size of tensor b \(5\) at non-singleton "
                                           r"dimension 2"):
        tt.ones(2, 3, 4, device=device) + tt.ones(3, 2, 5, device=device)


def test_expand_error_names_the_sizes():
    with pytest.raises(RuntimeError, match=r"expanded size.*\(4\).*existing size \(2\).*\[4, 3\].*\[2, 3\]"):
        tt.ones(2, 3).expand(4, 3)


@pytest.mark.parametrize("a, b, text", [
    ((2, 3), (2, 3), "(2x3 and 2x3)"),
    ((3,), (4,), "(1x3 and 4x1)"),
    ((2, 3), (4,), "(2x3 and 4x1)"),
    ((5,), (4, 2), "(1x5 and 4x2)"),
    ((2, 2, 3), (2, 4, 5), "(2x2x3 and 2x4x5)"),
])
def test_matmul_mismatch_names_the_shapes(a, b, text, device):
    with pytest.raises(RuntimeError, match="cannot be multiplied " + re.escape(text)):
        tt.ones(*a, device=device) @ tt.ones(*b, device=device)


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=re.escape("(2, 2, 3) and (3, 3, 4)")):
        tt.ones(2, 2, 3) @ tt.ones(3, 3, 4)
    with pytest.raises(RuntimeError, match="at least 1D.*0D and 2D"):
        tt.tensor(1.0) @ tt.ones(2, 2)
    with pytest.raises(RuntimeError, match="same dtype.*float32.*float64"):
        tt.ones(2, 2) @ tt.ones(2, 2, dtype=tt.float64)


@pytest.mark.parametrize("fn, pattern", [
    (lambda x: x.reshape(4, 2), r"shape '\[4, 2\]' is invalid for input of size 6"),
    (lambda x: x.view(-1, -1), r"invalid for input of size 6"),
    (lambda x: x.permute(0, 0), r"not a permutation.*\(2, 3\)"),
    (lambda x: x.sum(2), r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda x: x.softmax(-3), r"Dimension out of range"),
    (lambda x: x.unsqueeze(3), r"Dimension out of range"),
    (lambda x: x.transpose(0, 2), r"Dimension out of range"),
    (lambda x: x.flip(0, -2), r"dim 0 appears multiple times in the list of dims"),  # PyTorch's words
    (lambda x: x.flip(2), r"Dimension out of range"),
    (lambda x: x.all(2), r"Dimension out of range"),
    (lambda x: tt.cat([x, tt.ones(2, 4)]), r"tensor 0 has shape \(2, 3\), tensor 1 has shape \(2, 4\)"),
    (lambda x: tt.cat([]), r"non-empty"),
    (lambda x: tt.stack([x, x.T]), r"\(2, 3\) at entry 0 and \(3, 2\) at entry 1"),
    (lambda x: x.item(), r"6 elements cannot be converted to Scalar"),
    (lambda x: x.clamp(), r"at least one of 'min' or 'max'"),
    (lambda x: tt.tensor([1, 2]).mean(), r"floating point.*int64"),
    (lambda x: x[tt.tensor([True, False, True])], r"boolean index did not match"),
    (lambda x: tt.tensor("abc"), r"could not make a tensor"),
    (lambda x: tt.relu([1.0]), r"must be Tensor, not list"),
])
def test_bad_arguments_say_what_was_wrong(fn, pattern):
    with pytest.raises((RuntimeError, IndexError, TypeError), match=pattern):
        fn(tt.ones(2, 3))


def test_mixing_devices_names_both_devices(device):
    if device == "cpu":  # without a GPU, asking for one must say why it is not there
        if tt.cuda.is_available():
            pytest.skip("this machine has a GPU: the cuda run of this test covers mixing")
        reason = backend._cupy_or_reason()[1]
        for ask in (lambda: tt.ones(2).to("cuda"), lambda: tt.ones(2).cuda(), lambda: tt.zeros(2, device="cuda"),
                    lambda: tt.tensor([1.0], device="cuda:0"), lambda: tt.randn(2, device=tt.device("cuda"))):
            with pytest.raises(RuntimeError, match=r"cuda:0 was requested but CUDA is not available: ") as error:
                ask()
            assert reason in str(error.value)
        return
    cpu, gpu = tt.ones(2, requires_grad=True), tt.ones(2, device=device)
    for mix in (lambda: cpu + gpu, lambda: gpu * cpu, lambda: tt.cat([cpu, gpu]), lambda: tt.maximum(gpu, cpu),
                lambda: tt.where(gpu > 0, cpu, gpu), lambda: cpu < gpu):
        with pytest.raises(RuntimeError, match=r"(?=.*cpu)(?=.*cuda:0)"):
            mix()
    with pytest.raises(RuntimeError, match=r"(?=.*cpu)(?=.*cuda:0)"):
        tt.ones(2, 2) @ tt.ones(2, 2, device=device)


class FakeCudaArray:
    """Stands in for a CuPy array on GPU 0, so the device check of every op runs on a machine without a GPU
    (it raises before any computing starts)."""
    __module__ = "cupy"  # how backend.is_gpu_array recognises a CuPy array
    device = SimpleNamespace(id=0)
    dtype = np.dtype(np.float32)
    shape, ndim = (2, 2), 2


def test_an_op_mixing_devices_names_both_even_without_a_gpu():
    gpu, cpu = tt.Tensor(FakeCudaArray()), tt.ones(2, 2, requires_grad=True)
    assert gpu.device == tt.device("cuda:0") and gpu.is_cuda
    for mix in (lambda: cpu + gpu, lambda: gpu * cpu, lambda: tt.maximum(cpu, gpu), lambda: tt.cat([cpu, gpu]),
                lambda: cpu @ gpu, lambda: tt.where(cpu > 0, cpu, gpu)):
        with pytest.raises(RuntimeError, match=r"same device.*(cpu and cuda:0|cuda:0 and cpu)"):
            mix()


def test_numpy_of_a_cuda_tensor_asks_for_cpu_first_even_without_a_gpu():
    with pytest.raises(TypeError, match=r"cuda:0.*Tensor\.cpu\(\)"):
        tt.Tensor(FakeCudaArray()).numpy()


def test_a_missing_gpu_index_is_named():
    if not tt.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda:7 was requested"):
            tt.zeros(1, device="cuda:7")
    else:
        with pytest.raises(RuntimeError, match=r"cuda:\d+ was requested but only \d+ GPU"):
            tt.zeros(1, device=f"cuda:{tt.cuda.device_count()}")


def test_cuda_is_available_is_a_bool_that_never_raises(monkeypatch):
    assert isinstance(tt.cuda.is_available(), bool)
    assert isinstance(tt.cuda.device_count(), int)

    class BrokenRuntime:  # CuPy installed, but the driver is missing
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorInsufficientDriver")

    class FakeCuPy:
        class cuda:
            runtime = BrokenRuntime

    try:
        for fake in (None, FakeCuPy):  # None in sys.modules makes ``import cupy`` fail
            backend._cupy_or_reason.cache_clear()
            monkeypatch.setitem(sys.modules, "cupy", fake)
            assert tt.cuda.is_available() is False and tt.cuda.device_count() == 0
            with pytest.raises(RuntimeError, match="CUDA is not available: CuPy (is not installed|found no usable)"):
                tt.zeros(1, device="cuda")
    finally:
        monkeypatch.undo()
        backend._cupy_or_reason.cache_clear()


def test_device_strings_are_checked():
    for bad in ("gpu", "cuda:x", "cpu:1"):
        with pytest.raises(RuntimeError, match=re.escape(repr(bad))):
            tt.device(bad)
    with pytest.raises(TypeError, match="device must be a string"):
        tt.device(3.5)


def test_backward_errors_are_clear():
    x = tt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(3,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.ones(3).sum().backward()


def test_an_index_past_the_end_raises_on_every_device(device):
    """NumPy raises; CuPy would wrap the index around (a[[3]] of 3 elements reads a[0]), so the package checks
    GPU index arrays itself (backend.check_index_bounds): both devices give NumPy's error."""
    x = tt.arange(6.0, device=device).reshape(2, 3)

    def index(*values):
        return tt.tensor(list(values), device=device)

    for bad in (lambda: x[index(2)], lambda: x[:, index(0, 3)], lambda: x[..., index(-4)], lambda: x[None, 1, [5]],
                lambda: x.gather(1, index(0, 3).reshape(1, 2)),
                lambda: x.clone().scatter_(1, index(3).reshape(1, 1), 1.0)):
        with pytest.raises(IndexError, match=r"index (2|3|-4|5) is out of bounds for axis (0|1) with size (2|3)"):
            bad()
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 1 with size 3"):
        x.clone()[:, index(3)] = 0.0
    assert x[:, index(-1, 0)].tolist() == [[2.0, 0.0], [5.0, 3.0]]  # in bounds, negative ones included


@pytest.mark.parametrize("values, num_classes, message", [
    ([1, 5], 3, "Class values must be smaller than num_classes."),
    ([-1, 2], 3, "Class values must be non-negative."),
    ([], -1, "Can not infer total number of classes from empty tensor."),
])
def test_one_hot_refuses_classes_it_cannot_encode(values, num_classes, message, device):
    indices = tt.tensor(values, dtype=tt.int64, device=device)
    with pytest.raises(RuntimeError, match=re.escape(message)):
        tt.nn.functional.one_hot(indices, num_classes)


def test_one_hot_of_nothing_with_known_classes(device):
    encoded = tt.nn.functional.one_hot(tt.tensor([], dtype=tt.int64, device=device), 3)
    assert encoded.shape == (0, 3) and encoded.dtype == tt.int64


def test_cuda_synchronize_and_device_name_need_a_gpu_and_say_so():
    if tt.cuda.is_available():
        tt.cuda.synchronize()
        tt.cuda.synchronize(0)
        assert isinstance(tt.cuda.get_device_name(), str) and tt.cuda.get_device_name("cuda:0")
    else:
        for call in (tt.cuda.synchronize, tt.cuda.get_device_name):
            with pytest.raises(RuntimeError, match="CUDA is not available"):
                call()
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        tt.cuda.synchronize("cpu")

"""CuPy's host/device rules that the package's GPU path must respect, checked against the CuPy in use.

Under ``--device fakecuda`` that is the host-only fake of tests/fake_cupy/, on a GPU machine the real CuPy:
the same assertions keep the fake honest (a rule the fake enforces and CuPy does not would fail on the GPU).
"""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import backend

from conftest import CUDA_SKIP_REASON

pytestmark = pytest.mark.skipif(not tt.cuda.is_available(), reason=CUDA_SKIP_REASON)


@pytest.fixture
def cp():
    return backend.array_module(tt.device("cuda"))


def test_a_cupy_array_is_not_a_numpy_array(cp):
    x = cp.arange(6, dtype=np.float32).reshape(2, 3)
    assert not isinstance(x, np.ndarray) and backend.is_gpu_array(x) and backend.device_of(x) == "cuda:0"
    assert backend.get_array_module(x) is cp and cp.get_array_module(x) is cp


def test_implicit_conversion_to_numpy_is_refused(cp):
    x = cp.ones(3, dtype=np.float32)
    for convert in (np.asarray, np.array):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            convert(x)
    assert isinstance(x.get(), np.ndarray) and isinstance(cp.asnumpy(x), np.ndarray)
    assert (float(x[0]), int(x[1]), bool(x[2]), x[0].item(), x.tolist()) == (1.0, 1, True, 1.0, [1.0, 1.0, 1.0])


def test_a_numpy_array_in_a_device_operation_is_refused(cp):
    x, host = cp.ones(3, dtype=np.float32), np.ones(3, dtype=np.float32)
    for mix in (lambda: x + host, lambda: host * x, lambda: cp.maximum(x, host), lambda: np.add(host, x),
                lambda: cp.where(x > 0, x, host), lambda: cp.concatenate([x, host])):
        with pytest.raises(TypeError):
            mix()


def test_numpy_functions_on_cupy_arrays_stay_on_the_device(cp):
    x = cp.arange(4, dtype=np.float32)
    for result in (np.sum(x), np.exp(x), x.max(), x[1], np.concatenate([x, x])):
        assert backend.is_gpu_array(result)  # reductions and integer indexing give 0-d device arrays
    assert x[1].ndim == 0 and x[1].base is x  # a 0-d view


def test_indices_may_come_from_the_host_but_values_only_through_an_advanced_index(cp):
    x = cp.zeros(4, dtype=np.float32)
    assert x[np.array([1, 3])].shape == (2,) and x[[True, False, True, False]].shape == (2,)
    x[np.array([0, 1])] = np.array([5.0, 6.0], dtype=np.float32)  # copied to the device
    assert x.tolist() == [5.0, 6.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        x[:2] = np.array([1.0, 2.0], dtype=np.float32)  # a basic index fills: only a 0-d NumPy value


def test_no_index_conversion_and_no_device_shapes(cp):
    n = cp.asarray(np.int64(3))
    with pytest.raises(TypeError):
        range(n)  # CuPy has no __index__: reading a device number is explicit (int(n))
    assert list(range(int(n))) == [0, 1, 2]


def test_scatter_add_sums_repeats_and_refuses_dtypes_without_atomic_add(cp):
    target = cp.zeros(3, dtype=np.float32)
    backend.scatter_add(target, cp.asarray(np.array([0, 0, 2])), cp.ones(3, dtype=np.float32))
    assert target.tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(TypeError):
        backend.scatter_add(cp.zeros(3, dtype=np.int64), cp.asarray(np.array([0, 0])), cp.ones(2, np.int64))


def test_views_point_at_the_array_that_owns_the_memory(cp):
    x = cp.ones((2, 3), dtype=np.float32)
    assert backend.is_view_of(x.T, x) and backend.is_view_of(x[0].reshape(3, 1), x)
    assert not backend.is_view_of(x.copy(), x) and cp.asarray(x) is x


def test_index_arrays_past_the_end_wrap_around_but_integers_raise(cp):
    x = cp.arange(3, dtype=np.float32)  # hence backend.check_index_bounds for GPU tensors
    assert x[np.array([3, -4])].tolist() == [0.0, 2.0] and x.take(cp.asarray(np.array([4]))).tolist() == [1.0]
    with pytest.raises(IndexError):
        x[3]

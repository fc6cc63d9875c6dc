"""Edges of indexing, views and reductions, compared with PyTorch: integers beside index
arrays, empty indices and dims, ``.grad`` assignment, optimizer steps that fail before
changing anything, integer division by zero, NumPy arrays where a tensor belongs."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch")
import torch.nn.functional as torch_F  # noqa: E402


def same(ours, theirs):
    """Same shape, dtype and values (NaN equal to NaN); split pieces one by one."""
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
        return
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(),
                               rtol=1e-6)


def raises_like(fn):
    """``fn(lib)`` raises under both libraries: the same error type, and our message is
    PyTorch's (up to the package name). Returns our message."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(tt)
    assert str(ours.value).replace("tinygrad_tutorial.", "") == str(theirs.value)
    return str(ours.value)


def lib_index(lib, index, device):
    """``index`` with its ("t", data) entries made tensors of ``lib``."""
    def make(item):
        if isinstance(item, tuple) and item[:1] == ("t",):
            return lib.tensor(item[1], **({"device": device} if lib is tt else {}))
        return item
    return tuple(make(item) for item in index)


# -------------------------------------------------------- indexing
MASK_OF_ALL_DIMS = np.arange(120).reshape(2, 3, 4, 5) % 7 == 0
INDICES = {  # of a (2, 3, 4, 5) tensor
    "int, slice, tensor": (0, slice(None), ("t", [0, 2, 0])),
    "tensor, slice, int": (("t", [1, 0, 1]), slice(None), 3),
    "slice, tensor, slice, int": (slice(None), ("t", [2, 2]), slice(1, 3), 0),
    "0-d tensor, slice, tensor": (("t", 1), slice(None), ("t", [3, 3])),
    "int, ellipsis, 2-d tensor": (1, Ellipsis, ("t", [[0, 1], [1, 1]])),
    "int, None, slice, tensor": (-1, None, slice(None), ("t", [1, 1])),
    "every axis picked": (1, ("t", 2), 3, ("t", 4)),
    "tensors apart": (("t", [0, 1, 1]), slice(None), slice(None), ("t", [2, 0, 2])),
    "int, mask, tensor": (0, ("t", [True, False, True]), ("t", [0, 3])),
    "mask of 2 dims, int": (("t", [[True, False, True], [False, False, True]]),
                            slice(None), 1),
    "mask of all dims": (("t", MASK_OF_ALL_DIMS),),
    "all-false mask": (("t", [False, False]),),
    "0-d mask": (("t", True),),
    "None, ellipsis, int": (None, Ellipsis, 0),
    "empty list": ([],),
}


@pytest.mark.parametrize("name", INDICES)
def test_indexing_places_dims_and_adds_repeated_gradients_as_torch(name, device):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    ours = tt.tensor(x, device=device, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    index = INDICES[name]
    out = ours[lib_index(tt, index, device)]
    expected = theirs[lib_index(torch, index, None)]
    same(out, expected)
    direction = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    out.backward(tt.tensor(direction, device=device))
    expected.backward(torch.tensor(direction))
    same(ours.grad, theirs.grad)  # repeated indices add up (scatter-add)


# indices whose selected elements are all distinct: an assignment's result is defined
DISTINCT = [name for name in INDICES if name not in ("int, slice, tensor",
                                                     "slice, tensor, slice, int",
                                                     "int, None, slice, tensor",
                                                     "0-d tensor, slice, tensor",
                                                     "int, ellipsis, 2-d tensor")]


@pytest.mark.parametrize("name", DISTINCT)
def test_assigning_through_an_index_takes_torchs_layout_and_gradient(name, device):
    """``y[index] = v`` takes a v shaped as ``y[index]`` is, in both libraries, and the
    gradient of the written part reaches v, the rest y's old value."""
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    shape = tuple(torch.zeros(x.shape)[lib_index(torch, INDICES[name], None)].shape)
    v = np.random.default_rng(3).standard_normal(shape)
    results = {}
    for lib, dev in ((tt, device), (torch, None)):
        kwargs = {"device": dev} if lib is tt else {}
        index = lib_index(lib, INDICES[name], dev)
        base = lib.tensor(x, requires_grad=True, **kwargs)
        value = lib.tensor(v, requires_grad=True, **kwargs)
        y = base * 1.0
        y[index] = value * 2.0
        plain = lib.zeros(x.shape, dtype=lib.float64, **kwargs)
        plain[index] = value.detach()  # the same, outside the graph
        (y * lib.arange(120.0, **kwargs).reshape(x.shape)).sum().backward()
        results[lib] = y, plain, base.grad, value.grad
    for ours, theirs in zip(results[tt], results[torch]):
        same(ours, theirs)


def test_empty_list_index_keeps_the_dtype():
    same(tt.arange(5)[[]], torch.arange(5)[[]])


def test_float_index_tensor_is_refused_as_torch():
    raises_like(lambda lib: lib.ones(3)[lib.tensor([0.0])])


def test_gradcheck_through_integer_and_tensor_index():
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    x = tt.tensor(x, requires_grad=True)
    assert tt.gradcheck(lambda x: x[1, :, tt.tensor([0, 3, 3])] * 2, (x,))


# -------------------------------------------------------- views and shapes
@pytest.mark.parametrize("sizes", [(1, 1), (1, 1, 1), (2, 1), (1, 2)])
def test_repeat_always_copies(sizes, device):
    x = tt.ones(2, 3, device=device)
    out = x.repeat(*sizes)
    out[0, 0] = 5.0  # a view would write into x (or be read-only)
    assert float(x[0, 0]) == 1.0
    expected = torch.ones(2, 3).repeat(*sizes)
    expected[0, 0] = 5.0
    same(out, expected)


@pytest.mark.parametrize("make", [lambda lib: lib.tensor(3.0).transpose(0, 0),
                                  lambda lib: lib.tensor(3.0).transpose(-1, 0),
                                  lambda lib: lib.tensor(3.0).t()])
def test_transposes_of_a_0d_tensor(make):
    same(make(tt), make(torch))


def test_0d_transpose_out_of_range():
    raises_like(lambda lib: lib.tensor(3.0).transpose(0, 1))


# -------------------------------------------------------- size-0 dims
EMPTY = {
    "softmax over": lambda lib: lib.zeros(2, 0, 3).softmax(1),
    "softmax beside": lambda lib: lib.zeros(2, 0, 3).softmax(2),
    "log_softmax over": lambda lib: lib.zeros(2, 0, 3).log_softmax(1),
    "log_softmax beside": lambda lib: lib.zeros(2, 0, 3).log_softmax(0),
    "split": lambda lib: lib.zeros(2, 0, 3).split(2, 1),
    "split(0)": lambda lib: lib.zeros(0, 3).split(0),
    "split sizes": lambda lib: lib.zeros(0, 3).split([0, 0]),
    "chunk": lambda lib: lib.zeros(0, 3).chunk(3),
    "chunk beside": lambda lib: lib.zeros(4, 0).chunk(3),
    "flatten": lambda lib: lib.zeros(2, 0, 3).flatten(1),
    "reshape -1": lambda lib: lib.zeros(2, 0, 3).reshape(-1, 3),
    "cat": lambda lib: lib.cat([lib.ones(2, 3), lib.zeros(0, 3)]),
    "cat legacy empty": lambda lib: lib.cat([lib.zeros(0), lib.ones(2, 3).long()], 1),
    "cat empties": lambda lib: lib.cat([lib.zeros(0), lib.zeros(0)]),
    "sum": lambda lib: lib.zeros(2, 0).sum(),
    "sum dim": lambda lib: lib.zeros(2, 0).sum(1),
    "mean": lambda lib: lib.zeros(2, 0).mean(),
    "mean dim": lambda lib: lib.zeros(2, 0).mean(1),
    "prod": lambda lib: lib.zeros(2, 0).prod(),
    "prod dim": lambda lib: lib.zeros(2, 0).prod(1),
    "max over the other dim": lambda lib: lib.zeros(2, 0).max(0),
    "argmin over the other dim": lambda lib: lib.zeros(2, 0).argmin(0),
    "amax over the other dim": lambda lib: lib.zeros(2, 0).amax(0),
}


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # mean of nothing: nan
@pytest.mark.parametrize("name", EMPTY)
def test_size_0_dims(name):
    same(EMPTY[name](tt), EMPTY[name](torch))


def test_softmax_and_cat_of_empty_tensors_backpropagate():
    x = tt.zeros(2, 0, requires_grad=True)
    x.softmax(1).sum().backward()
    assert x.grad.shape == (2, 0)
    y = tt.ones(2, 3, requires_grad=True)
    tt.cat([tt.zeros(0), y]).sum().backward()
    same(y.grad, torch.ones(2, 3))


EMPTY_ERRORS = {
    "max": lambda lib: lib.zeros(2, 0).max(),
    "min": lambda lib: lib.zeros(0).min(),
    "argmax": lambda lib: lib.zeros(2, 0).argmax(),
    "argmin": lambda lib: lib.zeros(0).argmin(),
    "amax": lambda lib: lib.zeros(2, 0).amax(),
    "amin": lambda lib: lib.zeros(2, 0).amin(),
    "max dim": lambda lib: lib.zeros(2, 0).max(1),
    "min dim": lambda lib: lib.zeros(2, 0, 3).min(-2),
    "argmax dim": lambda lib: lib.zeros(0, 2).argmax(0),
    "amax dims": lambda lib: lib.zeros(2, 0).amax((0, 1)),
    "amin dim": lambda lib: lib.zeros(2, 0).amin(-1),
    "chunk(0)": lambda lib: lib.zeros(4).chunk(0),
    "chunk(-1)": lambda lib: lib.zeros(4).chunk(-1),
    "split(0)": lambda lib: lib.zeros(4).split(0),
}


@pytest.mark.parametrize("name", EMPTY_ERRORS)
def test_reductions_of_nothing_raise_as_torch(name):
    assert "zero-size array" not in raises_like(EMPTY_ERRORS[name])


# -------------------------------------------------------- reductions over dim=()
@pytest.mark.parametrize("dim", [(), []])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "amin",
                                  "count_nonzero", "all", "any"])
def test_empty_dim_list(name, dim):
    x = np.random.default_rng(3).standard_normal((2, 3)).astype(np.float32)
    same(getattr(tt.tensor(x), name)(dim=dim), getattr(torch.tensor(x), name)(dim=dim))


def test_empty_dim_list_keepdim_and_gradient():
    same(tt.ones(2, 3).sum(dim=(), keepdim=True),
         torch.ones(2, 3).sum(dim=(), keepdim=True))
    x = tt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert tt.gradcheck(lambda x: x.mean(dim=[]), (x,))


# -------------------------------------------------------- integer division, powers
@pytest.mark.parametrize("fn", [lambda lib: lib.tensor([1, 2]) // lib.tensor([1, 0]),
                                lambda lib: lib.tensor([1]) // 0,
                                lambda lib: lib.tensor([1]) % 0,
                                lambda lib: 5 % lib.tensor([0]),
                                lambda lib: 5 // lib.tensor([3, 0]),
                                lambda lib: lib.tensor([1, 2]) ** -1])
def test_integer_division_by_zero_and_negative_powers_raise(fn):
    raises_like(fn)


@pytest.mark.filterwarnings("ignore:divide by zero", "ignore:invalid value encountered")
@pytest.mark.parametrize("fn", [lambda lib: lib.tensor([1.0, -1.0]) // 0,
                                lambda lib: lib.tensor([1.0, -1.0]) % 0,
                                lambda lib: lib.tensor([1]) % lib.tensor([0.0]),
                                lambda lib: lib.tensor([7, -7]) % lib.tensor([3, 3]),
                                lambda lib: lib.pow(2, lib.tensor([1, 3])),
                                lambda lib: lib.pow(2.5, lib.tensor([1, 2]))])
def test_float_division_by_zero_and_number_to_a_tensor_power(fn):
    same(fn(tt), fn(torch))


def test_pow_of_a_number_to_a_tensor_has_the_gradient(device):
    e = np.array([0.5, 1.0, -2.0])
    ours = tt.tensor(e, device=device, requires_grad=True)
    theirs = torch.tensor(e, requires_grad=True)
    for out, expected in [(tt.pow(3, ours), torch.pow(3, theirs)),
                          (2 ** ours, 2 ** theirs)]:
        same(out, expected)
        out.sum().backward()
        expected.sum().backward()
    same(ours.grad, theirs.grad)
    assert tt.gradcheck(lambda e: tt.pow(1.5, e), (tt.tensor(e, requires_grad=True),))


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_integer_tensor_to_negative_integer_tensor_powers(dtype):
    base = [0, 1, -1, 2, -2, 3, 0, 1, -1, -1, 5]
    exponent = [-1, -1, -1, -2, -1, 0, -2, -3, -2, -3, 2]  # PyTorch rounds 1/a^|b|

    def power(lib):
        return (lib.tensor(base, dtype=getattr(lib, dtype))
                ** lib.tensor(exponent, dtype=getattr(lib, dtype)))

    same(power(tt), power(torch))
    same(2 ** tt.tensor([-1, 0, 3]), 2 ** torch.tensor([-1, 0, 3]))


# -------------------------------------------------------- .grad assignment
BAD_GRADS = {
    "shape": lambda lib: lib.zeros(3, 2),
    "fewer dims": lambda lib: lib.zeros(6),
    "dtype": lambda lib: lib.zeros(2, 3, dtype=lib.float64),
    "dtype and shape": lambda lib: lib.zeros(3, 2, dtype=lib.int64),
    "ndarray": lambda lib: np.zeros((2, 3), np.float32),
    "number": lambda lib: 3.0,
}


@pytest.mark.parametrize("name", BAD_GRADS)
def test_a_bad_grad_is_refused_at_assignment(name):
    def assign(lib):
        p = lib.zeros(2, 3, requires_grad=True)
        p.grad = BAD_GRADS[name](lib)

    with pytest.raises(Exception) as theirs:
        assign(torch)
    with pytest.raises(type(theirs.value)) as ours:
        assign(tt)
    start = str(theirs.value).split("'")[0]  # "attempting to assign a gradient of size"
    assert str(ours.value).startswith(start)
    if name in ("shape", "fewer dims", "ndarray", "number"):
        assert str(ours.value) == str(theirs.value)  # sizes and types named as torch's


def test_good_grads_and_none_are_accepted(device):
    p = tt.zeros(2, 3, device=device, requires_grad=True)
    p.grad = tt.ones(2, 3, device=device)
    p.grad = None
    assert p.grad is None
    (p * 2).sum().backward()
    assert p.grad.array.shape == (2, 3)


@pytest.mark.skipif(not tt.cuda.is_available(),
                    reason="CUDA is not available here: a gradient needs another device")
def test_a_grad_on_another_device_is_refused():
    p = tt.zeros(2, 3, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="assign a gradient located on device 'cpu'"):
        p.grad = tt.zeros(2, 3)


# -------------------------------------------------------- atomic optimizer steps
OPTIMIZERS = {
    "SGD momentum": lambda params: tt.optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: tt.optim.Adam(params, lr=0.1),
    "AdamW amsgrad": lambda params: tt.optim.AdamW(params, lr=0.1, amsgrad=True),
    "RMSprop": lambda params: tt.optim.RMSprop(params, lr=0.1, momentum=0.5,
                                               centered=True),
}


def host(value):
    """An optimizer state entry as a NumPy copy (an array) or itself (a step count)."""
    return tt.tensor(value).cpu().numpy() if hasattr(value, "shape") else value


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("break_grad", ["grad.data", "param.data"])
def test_a_failing_step_changes_no_parameter_nor_state(name, break_grad, device):
    params = [tt.ones(3, device=device, requires_grad=True) for _ in range(3)]
    skipped = tt.ones(2, device=device, requires_grad=True)  # no gradient: skipped
    last = params[2]  # in the second group: the first group would be updated already
    optimizer = OPTIMIZERS[name]([{"params": params[:2]},
                                  {"params": [skipped, last], "lr": 0.01}])
    sum((p * p).sum() for p in params).backward()
    optimizer.step()  # fills the state
    state = {id(p): {k: host(v) for k, v in s.items()}
             for p, s in optimizer.state.items()}
    values = [p.detach().cpu().numpy().copy() for p in params + [skipped]]
    if break_grad == "grad.data":
        last.grad.data = tt.ones(4, device=device)
    else:
        last.data = tt.ones(4, device=device)
    with pytest.raises(RuntimeError, match=r"parameter 1 of group 1 has shape"):
        optimizer.step()
    for p, before in zip(params + [skipped], values):
        if p is not last:
            np.testing.assert_array_equal(p.detach().cpu().numpy(), before)
    assert skipped not in optimizer.state
    for p, s in optimizer.state.items():
        for k, v in s.items():
            np.testing.assert_array_equal(host(v), state[id(p)][k])


# -------------------------------------------------------- NumPy arrays for tensors
ARRAY = np.ones((2, 3), np.float32)
NOT_TENSORS = {
    "matmul": lambda lib, F: lib.matmul(lib.ones(3, 2), ARRAY),
    "Tensor.matmul": lambda lib, F: lib.ones(3, 2).matmul(ARRAY),
    "cat": lambda lib, F: lib.cat([lib.ones(2, 3), ARRAY]),
    "stack": lambda lib, F: lib.stack([lib.ones(2, 3), ARRAY]),
    "linear input": lambda lib, F: F.linear(ARRAY, lib.ones(4, 3)),
    "linear weight": lambda lib, F: F.linear(lib.ones(2, 3), ARRAY),
    "cross_entropy": lambda lib, F: F.cross_entropy(ARRAY, lib.tensor([0, 1])),
    "cross_entropy target": lambda lib, F: F.cross_entropy(lib.ones(2, 3),
                                                           np.array([0, 1])),
    "exp": lambda lib, F: lib.exp(ARRAY),
    "sum": lambda lib, F: lib.sum(ARRAY),
}


@pytest.mark.parametrize("name", NOT_TENSORS)
def test_a_numpy_array_where_a_tensor_belongs_is_named(name):
    with pytest.raises(TypeError) as theirs:
        NOT_TENSORS[name](torch, torch_F)
    with pytest.raises(TypeError) as ours:
        NOT_TENSORS[name](tt, F)
    assert "numpy.ndarray" in str(ours.value)
    if name != "Tensor.matmul":  # PyTorch counts positions from self there
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("loss", ["mse_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_losses_refuse_numpy_arrays_with_a_type_error(loss):
    with pytest.raises(TypeError, match="must be Tensor, not numpy.ndarray"):
        getattr(F, loss)(np.full(3, 0.5, np.float32), tt.ones(3))
    with pytest.raises(TypeError, match="must be Tensor, not numpy.ndarray"):
        getattr(F, loss)(tt.ones(3), np.ones(3, np.float32))


@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context")  # torch's @
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_operators_accept_numpy_arrays_as_torch(dtype):
    a = np.arange(1, 4, dtype=dtype)
    for fn in [lambda lib: lib.ones(3) + a, lambda lib: lib.ones(3) * a,
               lambda lib: lib.ones(3) @ a, lambda lib: lib.ones(2, 3) @ a]:
        same(fn(tt), fn(torch))


ACTIVATIONS = ["relu", "sigmoid", "tanh", "gelu", "silu", "leaky_relu", "elu", "softplus",
               "hardtanh", "relu6", "softmax", "log_softmax", "dropout"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_an_activation_given_a_numpy_array_says_so(name):
    """A TypeError naming the array, PyTorch's where it has one (F.sigmoid, F.tanh and
    F.softmax give an AttributeError in PyTorch: here a TypeError too)."""
    array = np.ones(3, dtype=np.float32)
    args = (0,) if name in ("softmax", "log_softmax") else ()
    with pytest.raises(TypeError) as ours:
        getattr(F, name)(array, *args)
    assert str(ours.value) == (f"{name}(): argument 'input' (position 1) must be Tensor, "
                               "not numpy.ndarray")
    try:
        getattr(torch_F, name)(array, *args)
    except TypeError as theirs:
        assert str(theirs) == str(ours.value)
    except AttributeError:
        pass

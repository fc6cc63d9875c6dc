"""The older spellings that pre-2020 tutorials use and PyTorch 2 still accepts, compared
with torch: ``autograd.Variable``, the typed tensor classes (``FloatTensor``...),
``.data``, the products ``mm``, ``bmm``, ``mv``, ``dot``, ``addmm`` and ``addmv`` (with
float64 gradients), and aliases such as ``nelement`` and ``clamp_min``."""
import warnings

import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial.autograd import Variable


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the oracle for the names")


def same_dtype(ours, theirs):
    return ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


def raises_like_torch(torch, call, match=None):
    """``call(lib)`` raises the same error type in both libraries (ours: ``match``)."""
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match=match):
        call(tt)


def cases(table):
    """Parameters from {id: (values...)}."""
    return [pytest.param(*case, id=name) for name, case in table.items()]


TYPE_NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
              "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
          "bool"]


# ---------------------------------------------------------------- Variable
def test_variable_is_a_tensor_sharing_the_memory_and_version_counter(torch):
    for m in (tt, torch):
        data = m.ones(2)
        v = m.autograd.Variable(data, requires_grad=True)
        assert type(v) is m.Tensor and v.requires_grad and v.is_leaf and v is not data
        assert isinstance(data, m.autograd.Variable)
        assert not isinstance(2.0, m.autograd.Variable)
        with m.no_grad():
            v.mul_(3)
        assert data.tolist() == [3.0, 3.0] and data._version == v._version == 1
        (v * v).sum().backward()
        assert v.grad.tolist() == [6.0, 6.0] and data.grad is None
        assert not m.autograd.Variable(m.ones(2)).requires_grad
        assert m.autograd.Variable(data, True).requires_grad
        empty = m.autograd.Variable()
        assert tuple(empty.shape) == (0,) and empty.dtype == m.float32
        assert m.autograd.Variable(m.ones(2, requires_grad=True) * 2).is_leaf
    assert Variable is tt.autograd.Variable


def test_variable_errors_and_warnings_are_torchs(torch):
    def variable(m, *args, **kwargs):
        return m.autograd.Variable(*args, **kwargs)

    raises_like_torch(torch, lambda m: variable(m, [1, 2]), "has to be a tensor")
    raises_like_torch(torch, lambda m: variable(m, m.ones(2, dtype=m.int64), True),
                      "floating point")
    for m in (tt, torch):
        with pytest.warns(UserWarning, match="volatile was removed"):
            assert not m.autograd.Variable(m.ones(2), volatile=True).requires_grad


# ---------------------------------------------------------------- typed tensor classes
CONSTRUCTORS = {
    "sizes": lambda m: m.FloatTensor(2, 3),
    "a Size": lambda m: m.DoubleTensor(m.Size([2, 3])),
    "nothing": lambda m: m.LongTensor(),
    "a list": lambda m: m.FloatTensor([1, 2]),
    "a tuple is data": lambda m: m.FloatTensor((2, 3)),
    "floats made long": lambda m: m.LongTensor([1.5, 2.7, -1.5]),
    "a NumPy array": lambda m: m.LongTensor(np.array([1.9, 2.0])),
    "a NumPy int array as floats": lambda m: m.FloatTensor(np.array([1, 2])),
    "bools": lambda m: m.BoolTensor([1, 0, 2]),
    "bytes": lambda m: m.ByteTensor([1, 0, 255]),
    "halves": lambda m: m.HalfTensor(2),
    "chars": lambda m: m.CharTensor([-1, 1]),
    "shorts": lambda m: m.ShortTensor([[1], [2]]),
    "ints": lambda m: m.IntTensor([3]),
    "Tensor(sizes)": lambda m: m.Tensor(2, 3),
    "Tensor(one size)": lambda m: m.Tensor(3),
    "Tensor(Size)": lambda m: m.Tensor(m.Size([4, 1])),
    "Tensor()": lambda m: m.Tensor(),
    "Tensor(list)": lambda m: m.Tensor([1, 2]),
    "Tensor(tuple)": lambda m: m.Tensor((2, 3)),
    "Tensor(float32 array)": lambda m: m.Tensor(np.array([1, 2], np.float32)),
    "Tensor(long tensor)": lambda m: m.Tensor(m.ones(2, dtype=m.int64)),
}
UNINITIALISED = {"sizes", "a Size", "halves", "Tensor(sizes)", "Tensor(one size)",
                 "Tensor(Size)"}


@pytest.mark.parametrize("name", CONSTRUCTORS)
def test_typed_constructors_give_torchs_shape_dtype_and_data(name, torch):
    ours, theirs = CONSTRUCTORS[name](tt), CONSTRUCTORS[name](torch)
    assert tuple(ours.shape) == tuple(theirs.shape) and same_dtype(ours, theirs)
    assert not ours.requires_grad and ours.device == tt.device("cpu")
    if name not in UNINITIALISED:
        assert ours.tolist() == theirs.tolist()


def test_typed_constructors_share_memory_where_torch_does(torch):
    for m in (tt, torch):
        array = np.ones(2, np.float32)
        m.FloatTensor(array)[0] = 5.0  # a NumPy array of the class's dtype is shared...
        assert array[0] == 5.0
        m.DoubleTensor(array)[0] = 7.0  # ...one of another dtype is copied
        assert array[0] == 5.0
        x = m.ones(2)
        m.FloatTensor(x)[1] = 3.0
        m.Tensor(x)[0] = 2.0
        assert x.tolist() == [2.0, 3.0]


CONSTRUCTOR_ERRORS = {
    "a float": (lambda m: m.FloatTensor(2.5), "must be a sequence"),
    "a tensor of another type": (lambda m: m.LongTensor(m.ones(2)), "expected"),
    "a negative size": (lambda m: m.FloatTensor(-1), "negative dimension -1"),
    "Tensor(negative size)": (lambda m: m.Tensor(-2, 3), "negative dimension -2"),
}


@pytest.mark.parametrize("call, match", cases(CONSTRUCTOR_ERRORS))
def test_typed_constructor_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


def test_isinstance_asks_for_the_dtype_and_device_as_in_torch(torch):
    for m in (tt, torch):
        tensors = [m.zeros(2, dtype=getattr(m, name)) for name in DTYPES]
        classes = [getattr(m, name) for name in TYPE_NAMES]
        table = [[isinstance(t, c) for c in classes] for t in tensors]
        assert table == np.eye(len(DTYPES), dtype=bool).tolist()  # one class per dtype
        gpu_classes = [getattr(m.cuda, name) for name in TYPE_NAMES]
        assert not any(isinstance(t, c) for t in tensors for c in gpu_classes)
        assert isinstance(tensors[0], m.Tensor) and not isinstance(3.0, m.FloatTensor)
        assert not issubclass(m.FloatTensor, m.Tensor) and m.LongTensor.dtype == m.int64
        assert not m.FloatTensor.is_cuda and m.cuda.FloatTensor.is_cuda
    for ours, theirs in ((tt.FloatTensor, torch.FloatTensor),
                         (tt.cuda.LongTensor, torch.cuda.LongTensor)):
        assert repr(ours) == repr(theirs).replace("torch", "tinygrad_tutorial")


def test_type_names_and_converts_as_torch(torch):
    for m in (tt, torch):
        tensors = [m.zeros(2, dtype=getattr(m, name)) for name in DTYPES]
        assert [t.type() for t in tensors] == ["torch." + name for name in TYPE_NAMES]
        x = m.tensor([1.5, -2.5])
        for name in TYPE_NAMES:
            by_class, by_name = x.type(getattr(m, name)), x.type("torch." + name)
            assert by_class.type() == by_name.type() == "torch." + name
            assert by_class.tolist() == by_name.tolist() == x.to(by_name.dtype).tolist()
        assert x.type(m.FloatTensor) is x and x.type(m.int32).dtype == m.int32
        assert x.type(dtype=m.LongTensor, non_blocking=True).dtype == m.int64
        assert m.ones(2, requires_grad=True).type(m.DoubleTensor).requires_grad
    for name in ("torch.FooTensor", "numpy.FloatTensor"):
        raises_like_torch(torch, lambda m: m.zeros(2).type(name), "invalid type")


def test_typed_classes_on_the_gpu(device):
    x = tt.zeros(2, device=device)
    on_gpu = device == "cuda"
    assert isinstance(x, tt.cuda.FloatTensor) == on_gpu
    assert isinstance(x, tt.FloatTensor) != on_gpu
    assert x.type() == ("torch.cuda.FloatTensor" if on_gpu else "torch.FloatTensor")
    assert x.type(tt.DoubleTensor).device == tt.device("cpu")
    assert x.type("torch.DoubleTensor").dtype == tt.float64
    if on_gpu:
        moved = tt.zeros(2).type(tt.cuda.LongTensor)
        assert moved.device.type == "cuda" and moved.dtype == tt.int64
        assert isinstance(moved, tt.cuda.LongTensor)
        assert tt.ones(2).type("torch.cuda.FloatTensor").device.type == "cuda"
        made = tt.cuda.FloatTensor([1, 2])
        assert made.device.type == "cuda" and made.tolist() == [1.0, 2.0]
        assert tt.cuda.IntTensor(2, 3).shape == (2, 3)


# ---------------------------------------------------------------- .data
def test_data_is_a_detached_alias_that_writes_through_without_a_version_bump(torch):
    for m in (tt, torch):
        w = m.ones(3, requires_grad=True)
        y = w * 2
        for t in (w, y):
            alias = t.data
            assert not alias.requires_grad and alias.is_leaf and alias.grad_fn is None
            assert alias is not t.data and alias.dtype == t.dtype
        w.data[0] = 5.0
        y.data.add_(1)
        assert w.tolist() == [5.0, 1.0, 1.0] and y.tolist() == [3.0, 3.0, 3.0]
        assert w._version == 0 and y._version == 0
        w.data = m.zeros(3)
        assert w.tolist() == [0.0, 0.0, 0.0] and w.requires_grad


# ---------------------------------------------------------------- matrix products
def operands(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


MATRICES, MATRIX_VECTOR = [(2, 3), (3, 4)], [(2, 3), (3,)]
BATCHES = [(2, 2, 3), (2, 3, 4)]
PRODUCTS = {
    "Tensor.mm": (lambda m, a, b: a.mm(b), MATRICES),
    "torch.mm": (lambda m, a, b: m.mm(a, b), MATRICES),
    "Tensor.bmm": (lambda m, a, b: a.bmm(b), BATCHES),
    "torch.bmm": (lambda m, a, b: m.bmm(a, b), BATCHES),
    "Tensor.mv": (lambda m, a, v: a.mv(v), MATRIX_VECTOR),
    "torch.mv": (lambda m, a, v: m.mv(a, v), MATRIX_VECTOR),
    "Tensor.dot": (lambda m, u, v: u.dot(v), [(3,), (3,)]),
    "torch.dot": (lambda m, u, v: m.dot(u, v), [(3,), (3,)]),
    "torch.addmm": (lambda m, c, a, b: m.addmm(c, a, b), [(2, 4)] + MATRICES),
    "addmm, a bias row": (lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0),
                          [(4,)] + MATRICES),
    "Tensor.addmm": (lambda m, c, a, b: c.addmm(a, b, beta=2, alpha=-1),
                     [(2, 1)] + MATRICES),
    "torch.addmv": (lambda m, c, a, v: m.addmv(c, a, v, beta=3, alpha=0.5),
                    [(2,)] + MATRIX_VECTOR),
    "Tensor.addmv": (lambda m, c, a, v: c.addmv(a, v), [(1,)] + MATRIX_VECTOR),
}


@pytest.mark.parametrize("fn, shapes", cases(PRODUCTS))
def test_products_give_torchs_values_and_float64_gradients(fn, shapes, torch, device):
    arrays = operands(shapes)
    ours = [tt.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_ours, out_theirs = fn(tt, *ours), fn(torch, *theirs)
    assert tuple(out_ours.shape) == tuple(out_theirs.shape)
    assert same_dtype(out_ours, out_theirs)
    np.testing.assert_allclose(out_ours.detach().cpu().numpy(),
                               out_theirs.detach().numpy(), rtol=1e-12)
    direction = operands([tuple(out_theirs.shape)], seed=1)[0]
    out_ours.backward(tt.tensor(direction, device=device))
    out_theirs.backward(torch.tensor(direction))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.cpu().numpy(), b.grad.numpy(), rtol=1e-12,
                                   atol=1e-14)
    fresh = [tt.tensor(a, device=device, requires_grad=True) for a in arrays]
    assert tt.gradcheck(lambda *xs: fn(tt, *xs), fresh)


def test_addmm_ignores_its_input_when_beta_is_zero(torch):
    for m in (tt, torch):
        out = m.addmm(m.full((2, 2), float("nan")), m.ones(2, 3), m.ones(3, 2), beta=0)
        assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


PRODUCT_ERRORS = {
    "mm vector": (lambda m: m.ones(2, 3).mm(m.ones(3)), "expected 2D"),
    "mm shapes": (lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)), "cannot be multiplied"),
    "mm dtypes": (lambda m: m.ones(2, 3).mm(m.ones(3, 2, dtype=m.float64)), "dtype"),
    "mm number": (lambda m: m.ones(2, 3).mm(3), "Tensor"),
    "torch.mm number": (lambda m: m.mm(3, m.ones(2, 2)), "Tensor"),
    "bmm matrix": (lambda m: m.ones(2, 3).bmm(m.ones(3, 4)), "expected 3D"),
    "bmm batches": (lambda m: m.ones(2, 2, 3).bmm(m.ones(3, 3, 4)), "batch"),
    "mv matrix": (lambda m: m.ones(2, 3).mv(m.ones(2, 3)), "expected 1D"),
    "mv of a vector": (lambda m: m.ones(3).mv(m.ones(3)), "expected 2D"),
    "mv shapes": (lambda m: m.ones(2, 3).mv(m.ones(2)), "cannot be multiplied"),
    "dot matrices": (lambda m: m.ones(2, 2).dot(m.ones(2, 2)), "expected 1D"),
    "dot lengths": (lambda m: m.ones(3).dot(m.ones(2)), "inconsistent tensor size"),
    "addmm input": (lambda m: m.addmm(m.ones(3), m.ones(2, 3), m.ones(3, 4)), "expand"),
    "addmm vector": (lambda m: m.addmm(m.ones(4), m.ones(3), m.ones(3, 4)), "2D"),
    "addmm dtypes": (lambda m: m.addmm(m.ones(4, dtype=m.float64), m.ones(2, 3),
                                       m.ones(3, 4)), "same dtype"),
    "addmv input": (lambda m: m.addmv(m.ones(3), m.ones(2, 3), m.ones(3)), "expanded"),
    "outer number": (lambda m: m.outer(m.ones(2), 3), "Tensor"),
}


@pytest.mark.parametrize("call, match", cases(PRODUCT_ERRORS))
def test_product_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


# ---------------------------------------------------------------- other aliases
def test_older_aliases_give_torchs_results(torch):
    array = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    positive, below_one = np.maximum(array, 0).tolist(), np.minimum(array, 1).tolist()
    for m in (tt, torch):
        x = m.from_numpy(array.copy())
        assert x.nelement() == x.numel() == 6 and x.ndimension() == x.dim() == 2
        assert x.size(1) == 3 and x.size() == (2, 3)
        assert tuple(x.view_as(m.zeros(3, 2)).shape) == (3, 2)
        assert tuple(m.ones(3).expand_as(x).shape) == (2, 3)
        assert m.ones(2).long().type_as(x).dtype == m.float32
        assert x.new_tensor([1, 2]).dtype == m.float32
        assert x.new_zeros(2).tolist() == [0, 0]
        assert x.new_ones((1, 2)).tolist() == [[1.0, 1.0]]
        assert x.cpu().tolist() == x.numpy().tolist()
        assert x.clamp_min(0).tolist() == m.clamp_min(x, 0).tolist() == positive
        assert x.clamp_max(1).tolist() == m.clamp_max(x, 1).tolist() == below_one
        assert x.clamp_min(m.zeros(3)).tolist() == positive
        assert m.tensor([1, -1]).clamp_min(0.5).tolist() == [1.0, 0.5]
        assert x.clone().clamp_min_(0).tolist() == positive
        y = x.clone()
        assert y.clamp_max_(1) is y and y._version == 1 and y.tolist() == below_one
        functional = m.nn.functional
        sigmoid = 1 / (1 + np.exp(-array))
        np.testing.assert_allclose(functional.sigmoid(x).numpy(), sigmoid, rtol=1e-6)
        np.testing.assert_allclose(functional.tanh(x).numpy(), np.tanh(array), 1e-6)
    shared = np.zeros(2)
    tt.from_numpy(shared)[0] = 1.0
    assert shared[0] == 1.0


def test_no_warnings_from_the_old_spellings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Variable(tt.ones(2), requires_grad=True)
        tt.FloatTensor([[1, 2]]).type(tt.LongTensor).type()

"""The engines that chapters 3 and 4 build in their cells give PyTorch's gradients.

Each chapter writes a small autograd engine in code cells tagged ``engine``: chapter 3 a
scalar ``Value``, chapter 4 the same design on arrays, grown step by step (later cells
replace earlier definitions, as they do when the chapter runs). Here those cells run
alone, in order, and the engines' gradients are compared with PyTorch's in float64.
"""
import math
from pathlib import Path

import jupytext
import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

BOOK = Path(__file__).resolve().parents[1] / "book"


def engine_of(chapter):
    """The namespace that the chapter's engine cells leave behind."""
    namespace = {"math": math, "np": np}  # what the chapters' import cell gives them
    cells = [cell for cell in jupytext.read(BOOK / chapter).cells
             if cell.cell_type == "code" and "engine" in cell.metadata.get("tags", [])]
    assert cells, f"{chapter} has no code cell tagged engine"
    for cell in cells:
        exec(compile(cell.source, f"{chapter}, an engine cell", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def scalar_engine():
    return engine_of("03_graphs.md")


@pytest.fixture(scope="module")
def array_engine():
    return engine_of("04_autograd.md")


def torch_gradients(function, arrays):
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    function(*leaves).backward()
    return [np.zeros(leaf.shape) if leaf.grad is None  # an input the function ignores
            else leaf.grad.numpy() for leaf in leaves]


# ------------------------------------------------------- chapter 3: Value
def product_and_exponential(a, b, c):
    return a * b + b.exp()  # b read twice, a leaf


def reused_intermediate(a, b, c):
    u = a * 2
    return u * u + u  # what the chapter's first try gets wrong


def used_three_times(a, b, c):
    u = a * b + c
    return u * u.exp() + 3 * u


def reuse_at_every_level(a, b, c):
    x = a
    for _ in range(6):
        x = x * b + x * c + 1  # each level reads the one before twice
    return x


@pytest.mark.parametrize("expression", [product_and_exponential, reused_intermediate,
                                        used_three_times, reuse_at_every_level])
@pytest.mark.parametrize("point", [(2.0, -0.5, 0.25), (-1.3, 0.7, 1.1)])
def test_the_scalar_engine_gives_torchs_gradients(scalar_engine, expression, point):
    values = [scalar_engine["Value"](x) for x in point]
    scalar_engine["backward"](expression(*values))
    expected = torch_gradients(expression, point)
    for value, grad in zip(values, expected):
        assert value.grad == pytest.approx(float(grad), rel=1e-12, abs=1e-12)


def test_the_scalar_engines_order_puts_consumers_first(scalar_engine):
    x = scalar_engine["Value"](3.0)
    u = x * 2
    y = u * u + u
    order = scalar_engine["topological_order"](y)
    assert order[:3] == [y, y.parents[0], u]  # u after both its consumers
    assert [value.op for value in order] == ["+", "*", "*", "", ""] and x in order


# ------------------------------------------------------- chapter 4: Tensor, Function
def layers(x, w, b, scale):
    for _ in range(3):
        hidden = (x @ w + b).exp() * scale  # a broadcast bias, a 0-d scale
        x = hidden * hidden - hidden  # a reused intermediate
    return x.sum()


def broadcasts(X, row, column, scale):
    return ((X + row + column) * X * scale).sum()  # X read twice


ARRAY_CASES = {
    layers: [(8, 4), (4, 4), (4,), ()],
    broadcasts: [(4, 3), (1, 3), (4, 1), ()],
}


@pytest.mark.parametrize("expression", list(ARRAY_CASES))
def test_the_array_engine_gives_torchs_gradients(array_engine, expression):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) / 4 for shape in ARRAY_CASES[expression]]
    tensors = [array_engine["Tensor"](a, requires_grad=True) for a in arrays]
    array_engine["backward"](expression(*tensors))
    for tensor, expected in zip(tensors, torch_gradients(expression, arrays)):
        assert tensor.grad.shape == expected.shape  # summed back to the input's shape
        np.testing.assert_allclose(tensor.grad, expected, rtol=1e-12, atol=1e-14)


def test_the_array_engine_goes_deeper_than_recursion(array_engine):
    def chain(x):
        for _ in range(5_000):
            x = x * 1.0001
        return x.sum()

    x = array_engine["Tensor"](np.ones(2), requires_grad=True)
    array_engine["backward"](chain(x))
    expected = torch_gradients(chain, [np.ones(2)])[0]
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_the_array_engine_accumulates_and_frees_like_torch(array_engine):
    Tensor, backward = array_engine["Tensor"], array_engine["backward"]
    w = Tensor([1.0, -2.0], requires_grad=True)
    backward((w * w).sum())  # backward passes add up in .grad
    loss = (3 * w * w).sum()
    backward(loss, retain_graph=True)
    backward(loss)  # through the retained graph: added once more
    w_t = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    (w_t * w_t).sum().backward()
    loss_t = (3 * w_t * w_t).sum()
    loss_t.backward(retain_graph=True)
    loss_t.backward()
    np.testing.assert_array_equal(w.grad, w_t.grad.numpy())

    loss = (w * w).sum()
    backward(loss)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        backward(loss)  # the graph was freed, as torch frees it


def test_the_array_engine_records_nothing_under_no_grad(array_engine):
    Tensor = array_engine["Tensor"]
    w = Tensor([1.0, 2.0], requires_grad=True)
    with array_engine["no_grad"]():
        update = w * 0.5
    assert update.grad_fn is None and not update.requires_grad
    assert (w * Tensor([3.0, 4.0])).grad_fn is not None
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0  # a parameter changed in place while recording
    with array_engine["no_grad"]():
        w -= 1.0
    np.testing.assert_array_equal(w.data, [0.0, 1.0])

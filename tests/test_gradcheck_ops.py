"""Every differentiable op's backward against float64 central differences (see ``gradcheck.py``)."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from op_cases import CASES
from tinygrad_tutorial.gradcheck import GradcheckError


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradcheck(case, device):
    inputs = [tt.tensor(x, dtype=tt.float64, device=device, requires_grad=True) for x in case.draw()]
    assert tt.gradcheck(lambda *xs: case.fn(tt, *xs), inputs, **case.gradcheck)


class WrongSquare(tt.autograd.Function):
    """x², with a backward that forgets the factor 2 (a classic slip)."""

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, grad):
        return grad * self.a


class SignFlipInSecondHalf(tt.autograd.Function):
    """Identity whose backward negates the gradient of half the elements: a sum of the output can't see it
    when both halves carry equal weight, a random projection can."""

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        flipped = grad.copy()
        flipped[len(grad) // 2:] *= -1
        return flipped


def test_gradcheck_catches_a_wrong_backward_and_names_the_input(device):
    x = tt.randn(3, device=device, requires_grad=True)
    y = tt.randn(3, device=device, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 .*\n.*analytic.*(\n.*)*numeric"):
        tt.gradcheck(lambda a, b: a + WrongSquare.apply(b), (x, y))
    assert tt.gradcheck(lambda a, b: a + WrongSquare.apply(b), (x, y), raise_exception=False) is False
    assert tt.autograd.gradcheck is tt.gradcheck


def test_gradcheck_projects_on_a_random_direction(device):
    """The errors of ``SignFlipInSecondHalf`` would cancel out under a plain sum; gradcheck must still see them."""
    x = tt.tensor([0.5, 0.5], dtype=tt.float64, device=device, requires_grad=True)
    SignFlipInSecondHalf.apply(x).sum().backward()
    assert x.grad.sum().item() == 0  # the backward's errors cancel out under sum()...
    with pytest.raises(GradcheckError):  # ...but not under a random projection
        tt.gradcheck(lambda a: SignFlipInSecondHalf.apply(a) * 1.0, [x])


def test_gradcheck_leaves_inputs_untouched_and_checks_in_float64(device):
    x = tt.randn(2, 3, device=device, requires_grad=True)
    before = x.detach().cpu().numpy().copy()
    seen = []
    assert tt.gradcheck(lambda a: seen.append(a.dtype) or a.exp(), [x])
    assert np.array_equal(x.detach().cpu().numpy(), before) and x.grad is None
    assert set(seen) == {tt.float64}


def test_gradcheck_skips_inputs_without_grad_and_needs_one():
    x, index = tt.randn(4, requires_grad=True), tt.tensor([0, 0, 3])
    assert tt.gradcheck(lambda a, i: a[i] * 2, [x, index])
    with pytest.raises(ValueError, match="no input requires grad"):
        tt.gradcheck(lambda a: a * 2, [tt.randn(3)])

"""PyTorch-style custom autograd Functions (ctx style) and tensor gradient hooks.

Each Function is written once, against a module ``lib`` (``tinygrad_tutorial`` or ``torch``), and run in
both: values, gradients, what ``backward`` received and the error messages must agree.
"""
import gc
import math
import re
import weakref

import numpy as np
import pytest

import tinygrad_tutorial as tt
from conftest import CUDA_SKIP_REASON
from tinygrad_tutorial import jit


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")


def on(lib, values, device="cpu", **kwargs):
    """A tensor of ``lib`` (float32 unless ``dtype`` says otherwise); ``device`` is ours only."""
    kwargs.setdefault("dtype", lib.float32)
    return lib.tensor(values, **kwargs) if lib is not tt else tt.tensor(values, device=device, **kwargs)


def as_list(t):
    return None if t is None else t.detach().cpu().tolist()


# ---------------------------------------------------------------- the Functions, written once
def legendre(lib):
    class LegendrePolynomial3(lib.autograd.Function):  # PyTorch's tutorial "Learning PyTorch with Examples"
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def split(lib, received, materialize=True):
    """Two outputs, 2a and a·b; records the gradients its backward receives."""
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(a, b)
            return a * 2, a * b

        @staticmethod
        def backward(ctx, grad_double, grad_product):
            received.append((as_list(grad_double), as_list(grad_product)))
            a, b = ctx.saved_tensors
            grad_a = 0 * a if grad_double is None else grad_double * 2
            if grad_product is not None:
                grad_a = grad_a + grad_product * b
            return grad_a, (None if grad_product is None else grad_product * a)

    return Split


def scaled(lib, seen):
    """a · k for a Python number k (its gradient slot is None); records ctx.needs_input_grad."""
    class Scaled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            ctx.k = k
            return a * k + b

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, grad, None

    return Scaled


def sort_like(lib, received, materialize=True):
    """Values and their argmax position (an integer output), plus a float output marked non-differentiable."""
    class WithIndex(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(materialize)
            doubled, tripled = a * 2, a * 3
            ctx.mark_non_differentiable(tripled)
            return doubled, a.argmax(), tripled

        @staticmethod
        def backward(ctx, grad_doubled, grad_index, grad_tripled):
            received.append((as_list(grad_index), as_list(grad_tripled)))
            return grad_doubled * 2

    return WithIndex


def saves_input(lib):
    class TimesSelf(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            a, = ctx.saved_tensors
            return 2 * grad * a

    return TimesSelf


def saves_output(lib):
    class SaveExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            out = a.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            out, = ctx.saved_tensors
            return grad * out

    return SaveExp


def returning(lib, make_grads):
    """A Function of (a, b) whose backward returns ``make_grads(lib, grad)``."""
    class Returning(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return make_grads(lib, grad)

    return Returning


# ---------------------------------------------------------------- the tutorial program
def fit_sine_with_legendre(lib, device="cpu", steps=2000):
    """PyTorch's polynomial_custom_function.py, as written there (``lib`` in place of ``torch``)."""
    LegendrePolynomial3 = legendre(lib)
    dtype = lib.float
    x = lib.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = lib.sin(x)
    a = lib.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = lib.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = lib.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = lib.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    for _ in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return [p.item() for p in (a, b, c, d)], loss.item(), a.dtype


def test_the_legendre_tutorial_fits_the_sine_with_pytorch_coefficients(torch, device):
    ours, loss, dtype = fit_sine_with_legendre(tt, device)
    theirs, their_loss, _ = fit_sine_with_legendre(torch)
    assert dtype == tt.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)  # a and c are ~1e-9: atol
    assert loss == pytest.approx(their_loss, rel=1e-4)
    assert loss < 9  # the tutorial's fit: y ≈ -2.21 P3(0.255 x), loss about 8.9
    assert ours[1] == pytest.approx(-2.2085, abs=1e-3) and ours[3] == pytest.approx(0.2555, abs=1e-3)


def test_legendre_values_gradients_and_grad_fn_match_pytorch(torch, device):
    values = [-1.5, -0.2, 0.0, 0.7, 2.0]
    x, x_pt = on(tt, values, device, requires_grad=True), on(torch, values, requires_grad=True)
    y, y_pt = legendre(tt).apply(x), legendre(torch).apply(x_pt)
    assert y.grad_fn.name() == y_pt.grad_fn.name() == "LegendrePolynomial3Backward"
    assert repr(y).endswith("grad_fn=<LegendrePolynomial3Backward>)")
    assert y.requires_grad and not y.is_leaf and y.dtype == tt.float32 and y.device == tt.device(device)
    (y * on(tt, [1.0, 2.0, 3.0, 4.0, 5.0], device)).sum().backward()
    (y_pt * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_allclose(as_list(y), as_list(y_pt), rtol=1e-6)
    np.testing.assert_allclose(as_list(x.grad), as_list(x_pt.grad), rtol=1e-6)
    assert x.grad.dtype == tt.float32 and x.grad.device == tt.device(device)


def test_a_custom_function_inside_a_larger_graph_gets_and_passes_on_gradients(torch, device):
    """Its input is computed (c + d·x), its output used twice; gradients accumulate through it both ways."""
    def run(lib, dev):
        P3 = legendre(lib).apply
        w = on(lib, [0.5, -1.0, 2.0], dev, requires_grad=True)
        h = w * 0.3 + 0.1
        p = P3(h)
        (p * p + P3(p) + p).sum().backward()
        return as_list(w.grad)

    np.testing.assert_allclose(run(tt, device), run(torch, "cpu"), rtol=1e-5)


# ---------------------------------------------------------------- several outputs, None and zeros
@pytest.mark.parametrize("use", ["both", "first", "second"])
@pytest.mark.parametrize("materialize", [True, False])
def test_several_outputs_get_one_gradient_each_as_in_pytorch(torch, device, use, materialize):
    def run(lib, dev):
        received = []
        a = on(lib, [1.0, 2.0], dev, requires_grad=True)
        b = on(lib, [3.0, -1.0], dev, requires_grad=True)
        double, product = split(lib, received, materialize).apply(a, b)
        assert double.grad_fn is product.grad_fn
        loss = {"both": double.sum() + (product * 2).sum(), "first": double.sum(), "second": product.sum()}[use]
        loss.backward()
        return received, as_list(a.grad), as_list(b.grad)

    ours, theirs = run(tt, device), run(torch, "cpu")
    assert ours == theirs


def test_an_output_used_twice_sums_its_gradients_before_backward_runs(torch, device):
    def run(lib, dev):
        received = []
        a, b = on(lib, [1.0, 2.0], dev, requires_grad=True), on(lib, [3.0, 4.0], dev, requires_grad=True)
        double, product = split(lib, received).apply(a, b)
        (double * 3 + double * product).sum().backward()
        return received, as_list(a.grad), as_list(b.grad)

    assert run(tt, device) == run(torch, "cpu")


def test_non_tensor_arguments_take_a_none_slot_and_needs_input_grad_matches_pytorch(torch, device):
    def run(lib, dev):
        seen = []
        a = on(lib, [1.0, 2.0], dev, requires_grad=True)
        b = on(lib, [5.0, 6.0], dev)  # needs no gradient
        out = scaled(lib, seen).apply(a, b, 3)
        out.sum().backward()
        with lib.no_grad():
            unrecorded = scaled(lib, seen).apply(a, b, 3)
        return seen, as_list(out), as_list(a.grad), b.grad, unrecorded.requires_grad, unrecorded.grad_fn

    ours, theirs = run(tt, device), run(torch, "cpu")
    assert ours == theirs
    assert ours[0] == [(True, False, False), (True, False, False)]  # still per requires_grad under no_grad


def test_keyword_arguments_are_bound_to_forward_s_parameters(torch):
    def run(lib):
        seen = []
        a = on(lib, [1.0, 2.0], requires_grad=True)
        scaled(lib, seen).apply(a, b=on(lib, [0.5, 0.5]), k=4).sum().backward()
        return seen, as_list(a.grad)

    assert run(tt) == run(torch) == ([(True, False, False)], [4.0, 4.0])


def test_forward_without_ctx_and_a_separate_setup_context_as_in_pytorch_2(torch, device):
    def run(lib, dev):
        seen = []

        class Power(lib.autograd.Function):
            @staticmethod
            def forward(a, exponent=3.0):
                seen.append(lib.is_grad_enabled())
                return a ** exponent

            @staticmethod
            def setup_context(ctx, inputs, output):
                a, exponent = inputs  # the default is filled in
                seen.append((len(inputs), output.requires_grad))
                ctx.exponent = exponent
                ctx.save_for_backward(a)

            @staticmethod
            def backward(ctx, grad):
                a, = ctx.saved_tensors
                return grad * ctx.exponent * a ** (ctx.exponent - 1), None

        a = on(lib, [1.0, 2.0], dev, requires_grad=True)
        out = Power.apply(a)
        out.sum().backward()
        return seen, as_list(out), as_list(a.grad), out.grad_fn.name()

    assert run(tt, device) == run(torch, "cpu") == ([False, (2, False)], [1.0, 8.0], [3.0, 12.0], "PowerBackward")


@pytest.mark.parametrize("materialize", [True, False])
def test_integer_and_non_differentiable_outputs_as_in_pytorch(torch, device, materialize):
    def run(lib, dev):
        received = []
        a = on(lib, [3.0, 1.0, 2.0], dev, requires_grad=True)
        doubled, index, tripled = sort_like(lib, received, materialize).apply(a)
        flags = [(t.requires_grad, t.grad_fn is None) for t in (doubled, index, tripled)]
        (doubled * on(lib, [1.0, 2.0, 3.0], dev)).sum().backward()
        return received, flags, as_list(a.grad), index.item(), as_list(tripled)

    ours, theirs = run(tt, device), run(torch, "cpu")
    assert ours == theirs
    assert ours[1] == [(True, False), (False, True), (False, True)]


def test_a_none_gradient_leaves_that_input_without_grad(torch, device):
    def run(lib, dev):
        a, b = on(lib, [1.0, 2.0], dev, requires_grad=True), on(lib, [3.0, 4.0], dev, requires_grad=True)
        returning(lib, lambda lib, g: (g * 7, None)).apply(a, b).sum().backward()
        return as_list(a.grad), b.grad

    assert run(tt, device) == run(torch, "cpu") == ([7.0, 7.0], None)


def test_the_gradient_of_an_input_that_needs_none_is_dropped_unchecked(torch):
    def run(lib):
        a, b = on(lib, [1.0, 2.0], requires_grad=True), on(lib, [3.0, 4.0])
        returning(lib, lambda lib, g: (g * 2, lib.ones(7))).apply(a, b).sum().backward()
        return as_list(a.grad), b.grad

    assert run(tt) == run(torch) == ([2.0, 2.0], None)


def test_trailing_nones_beyond_the_arguments_are_forgiven(torch):
    def run(lib):
        a, b = on(lib, [1.0, 2.0], requires_grad=True), on(lib, [3.0, 4.0], requires_grad=True)
        returning(lib, lambda lib, g: (g, g, None, None)).apply(a, b).sum().backward()
        return as_list(a.grad), as_list(b.grad)

    assert run(tt) == run(torch) == ([1.0, 1.0], [1.0, 1.0])


def test_a_gradient_of_a_broadcast_shape_is_summed_down_as_in_pytorch(torch, device):
    def run(lib, dev):
        a, b = on(lib, [1.0, 2.0], dev, requires_grad=True), on(lib, [[3.0]], dev, requires_grad=True)
        returning(lib, lambda lib, g: (g.expand(4, 2) * 1, g.expand(3, 2) * 2)).apply(a, b).sum().backward()
        return as_list(a.grad), as_list(b.grad)

    assert run(tt, device) == run(torch, "cpu") == ([4.0, 4.0], [[12.0]])


def test_an_argument_returned_as_is_stays_a_leaf(torch, device):
    def run(lib, dev):
        class Identity(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a

            @staticmethod
            def backward(ctx, grad):
                return grad * 10

        a = on(lib, [1.0, 2.0], dev, requires_grad=True)
        out = Identity.apply(a)
        out.sum().backward()
        return out is a, a.is_leaf, a.grad_fn, as_list(a.grad), out.grad_fn.name()

    assert run(tt, device) == run(torch, "cpu") == (False, True, None, [10.0, 10.0], "IdentityBackward")


def test_forward_and_backward_run_with_recording_off(torch):
    def run(lib):
        modes = []

        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                modes.append(lib.is_grad_enabled())
                return a * 2

            @staticmethod
            def backward(ctx, grad):
                modes.append(lib.is_grad_enabled())
                return grad * 2

        Probe.apply(on(lib, [1.0], requires_grad=True)).sum().backward()
        return modes

    assert run(tt) == run(torch) == [False, False]


# ---------------------------------------------------------------- errors
def error_of(action):
    with pytest.raises(Exception) as info:
        action()
    return info.type, str(info.value)


@pytest.mark.parametrize("make_grads, expected", [
    (lambda lib, g: g, r"function ReturningBackward returned an incorrect number of gradients \(expected 2, got 1\)"),
    (lambda lib, g: (g, g, g), r"returned an incorrect number of gradients \(expected 2, got 3\)"),
    (lambda lib, g: (lib.ones(3), g), r"Function ReturningBackward returned an invalid gradient at index 0 - got "
                                      r"\[3\] but expected shape compatible with \[2\]"),
], ids=["too few", "too many", "wrong shape"])
def test_backward_returning_the_wrong_gradients_raises_pytorch_s_error(torch, make_grads, expected):
    def run(lib):
        a, b = on(lib, [1.0, 2.0], requires_grad=True), on(lib, [3.0, 4.0], requires_grad=True)
        return error_of(lambda: returning(lib, make_grads).apply(a, b).sum().backward())

    ours, theirs = run(tt), run(torch)
    assert ours == theirs
    assert ours[0] is RuntimeError and re.search(expected, ours[1])


def test_a_gradient_for_a_non_tensor_argument_or_a_non_tensor_gradient_is_refused():
    class Scaled(tt.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    a = tt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="ScaledBackward returned a gradient different than None at position 2, "
                                           "but the corresponding forward input was not a Tensor"):
        Scaled.apply(a, 3).sum().backward()
    with pytest.raises(RuntimeError, match="returned int as the gradient at index 0: expected Tensor or None"):
        returning(tt, lambda lib, g: (3, None)).apply(a, a).sum().backward()


@pytest.mark.skipif(not tt.cuda.is_available(), reason=CUDA_SKIP_REASON)
def test_a_gradient_on_another_device_is_named():
    a = tt.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient at index 0 - expected device cuda:0 but got cpu"):
        returning(tt, lambda lib, g: (g.cpu(), None)).apply(a, a).sum().backward()


def in_place_error(lib, function, write):
    b = on(lib, [0.5, 1.0, 2.0], requires_grad=True)
    a = b * 1  # computed, so it can be written under no_grad without touching the leaf
    y = function(lib).apply(a)
    with lib.no_grad():
        write(a, y)
    return error_of(lambda: y.sum().backward())


def test_writing_a_saved_input_in_place_raises_the_version_error(torch):
    (kind, ours), (_, theirs) = [in_place_error(lib, saves_input, lambda a, y: a.add_(1)) for lib in (tt, torch)]
    assert kind is RuntimeError
    prefix = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
              "[{} [3]]")
    assert ours.startswith(prefix.format("tinygrad_tutorial.float32")), ours
    assert theirs.startswith(prefix.format("torch.FloatTensor"))
    assert "is at version 1; expected version 0 instead" in ours and "is at version 1; expected version 0" in theirs


def test_writing_a_saved_output_in_place_names_the_output(torch):
    (kind, ours), (_, theirs) = [in_place_error(lib, saves_output, lambda a, y: y.mul_(2)) for lib in (tt, torch)]
    assert kind is RuntimeError
    assert "[tinygrad_tutorial.float32 [3]], which is output 0 of SaveExp, is at version 1; expected version 0" \
        in ours
    assert ", which is output 0 of SaveExp, is at version 1; expected version 0" in theirs


def test_writing_a_tensor_backward_does_not_read_is_harmless(torch):
    def run(lib):
        a = on(lib, [1.0, 2.0], requires_grad=True)
        b = on(lib, [3.0, 4.0])
        out = returning(lib, lambda lib, g: (g * 2, None)).apply(a, b)  # saved nothing
        b.add_(1)
        out.sum().backward()
        return as_list(a.grad)

    assert run(tt) == run(torch) == [2.0, 2.0]


def test_a_custom_node_is_freed_after_backward_and_refuses_a_second_one():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    y = legendre(tt).apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    x.grad = None
    z = legendre(tt).apply(x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad.tolist() == [2 * 6.0, 2 * 28.5]  # 1.5 (5x² - 1), twice


def test_saving_the_output_makes_no_reference_cycle():
    """The node holds its saved output as an alias without grad_fn: dropping the output frees the node at
    once, without waiting for the garbage collector."""
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    gc.disable()
    try:
        y = saves_output(tt).apply(x)
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None
    finally:
        gc.enable()


# ---------------------------------------------------------------- gradcheck and the tracer
def test_gradcheck_passes_a_correct_ctx_function_in_float64_and_catches_a_wrong_one(torch):
    Legendre, Scaled = legendre(tt), scaled(tt, [])
    x = tt.randn(6, dtype=tt.float64, requires_grad=True)
    y = tt.randn(6, dtype=tt.float64, requires_grad=True)
    assert tt.gradcheck(Legendre.apply, [x])
    assert tt.gradcheck(lambda a, b: Scaled.apply(a, b, 2.5), [x, y])
    assert tt.gradcheck(lambda a, b: split(tt, []).apply(a, b)[1], [x, y])  # the second of two outputs
    their_x = torch.tensor(x.detach().numpy(), requires_grad=True)
    assert torch.autograd.gradcheck(legendre(torch).apply, [their_x])  # the oracle agrees that it is right

    class WrongLegendre(Legendre):
        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2)  # the - 1 forgotten

    assert not tt.gradcheck(WrongLegendre.apply, [x], raise_exception=False)


def test_the_tracer_replays_the_values_of_a_custom_function_and_warns_about_its_backward(device):
    P3 = legendre(tt).apply
    x = tt.randn(5, device=device)
    with pytest.warns(jit.TracerWarning, match="LegendrePolynomial3 is a custom Function.*not "
                                               "LegendrePolynomial3.backward"):
        traced = jit.trace(lambda t: P3(t * 2) + 1, (x,))
    new = tt.randn(5, device=device)
    assert tt.allclose(traced(new), P3(new * 2) + 1)
    assert "Backward" not in traced.code and "PowScalar" in traced.code  # its forward's ops, one by one


# ---------------------------------------------------------------- Tensor.register_hook
def test_a_leaf_hook_sees_the_whole_new_gradient_once_before_it_is_accumulated(torch, device):
    def run(lib, dev):
        calls = []
        a = on(lib, [1.0, 2.0], dev, requires_grad=True)
        a.grad = on(lib, [100.0, 100.0], dev)  # an earlier gradient: the hook does not see it
        a.register_hook(lambda g: calls.append(as_list(g)))
        (a * 2 + a * 3).sum().backward()  # two uses of a: one call, with their sum
        return calls, as_list(a.grad)

    assert run(tt, device) == run(torch, "cpu") == ([[5.0, 5.0]], [105.0, 105.0])


def test_a_hook_that_returns_a_tensor_replaces_the_gradient(torch, device):
    def run(lib, dev):
        a = on(lib, [1.0, -2.0], dev, requires_grad=True)
        h = a * 3
        h.register_hook(lambda g: g.clamp(max=1.5))  # a non-leaf: replaces what flows on to a
        a.register_hook(lambda g: g * 10)  # a leaf: replaces what lands in .grad
        (h * h).sum().backward()  # dh = 2h = (6, -12), clamped to (1.5, -12)
        return as_list(a.grad)

    assert run(tt, device) == run(torch, "cpu") == [45.0, -360.0]


def test_hooks_run_in_order_and_retain_grad_keeps_the_final_gradient(torch):
    def run(lib):
        calls = []
        a = on(lib, [1.0, 2.0], requires_grad=True)
        y = a * 2
        y.register_hook(lambda g: calls.append(("first", as_list(g))) or g * 10)
        y.retain_grad()  # runs last whatever the order of registration, as in PyTorch
        y.register_hook(lambda g: calls.append(("second", as_list(g))) or g + 1)
        y.sum().backward()
        return calls, as_list(y.grad), as_list(a.grad)

    assert run(tt) == run(torch) == ([("first", [1.0, 1.0]), ("second", [10.0, 10.0])], [11.0, 11.0],
                                     [22.0, 22.0])


def test_a_removed_hook_no_longer_runs(torch):
    def run(lib):
        calls = []
        a = on(lib, [1.0], requires_grad=True)
        handle = a.register_hook(lambda g: calls.append("removed"))
        a.register_hook(lambda g: calls.append("kept"))
        (a * 2).sum().backward()
        handle.remove()
        handle.remove()  # twice is harmless
        (a * 2).sum().backward()
        return calls, as_list(a.grad)

    assert run(tt) == run(torch) == (["removed", "kept", "kept"], [4.0])


def test_a_hook_on_a_leaf_runs_on_backward_of_that_leaf_itself(torch):
    def run(lib):
        a = lib.tensor(2.0, requires_grad=True)
        a.register_hook(lambda g: g * 3)
        a.backward()
        return a.grad.item()

    assert run(tt) == run(torch) == 3.0


def test_hooks_on_the_outputs_of_a_custom_function(torch, device):
    def run(lib, dev):
        received, calls = [], []
        a, b = on(lib, [1.0, 2.0], dev, requires_grad=True), on(lib, [3.0, 4.0], dev, requires_grad=True)
        double, product = split(lib, received).apply(a, b)
        product.register_hook(lambda g: calls.append(as_list(g)) or g * 0)
        (double + product).sum().backward()
        return received, calls, as_list(a.grad), as_list(b.grad)

    assert run(tt, device) == run(torch, "cpu") == ([([1.0, 1.0], [0.0, 0.0])], [[1.0, 1.0]], [2.0, 2.0],
                                                    [0.0, 0.0])


def test_a_hook_needs_a_tensor_that_requires_grad_and_must_keep_the_gradient_s_shape_and_dtype(torch):
    for lib in (tt, torch):
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
            lib.tensor([1.0]).register_hook(lambda g: g)

    def wrong_size(g):
        return g[:1]

    for lib in (tt, torch):
        a = on(lib, [1.0, 2.0], requires_grad=True)
        a.register_hook(wrong_size)
        with pytest.raises(RuntimeError, match="hook 'wrong_size' has changed the size of value"):
            (a * 2).sum().backward()
        b = on(lib, [1.0, 2.0], requires_grad=True)
        b.register_hook(lambda g: g.double())
        with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the type of value"):
            (b * 2).sum().backward()
        c = on(lib, [1.0, 2.0], requires_grad=True)
        c.register_hook(lambda g: 3)
        with pytest.raises(TypeError, match="but hook returned 'int'"):
            (c * 2).sum().backward()


def test_hooks_of_a_dead_leaf_are_forgotten():
    import gc
    import weakref

    a = tt.tensor([1.0], requires_grad=True)
    a.register_hook(lambda g: g)
    kept_by_the_leaf = weakref.ref(a._grad_accumulator)  # where the hook lives
    del a
    gc.collect()
    assert kept_by_the_leaf() is None


def test_without_hooks_backward_gives_pytorch_s_gradients(torch, device):
    """No hooks on these tensors: the plain path (the one benchmarks time) gives PyTorch's gradients."""
    def run(lib, dev):
        a = on(lib, [[1.0, 2.0], [3.0, 4.0]], dev, requires_grad=True)
        b = on(lib, [0.5, -1.0], dev, requires_grad=True)
        ((a * b).exp().sum(1) / (a + b).sum()).sum().backward()
        return as_list(a.grad), as_list(b.grad)

    ours, theirs = run(tt, device), run(torch, "cpu")
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)

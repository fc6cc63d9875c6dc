"""The programs of tests/programs/ (this repository's own, in the style of teaching
material) run twice, with real ``torch`` and with ``import tinygrad_tutorial as torch``:
both runs must print the same, and what they return must pass the same checks.

Tolerances: a float64 run is compared to rtol 1e-7. The two libraries sum in other
orders, and in float64 those differences start near 1e-16 and, over these short runs,
stay under 1e-12 (the printed 10 significant digits agree): the tolerance leaves a
factor of 1e5 for other CPUs and BLAS kernels, while any wrong gradient or update rule
moves the numbers by far more. A float32 run is compared only over its first steps (rtol
1e-5), before rounding differences can grow. Accuracies are never compared digit for
digit: each run must clear a threshold well above chance."""

import pytest

import tinygrad_tutorial
from programs import Printed, assert_same_output, normalized
from programs import basics, characters, classifier, cnn, generative, polynomial
from programs import sequences

real_torch = pytest.importorskip("torch", reason="PyTorch is the test oracle")

FLOAT64_RTOL = 1e-7
FLOAT32_RTOL = 1e-5


@pytest.fixture(autouse=True, scope="module")
def _torch_on_one_thread():
    """The programs are small: PyTorch's worker threads only fight for the cores."""
    threads = real_torch.get_num_threads()
    real_torch.set_num_threads(1)
    yield
    real_torch.set_num_threads(threads)


def run(program, torch, printed, **kwargs):
    """What ``program`` returns; it may change the default dtype and device: they are
    set back."""
    try:
        return program(torch, printed, **kwargs)
    finally:
        torch.set_default_dtype(torch.float32)
        torch.set_default_device(None)


def run_both(program, **kwargs):
    """(what ours printed, what torch printed, our result, torch's result)."""
    ours, theirs = Printed(), Printed()
    their_result = run(program, real_torch, theirs, **kwargs)
    our_result = run(program, tinygrad_tutorial, ours, **kwargs)
    return ours, theirs, our_result, their_result


def test_tensor_basics():
    ours, theirs, _, _ = run_both(basics.tensor_basics)
    assert_same_output(ours, theirs, rtol=0)  # only a last printed digit may differ


def test_autograd_basics():
    ours, theirs, _, _ = run_both(basics.autograd_basics)
    assert_same_output(ours, theirs, rtol=0)
    nodes = ("Sum", "Exp", "Add", "Mul", "AccumulateGrad")
    walk = " <- ".join(f"<{name} node>" for name in nodes)
    assert walk in [normalized(line, ours=True) for line in ours]


STYLES = {
    "by_hand": (polynomial.by_hand, {}),
    "autograd": (polynomial.with_autograd, {}),
    "sequential_SGD": (polynomial.with_optimizer, {"optimizer": "SGD"}),
    "sequential_RMSprop": (polynomial.with_optimizer, {"optimizer": "RMSprop"}),
    "sequential_Adam": (polynomial.with_optimizer, {"optimizer": "Adam"}),
    "custom_function": (polynomial.with_custom_function, {}),
    "dynamic_module": (polynomial.with_dynamic_module, {}),
}


@pytest.mark.parametrize("style", STYLES)
def test_polynomial_fit(style):
    program, kwargs = STYLES[style]
    ours, theirs, our_loss, their_loss = run_both(program, **kwargs)
    assert len(ours) >= 5
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    # both reach the least-squares minimum; each run stops before its gradient falls to
    # the rounding floor, where RMSprop's and Adam's normalised steps would hover at
    # random around it
    minimum = polynomial.least_squares_loss()
    assert our_loss == pytest.approx(minimum, rel=1e-6)
    assert their_loss == pytest.approx(minimum, rel=1e-6)


def test_polynomial_fit_float32_first_steps():
    ours, theirs, _, _ = run_both(polynomial.with_autograd, steps=101, dtype="float32")
    assert len(ours) == 4  # "Using ... device", steps 0 and 100, the result
    assert_same_output(ours, theirs, rtol=FLOAT32_RTOL)


def test_logistic_regression_from_scratch():
    ours, theirs, our_accuracy, their_accuracy = run_both(classifier.from_scratch)
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    assert our_accuracy > 0.8 and their_accuracy > 0.8, (our_accuracy, their_accuracy)


def test_digits_classifier(tmp_path):
    program = classifier.digits_classifier
    ours, theirs, our_accuracy, their_accuracy = run_both(program, directory=tmp_path)
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    assert any(line.endswith(" True") for line in ours)  # the loaded weights agree
    assert our_accuracy > 0.8 and their_accuracy > 0.8, (our_accuracy, their_accuracy)


def test_digits_classifier_shuffled_learns(tmp_path):
    """With ``shuffle=True`` each library draws its own order: only the outcome is
    compared."""
    program = classifier.digits_classifier
    accuracies = [run(program, torch, Printed(), directory=tmp_path, shuffle=True)
                  for torch in (real_torch, tinygrad_tutorial)]
    assert min(accuracies) > 0.8, accuracies  # chance: 0.1


def test_small_cnn():
    ours, theirs, ours_result, theirs_result = run_both(cnn.small_cnn)
    (our_accuracy, our_per_class), (their_accuracy, _) = ours_result, theirs_result
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    assert our_accuracy > 0.3 and their_accuracy > 0.3, (our_accuracy, their_accuracy)
    assert sum(our_per_class.values()) == round(our_accuracy * 160)


def test_small_cnn_float32_first_batches():
    ours, theirs, _, _ = run_both(cnn.small_cnn, dtype="float32", epochs=1, batches=10)
    assert_same_output(ours, theirs, rtol=FLOAT32_RTOL)


def test_tiny_vae():
    ours, theirs, our_losses, their_losses = run_both(generative.tiny_vae)
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    for losses in (our_losses, their_losses):
        assert losses[-1] < 0.75 * losses[0], losses


def test_tiny_gan():
    ours, theirs, (our_start, our_end), (their_start, their_end) = run_both(
        generative.tiny_gan)
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    assert ours[0].endswith("True")  # the discriminator's step left the generator alone
    assert our_end < our_start / 2 and their_end < their_start / 2  # moved to the ring


def test_character_model():
    ours, theirs, our_losses, their_losses = run_both(characters.character_model)
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    assert ours[-1] == theirs[-1]  # the same greedy continuation
    for losses in (our_losses, their_losses):
        assert sum(losses[-10:]) / 10 < 0.3 * losses[0], losses


def test_sequence_classifier():
    ours, theirs, (our_losses, our_accuracy), (their_losses, _) = run_both(
        sequences.sequence_classifier)
    assert_same_output(ours, theirs, rtol=FLOAT64_RTOL)
    for losses in (our_losses, their_losses):
        assert losses[-1] < 0.5 * losses[0], losses
    assert our_accuracy > 0.8

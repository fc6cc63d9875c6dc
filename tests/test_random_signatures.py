"""Random functions in every signature PyTorch has: torch's shapes, dtypes, devices,
``requires_grad`` and error types, and the distributions they promise.

The package's random stream is not torch's, so values are checked through their
statistics (large samples under conftest.py's fixed seed, with tolerances many standard
errors wide) or as exact repeats of draws from equally seeded generators.
"""
import numpy as np
import pytest

import tinygrad_tutorial as tt


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the oracle for signatures")


def host(t):
    return t.detach().cpu().numpy()


def like_torch(ours, theirs):
    """Same shape, dtype and requires_grad."""
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), theirs.dtype
    assert ours.requires_grad == theirs.requires_grad


def raises_like_torch(torch, call, match=None):
    """``call(lib)`` raises the same error type in both libraries (ours: ``match``)."""
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match=match):
        call(tt)


def seeded(m, seed):
    return m.Generator().manual_seed(seed)


def cases(table):
    """Parameters from {id: case}, each case one value or a tuple of them."""
    return [pytest.param(*(case if isinstance(case, tuple) else (case,)), id=name)
            for name, case in table.items()]


# ---------------------------------------------------------------- normal
NORMAL_SIGNATURES = {
    "tensor, tensor (broadcast)": lambda m: m.normal(m.zeros(2, 1), m.ones(3)),
    "tensor, std=float": lambda m: m.normal(m.zeros(2, 3), 2.0),
    "tensor mean only": lambda m: m.normal(m.zeros(4)),
    "float, tensor (float64)": lambda m: m.normal(0.0, m.ones(2, 3, dtype=m.float64)),
    "float64 and float32": lambda m: m.normal(m.zeros(2, dtype=m.float64), m.ones(2)),
    "float, float, size": lambda m: m.normal(1.0, 2.0, (2, 3)),
    "float, float, size=": lambda m: m.normal(0, 1, size=(5,)),
    "dtype and requires_grad": lambda m: m.normal(0.0, 1.0, (2,), dtype=m.float64,
                                                  requires_grad=True),
    "mean requiring grad": lambda m: m.normal(m.zeros(3, requires_grad=True), 1.0),
    "generator": lambda m: m.normal(m.zeros(3), 1.0, generator=seeded(m, 1)),
}


@pytest.mark.parametrize("call", cases(NORMAL_SIGNATURES))
def test_normal_signatures_give_torchs_shapes_dtypes_and_requires_grad(call, torch):
    like_torch(call(tt), call(torch))


def test_normal_follows_its_tensor_arguments_device(device):
    assert tt.normal(tt.zeros(3, device=device), 1.0).device == tt.device(device)
    assert tt.normal(0.0, tt.ones(3, device=device)).device == tt.device(device)
    assert tt.normal(0.0, 1.0, (3,), device=device).device == tt.device(device)


def test_normal_means_and_stds_broadcast_elementwise(device):
    mean = tt.tensor([[-5.0], [5.0]], device=device)
    std = tt.tensor([1.0, 3.0], device=device).repeat(10000)  # std 1, 3, 1, 3...
    samples = host(tt.normal(mean, std)).reshape(2, 10000, 2)
    expected_means = [[-5, -5], [5, 5]]
    np.testing.assert_allclose(samples.mean(axis=1), expected_means, atol=0.15)  # 4.7σ
    np.testing.assert_allclose(samples.std(axis=1), [[1, 3], [1, 3]], rtol=0.05)


def test_normal_gives_its_parameters_zero_gradients_as_torch(torch):
    grads = []
    for m in (tt, torch):
        mean, std = m.zeros(2, 1, requires_grad=True), m.ones(3, requires_grad=True)
        m.normal(mean, std).sum().backward()
        grads.append((mean.grad.tolist(), std.grad.tolist()))
    assert grads[0] == grads[1] == ([[0.0], [0.0]], [0.0, 0.0, 0.0])


NORMAL_ERRORS = {
    "negative float std": (lambda m: m.normal(0.0, -1.0, (2,)), "found std -1"),
    "tensor mean, negative std": (lambda m: m.normal(m.zeros(2), -1.0), "std >= 0.0"),
    "negative std tensor": (lambda m: m.normal(m.zeros(2), -m.ones(2)), "all elements"),
    "int mean": (lambda m: m.normal(m.zeros(2, dtype=m.int64), 1.0), "int64"),
    "int dtype": (lambda m: m.normal(0.0, 1.0, (2,), dtype=m.int64), "int64"),
    "no broadcast": (lambda m: m.normal(m.zeros(2), m.ones(3)), "must match the size"),
    "numbers without size": (lambda m: m.normal(0.0, 1.0), "size"),
}


@pytest.mark.parametrize("call, match", cases(NORMAL_ERRORS))
def test_normal_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


# ---------------------------------------------------------------- integers
INTEGER_SIGNATURES = {
    "high, size": lambda m: m.randint(5, (3,)),
    "low, high, size": lambda m: m.randint(2, 5, (3, 2)),
    "high, size=": lambda m: m.randint(5, size=(3,)),
    "keywords": lambda m: m.randint(low=2, high=5, size=(3,)),
    "high= and size=": lambda m: m.randint(high=5, size=[2, 2]),
    "float32 requiring grad": lambda m: m.randint(5, (3,), dtype=m.float32,
                                                  requires_grad=True),
    "bool": lambda m: m.randint(0, 2, (4,), dtype=m.bool),
    "uint8": lambda m: m.randint(0, 256, (4,), dtype=m.uint8),
    "generator": lambda m: m.randint(5, (3,), generator=seeded(m, 3)),
    "randint_like high": lambda m: m.randint_like(m.zeros(2, 3), 5),
    "randint_like low, high": lambda m: m.randint_like(m.zeros(2, dtype=m.int32), 2, 5),
    "randint_like high=": lambda m: m.randint_like(m.zeros(2), high=5, dtype=m.int64),
    "randperm": lambda m: m.randperm(5),
    "randperm float": lambda m: m.randperm(4, dtype=m.float32, requires_grad=True),
    "randperm 0": lambda m: m.randperm(0),
    "randperm generator": lambda m: m.randperm(6, generator=seeded(m, 2)),
    "rand_like": lambda m: m.rand_like(m.zeros(2, 3, dtype=m.float64)),
    "randn_like requiring grad": lambda m: m.randn_like(m.zeros(2), requires_grad=True),
    "rand_like generator": lambda m: m.rand_like(m.zeros(2), generator=seeded(m, 2)),
    "randn generator": lambda m: m.randn(2, 3, generator=seeded(m, 2)),
}


@pytest.mark.parametrize("call", cases(INTEGER_SIGNATURES))
def test_integer_and_like_signatures_give_torchs_shapes_and_dtypes(call, torch):
    like_torch(call(tt), call(torch))


def test_randint_covers_its_range_and_nothing_else(device):
    def values(t):
        assert t.device == tt.device(device)
        return set(t.tolist())

    assert values(tt.randint(5, (1000,), device=device)) == {0, 1, 2, 3, 4}
    int8 = tt.randint(-2, 1, (1000,), dtype=tt.int8, device=device)
    assert values(int8) == {-2, -1, 0}
    assert values(tt.randint_like(tt.zeros(1000, device=device), 3, 5)) == {3.0, 4.0}
    assert values(tt.randperm(4, device=device)) == {0, 1, 2, 3}
    top = tt.randint(0, 2**63 - 1, (1000,))  # the whole int64 range is reachable
    assert top.min().item() >= 0 and top.max().item() > 2**62


def test_randperm_is_a_permutation():
    assert sorted(tt.randperm(50).tolist()) == list(range(50))
    assert tt.randperm(50).tolist() != list(range(50))


INTEGER_ERRORS = {
    "high only": (lambda m: m.randint(5), "size"),
    "int size": (lambda m: m.randint(5, 3), "size"),
    "empty range": (lambda m: m.randint(5, 2, (3,)), "from=5 >= to=2"),
    "beyond uint8": (lambda m: m.randint(0, 300, (3,), dtype=m.uint8), "to - 1 is out"),
    "below uint8": (lambda m: m.randint(-5, 2, (3,), dtype=m.uint8), "from is out"),
    "int requiring grad": (lambda m: m.randint(5, (3,), requires_grad=True), "float"),
    "negative size": (lambda m: m.randint(5, (-1,)), "negative dimension -1"),
    "negative randperm": (lambda m: m.randperm(-1), "negative dimension -1"),
    "negative randn": (lambda m: m.randn(-1), "negative dimension -1"),
    "int rand": (lambda m: m.rand(2, dtype=m.int64), "random floats"),
    "int rand_like": (lambda m: m.rand_like(m.zeros(2, dtype=m.int64)), "floats"),
}


@pytest.mark.parametrize("call, match", cases(INTEGER_ERRORS))
def test_integer_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


# ---------------------------------------------------------------- generators
def test_a_seeded_generator_reproduces_every_kind_of_draw(device):
    def draws(seed):
        g = tt.Generator().manual_seed(seed)
        x, ones = tt.empty(4, device=device), tt.ones(4, device=device)
        return [tt.randn(3, generator=g, device=device), tt.rand(3, generator=g),
                tt.randint(9, (3,), generator=g), tt.randperm(5, generator=g),
                tt.normal(ones, 1.0, generator=g), tt.normal(0, 1, (3,), generator=g),
                tt.randn_like(x, generator=g), tt.rand_like(x, generator=g),
                tt.randint_like(x, 7, generator=g), tt.bernoulli(ones / 2, generator=g),
                tt.multinomial(ones, 3, generator=g),
                x.clone().normal_(generator=g), x.clone().uniform_(generator=g),
                x.clone().random_(9, generator=g), x.clone().exponential_(generator=g),
                x.clone().geometric_(0.5, generator=g), x.clone().cauchy_(generator=g),
                x.clone().log_normal_(generator=g), x.clone().bernoulli_(generator=g)]

    first, again, other = draws(5), draws(5), draws(6)
    assert [t.tolist() for t in first] == [t.tolist() for t in again]
    assert all(a.tolist() != b.tolist() for a, b in zip(first[:9], other[:9]))


def test_generators_are_independent_of_each_other_and_of_the_default_stream():
    g, h = tt.Generator().manual_seed(1), tt.Generator().manual_seed(1)
    tt.manual_seed(0)
    expected_default = tt.randn(5).tolist()
    tt.manual_seed(0)
    a = tt.randn(5, generator=g).tolist()
    tt.randn(100, generator=h)  # draws from h and from the default stream leave g alone
    tt.rand(100)
    b = tt.randn(5, generator=g).tolist()
    tt.manual_seed(0)
    assert tt.randn(5).tolist() == expected_default  # draws from g leave the default
    g.manual_seed(1)
    assert tt.randn(5, generator=g).tolist() == a
    assert tt.randn(5, generator=g).tolist() == b
    assert g.initial_seed() == 1
    assert tt.Generator(device="cpu").manual_seed(3).initial_seed() == 3


# ---------------------------------------------------------------- categories, coins
MULTINOMIAL_SIGNATURES = {
    "1-D": lambda m: m.multinomial(m.tensor([0.1, 0.0, 0.9]), 2),
    "1-D with replacement": lambda m: m.multinomial(m.tensor([0.1, 0.0, 0.9]), 5, True),
    "2-D": lambda m: m.multinomial(m.tensor([[0.1, 0.0, 0.9], [1.0, 1.0, 1.0]]), 2),
    "2-D replacement=": lambda m: m.multinomial(m.ones(4, 3, dtype=m.float64), 7,
                                                replacement=True),
    "method, generator": lambda m: m.ones(3).multinomial(1, generator=seeded(m, 0)),
    "weights requiring grad": lambda m: m.multinomial(m.ones(3, requires_grad=True), 2),
}


@pytest.mark.parametrize("call", cases(MULTINOMIAL_SIGNATURES))
def test_multinomial_signatures_give_torchs_shapes_and_dtype(call, torch):
    like_torch(call(tt), call(torch))


def test_multinomial_draws_in_proportion_to_the_weights(device):
    weights = tt.tensor([[1.0, 2.0, 7.0, 0.0], [0.0, 0.0, 0.0, 5.0]], device=device)
    picks = tt.multinomial(weights, 20000, replacement=True)
    assert picks.device == tt.device(device) and picks.dtype == tt.int64
    counts = np.stack([np.bincount(row, minlength=4) for row in host(picks)]) / 20000
    np.testing.assert_allclose(counts[0], [0.1, 0.2, 0.7, 0.0], atol=0.015)  # 5σ
    assert counts[1].tolist() == [0.0, 0.0, 0.0, 1.0]  # a weight of 0 is never drawn


def test_multinomial_without_replacement_draws_each_once_zero_weights_last(torch):
    rows = host(tt.multinomial(tt.rand(50, 8) + 0.01, 8))
    assert all(sorted(row) == list(range(8)) for row in rows)
    for m in (tt, torch):  # more samples than non-zero weights: the zero one comes last
        assert m.multinomial(m.tensor([0.1, 0.0, 0.9]), 3)[-1].item() == 1
    weights = tt.tensor([1.0, 8.0, 1.0]).expand(4000, 3)
    heavy_first = host(tt.multinomial(weights, 1)) == 1
    assert abs(heavy_first.mean() - 0.8) < 0.035


MULTINOMIAL_ERRORS = {
    "negative": (lambda m: m.multinomial(m.tensor([0.1, -0.1, 0.9]), 1), "element < 0"),
    "inf": (lambda m: m.multinomial(m.tensor([0.1, float("inf")]), 1), "inf"),
    "nan": (lambda m: m.multinomial(m.tensor([0.1, float("nan")]), 1), "nan"),
    "zero row": (lambda m: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 1), "<="),
    "3-D": (lambda m: m.multinomial(m.ones(2, 2, 2), 1), "1 or 2 dim"),
    "integer weights": (lambda m: m.multinomial(m.tensor([1, 2]), 1), "floating-point"),
    "no samples": (lambda m: m.multinomial(m.ones(3), 0), "n_sample <= 0"),
    "too many": (lambda m: m.multinomial(m.ones(3), 4), "without replacement"),
}


@pytest.mark.parametrize("call, match", cases(MULTINOMIAL_ERRORS))
def test_multinomial_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


BERNOULLI_SIGNATURES = {
    "probabilities": lambda m: m.bernoulli(m.tensor([0.0, 1.0, 0.5])),
    "float64": lambda m: m.bernoulli(m.full((2, 3), 0.5, dtype=m.float64)),
    "p": lambda m: m.bernoulli(m.zeros(3), 0.5),
    "requiring grad": lambda m: m.bernoulli(m.tensor([0.0, 1.0], requires_grad=True)),
    "method": lambda m: m.full((3,), 0.5).bernoulli(),
    "method, p, generator": lambda m: m.zeros(3).bernoulli(0.2, generator=seeded(m, 0)),
}


@pytest.mark.parametrize("call", cases(BERNOULLI_SIGNATURES))
def test_bernoulli_signatures_give_torchs_shapes_dtypes_and_requires_grad(call, torch):
    like_torch(call(tt), call(torch))


def test_bernoulli_is_one_with_the_given_probability(device):
    p = tt.tensor([0.0, 0.3, 1.0], device=device).repeat(20000)
    draws = tt.bernoulli(p)
    assert draws.device == tt.device(device) and draws.dtype == tt.float32
    frequencies = host(draws).reshape(20000, 3).mean(axis=0)
    assert frequencies[0] == 0.0 and frequencies[2] == 1.0
    assert abs(frequencies[1] - 0.3) < 0.016  # 5σ
    filled = tt.zeros(20000, 2, dtype=tt.int64, device=device)
    filled.bernoulli_(tt.tensor([0.25, 1.0], device=device))
    assert filled.dtype == tt.int64 and abs(host(filled)[:, 0].mean() - 0.25) < 0.016
    assert host(filled)[:, 1].tolist() == [1] * 20000
    assert abs(host(tt.zeros(20000, device=device).bernoulli_()).mean() - 0.5) < 0.018


BERNOULLI_ERRORS = {
    "above 1": (lambda m: m.bernoulli(m.tensor([1.5])), r"\[0, 1\]"),
    "below 0": (lambda m: m.bernoulli(m.tensor([-0.5])), r"\[0, 1\]"),
    "p above 1": (lambda m: m.bernoulli(m.zeros(3), 1.5), "p=1.5"),
    "int input": (lambda m: m.bernoulli(m.tensor([0, 1])), "int64"),
    "bernoulli_ p": (lambda m: m.zeros(3).bernoulli_(2.0), "p=2"),
    "bernoulli_ tensor p": (lambda m: m.zeros(3).bernoulli_(m.tensor([0.5, 2.0, 0.1])),
                            r"\[0, 1\]"),
    "bernoulli_ p's shape": (lambda m: m.zeros(3).bernoulli_(m.ones(2, 3) / 2), "size"),
}


@pytest.mark.parametrize("call, match", cases(BERNOULLI_ERRORS))
def test_bernoulli_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


# ---------------------------------------------------------------- in-place fills
FILLS = {
    "normal_": lambda t: t.normal_(),
    "normal_(mean, std)": lambda t: t.normal_(2.0, 0.5),
    "uniform_(a, b)": lambda t: t.uniform_(-1, 1),
    "random_()": lambda t: t.random_(),
    "random_(to)": lambda t: t.random_(5),
    "random_(from, to)": lambda t: t.random_(2, 5),
    "random_(from, to=)": lambda t: t.random_(2, to=5),
    "exponential_": lambda t: t.exponential_(2.0),
    "geometric_": lambda t: t.geometric_(0.5),
    "cauchy_": lambda t: t.cauchy_(),
    "log_normal_": lambda t: t.log_normal_(),
    "bernoulli_": lambda t: t.bernoulli_(0.3),
}


@pytest.mark.parametrize("fill", cases(FILLS))
def test_inplace_fills_write_in_place_as_torch(fill, torch, device):
    """Same memory (an alias sees the values), one version more, dtype kept; a leaf that
    requires grad is refused unless under no_grad, as by every in-place op."""
    for m in (tt, torch):
        x = m.zeros(2, 3, dtype=m.float64, **({"device": device} if m is tt else {}))
        alias = x[0]
        assert fill(x) is x and x._version == 1 and x.dtype == m.float64
        assert alias.tolist() == x[0].tolist()
        assert m is torch or x.device == tt.device(device)
        leaf = m.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fill(leaf)
        with m.no_grad():
            fill(leaf)
        assert leaf.requires_grad and leaf.is_leaf and leaf._version == 1


def test_inplace_fills_follow_their_distributions(device):
    def sample(fill, n=40000, dtype=tt.float32):
        return host(fill(tt.empty(n, dtype=dtype, device=device)))

    normal = sample(lambda t: t.normal_(5.0, 2.0))
    assert abs(normal.mean() - 5) < 0.05 and abs(normal.std() - 2) < 0.05
    uniform = sample(lambda t: t.uniform_(2.0, 3.0))
    assert uniform.min() >= 2 and uniform.max() < 3 and abs(uniform.mean() - 2.5) < 0.01
    assert abs(sample(lambda t: t.exponential_(2.0)).mean() - 0.5) < 0.015  # mean 1/λ
    geometric = sample(lambda t: t.geometric_(0.25))  # tries to the first success
    assert geometric.min() == 1 and abs(geometric.mean() - 4) < 0.1  # mean 1/p
    cauchy = sample(lambda t: t.cauchy_(3.0, 0.5))
    assert abs(np.median(cauchy) - 3) < 0.03  # the median: there is no mean
    log_normal = np.log(sample(lambda t: t.log_normal_(1.0, 0.5)))
    assert abs(log_normal.mean() - 1) < 0.015 and abs(log_normal.std() - 0.5) < 0.015


def test_random_fills_cover_their_integers(device):
    def values(fill, dtype=tt.float32, n=2000):
        return host(fill(tt.empty(n, dtype=dtype, device=device)))

    assert set(values(lambda t: t.random_(5)).tolist()) == {0, 1, 2, 3, 4}
    assert set(values(lambda t: t.random_(-2, 1), tt.int32).tolist()) == {-2, -1, 0}
    every_float = values(lambda t: t.random_())
    assert every_float.min() >= 0 and 2**23 < every_float.max() <= 2**24
    assert (every_float == np.round(every_float)).all()
    every_byte = values(lambda t: t.random_(), tt.uint8)
    assert every_byte.max() == 255 and every_byte.min() == 0
    assert values(lambda t: t.random_(), tt.int64).max() > 2**62
    assert set(values(lambda t: t.random_(), tt.bool).tolist()) == {False, True}
    assert values(lambda t: t.geometric_(0.5), tt.int64).min() == 1


FILL_ERRORS = {
    "normal_ std": (lambda m: m.zeros(2).normal_(0, -1), "std >= 0.0"),
    "normal_ int": (lambda m: m.zeros(2, dtype=m.int64).normal_(), "int64"),
    "uniform_ range": (lambda m: m.zeros(2).uniform_(1, 0), "from=1 > to=0"),
    "uniform_ int": (lambda m: m.zeros(2, dtype=m.int64).uniform_(), "int64"),
    "random_ range": (lambda m: m.zeros(2).random_(5, 2), "from=5 >= to=2"),
    "random_ empty": (lambda m: m.zeros(2).random_(0), "from=0 >= to=0"),
    "random_ uint8": (lambda m: m.zeros(2, dtype=m.uint8).random_(300), "bounds"),
    "exponential_ lambda": (lambda m: m.zeros(2).exponential_(0.0), "lambda > 0.0"),
    "exponential_ int": (lambda m: m.zeros(2, dtype=m.int64).exponential_(), "int64"),
    "geometric_ 0": (lambda m: m.zeros(2).geometric_(0), r"p to be in \(0, 1\)"),
    "geometric_ 1.5": (lambda m: m.zeros(2).geometric_(1.5), r"p to be in \(0, 1\)"),
    "cauchy_ sigma": (lambda m: m.zeros(2).cauchy_(0, -1), "sigma > 0.0"),
    "cauchy_ int": (lambda m: m.zeros(2, dtype=m.int64).cauchy_(), "int64"),
    "log_normal_ std": (lambda m: m.zeros(2).log_normal_(1, 0), "std > 0.0"),
    "log_normal_ int": (lambda m: m.zeros(2, dtype=m.int64).log_normal_(), "int64"),
}


@pytest.mark.parametrize("call, match", cases(FILL_ERRORS))
def test_inplace_fill_errors_are_torchs(call, match, torch):
    raises_like_torch(torch, call, match)


def test_random_floats_keep_the_asked_dtype_and_repeat_under_a_seed():
    def draws():
        tt.manual_seed(11)
        return [tt.normal(0.0, 1.0, (3,)), tt.empty(3).normal_(),
                tt.rand(2, dtype=tt.float16), tt.randn(2, dtype=tt.float16)]

    first, again = draws(), draws()
    assert [t.tolist() for t in first] == [t.tolist() for t in again]
    assert [t.dtype for t in first] == [tt.float32, tt.float32, tt.float16, tt.float16]

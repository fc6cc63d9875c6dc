"""Adagrad, Adadelta, Adamax, NAdam, RAdam and LBFGS against PyTorch step for step in
float64 (parameters and every state entry), their state_dicts, parameter groups and the
errors for invalid hyper-parameters."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.optim as optim
from tinygrad_tutorial import backend

STEPS = 20


def host(t):
    return t.detach().cpu().numpy()


@pytest.fixture
def torch64():
    """torch with float64 as its default dtype, so its scalar state (step, mu_product)
    is float64 too, as ours (Python floats); restored afterwards."""
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


def regression_problem(seed=0):
    """A tiny float64 least-squares problem: starting weights and a fixed batch."""
    rng = np.random.default_rng(seed)
    return {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2),
            "x": rng.standard_normal((8, 3)), "y": rng.standard_normal((8, 2))}


def regression_loss(lib, w, b, x, y):
    squares = ((x @ w + b - y) ** 2).mean()
    return squares + (w ** 4).sum() * 0.01  # the quartic: not a pure quadratic


def compare_states(ours, theirs, params_ours, params_theirs, where):
    for p, q in zip(params_ours, params_theirs):
        ours_state, theirs_state = ours.state[p], theirs.state[q]
        assert sorted(ours_state) == sorted(theirs_state), where
        for key, value in theirs_state.items():
            if isinstance(value, float) or value.ndim == 0:
                expected = pytest.approx(float(value), rel=1e-12)
                assert float(ours_state[key]) == expected, (where, key)
            else:
                ours_value = backend.to_device(ours_state[key], tt.device("cpu"))
                np.testing.assert_allclose(ours_value, value.numpy(), rtol=1e-10,
                                           atol=1e-12, err_msg=f"{where}: state {key}")


def run_in_lockstep(torch, name, kwargs, device="cpu", steps=STEPS):
    """``steps`` steps of optimizer ``name`` on the same float64 problem in both
    frameworks; the parameters and the optimizer state must agree after every step."""
    data = regression_problem()
    ours = [tt.tensor(data[k], device=device, requires_grad=True) for k in ("w", "b")]
    theirs = [torch.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    x, y = tt.tensor(data["x"], device=device), tt.tensor(data["y"], device=device)
    tx, ty = torch.tensor(data["x"]), torch.tensor(data["y"])
    our_opt = getattr(optim, name)(ours, **kwargs)
    torch_opt = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(steps):
        our_opt.zero_grad()
        regression_loss(tt, *ours, x, y).backward()
        our_opt.step()
        torch_opt.zero_grad()
        regression_loss(torch, *theirs, tx, ty).backward()
        torch_opt.step()
        where = f"{name}({kwargs}) after step {step + 1}"
        for p, q in zip(ours, theirs):
            assert p.dtype == tt.float64 and p.device == tt.device(device) and p.is_leaf
            np.testing.assert_allclose(host(p), q.detach().numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=where)
        compare_states(our_opt, torch_opt, ours, theirs, where)
    return our_opt, torch_opt


OPTIONS = [
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad",
     {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True, "foreach": False}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-3, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "maximize": True}),
    ("NAdam", {}),
    ("NAdam",
     {"lr": 0.05, "betas": (0.8, 0.99), "momentum_decay": 0.1, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "betas": (0.3, 0.8), "weight_decay": 0.1}),  # both branches
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True}),
]


@pytest.mark.parametrize("name, kwargs", OPTIONS, ids=str)
def test_matches_pytorch_step_for_step_in_float64(torch64, name, kwargs):
    run_in_lockstep(torch64, name, kwargs)


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_matches_pytorch_on_the_device(torch64, name, device):
    run_in_lockstep(torch64, name, {"lr": 0.05, "weight_decay": 0.01}, device=device,
                    steps=5)


def rosenbrock(x):
    return ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            + (1 - x[2]) ** 2 + 100 * (x[2] - x[1] ** 2) ** 2)


LBFGS_OPTIONS = [
    {"lr": 0.01}, {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7},
    {"lr": 0.5, "max_iter": 4, "max_eval": 6, "line_search_fn": "strong_wolfe"},
    {"lr": 0.002, "history_size": 2, "tolerance_change": 1e-6},
]


@pytest.mark.parametrize("kwargs", LBFGS_OPTIONS, ids=str)
def test_lbfgs_matches_pytorch_on_rosenbrock(torch64, kwargs, device):
    start = np.array([-1.2, 1.0, 0.5])
    ours = tt.tensor(start, device=device, requires_grad=True)
    theirs = torch64.tensor(start, requires_grad=True)
    our_opt = optim.LBFGS([ours], **kwargs)
    torch_opt = torch64.optim.LBFGS([theirs], **kwargs)
    calls = {"ours": 0, "theirs": 0}

    def make_closure(opt, param, who):

        def closure():
            calls[who] += 1
            opt.zero_grad()
            loss = rosenbrock(param)
            loss.backward()
            return loss

        return closure

    # (roundoff differences grow about tenfold a step along Rosenbrock's valley)
    for step in range(4):
        our_loss = our_opt.step(make_closure(our_opt, ours, "ours"))
        torch_loss = torch_opt.step(make_closure(torch_opt, theirs, "theirs"))
        assert float(our_loss) == pytest.approx(float(torch_loss.detach()), rel=1e-9)
        np.testing.assert_allclose(host(ours), theirs.detach().numpy(), rtol=1e-9,
                                   atol=1e-9,
                                   err_msg=f"LBFGS({kwargs}) after step {step + 1}")
        assert calls["ours"] == calls["theirs"]
        state, torch_state = our_opt.state[ours], torch_opt.state[theirs]
        for key in ("func_evals", "n_iter"):
            assert state[key] == torch_state[key], key
    if kwargs == {"line_search_fn": "strong_wolfe"}:  # 4 steps reach the minimum
        np.testing.assert_allclose(host(ours), np.ones(3), atol=1e-4)


def test_lbfgs_over_several_parameters_fits_a_regression(torch64):
    data = regression_problem(seed=3)
    ours = [tt.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    theirs = [torch64.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    x, y = tt.tensor(data["x"]), tt.tensor(data["y"])
    tx, ty = torch64.tensor(data["x"]), torch64.tensor(data["y"])
    our_opt = optim.LBFGS(ours, line_search_fn="strong_wolfe", history_size=5)
    torch_opt = torch64.optim.LBFGS(theirs, line_search_fn="strong_wolfe",
                                    history_size=5)

    def closure(opt, params, lib, a, b):
        opt.zero_grad()
        loss = regression_loss(lib, *params, a, b)
        loss.backward()
        return loss

    for _ in range(2):
        our_opt.step(lambda: closure(our_opt, ours, tt, x, y))
        torch_opt.step(lambda: closure(torch_opt, theirs, torch64, tx, ty))
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(host(p), q.detach().numpy(), rtol=1e-9,
                                       atol=1e-12)


def test_lbfgs_stops_at_once_when_the_gradient_is_zero():
    x = tt.tensor([1.0, 1.0, 1.0], dtype=tt.float64, requires_grad=True)
    opt = optim.LBFGS([x])

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert opt.state[x]["func_evals"] == 1 and opt.state[x]["n_iter"] == 0
    np.testing.assert_array_equal(host(x), [1.0, 1.0, 1.0])


def test_lbfgs_refuses_parameter_groups_and_unknown_line_searches():
    a, b = tt.zeros(2, requires_grad=True), tt.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([a], line_search_fn="backtracking")


@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {"lr": -1.0}),
    ("Adagrad", {"lr_decay": -0.1}),
    ("Adagrad", {"weight_decay": -1e-3}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1.0}),
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"eps": -1.0}),
    ("Adadelta", {"weight_decay": -1.0}),
    ("Adamax", {"lr": -1.0}),
    ("Adamax", {"betas": (1.0, 0.9)}),
    ("Adamax", {"betas": (0.9, -0.1)}),
    ("Adamax", {"eps": -1.0}),
    ("Adamax", {"weight_decay": -1.0}),
    ("NAdam", {"lr": -0.5}),
    ("NAdam", {"momentum_decay": -1.0}),
    ("NAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"lr": -0.5}),
    ("RAdam", {"eps": -1e-8}),
    ("RAdam", {"weight_decay": -0.5}),
    ("LBFGS", {"lr": -1.0}),
], ids=str)
def test_invalid_hyperparameters_give_pytorchs_errors(name, kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([tt.zeros(2, requires_grad=True)], **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_defaults_and_state_dict_keys_are_pytorchs(torch64, name):
    ours, theirs = run_in_lockstep(torch64, name, {}, steps=1)
    saved, torch_saved = ours.state_dict(), theirs.state_dict()
    assert sorted(saved["state"]) == sorted(torch_saved["state"]) == [0, 1]
    assert sorted(saved["state"][0]) == sorted(torch_saved["state"][0])
    torch_group = torch_saved["param_groups"][0]
    for key, value in saved["param_groups"][0].items():
        assert value == torch_group[key], key


@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {"lr_decay": 0.1}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {}),
    ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1})], ids=str)
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    data = regression_problem(seed=1)
    x, y = tt.tensor(data["x"]), tt.tensor(data["y"])

    def train(params, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            regression_loss(tt, *params, x, y).backward()
            opt.step()

    straight = [tt.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    train(straight, getattr(optim, name)(straight, lr=0.05, **kwargs), 8)

    resumed = [tt.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    opt = getattr(optim, name)(resumed, lr=0.05, **kwargs)
    train(resumed, opt, 5)
    saved = opt.state_dict()
    fresh = getattr(optim, name)(resumed, lr=1.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.05 and fresh.state[resumed[0]]["step"] == 5
    train(resumed, fresh, 3)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(host(a), host(b))


def test_adagrad_creates_its_sums_up_front_and_for_groups_added_later(torch64):
    a = tt.zeros(2, dtype=tt.float64, requires_grad=True)
    opt = optim.Adagrad([a], initial_accumulator_value=0.25)
    assert opt.state[a]["step"] == 0
    np.testing.assert_array_equal(opt.state[a]["sum"], [0.25, 0.25])
    b = tt.tensor([1.0, -2.0], dtype=tt.float64, requires_grad=True)
    opt.add_param_group({"params": [b], "lr": 0.5})
    (b * b).sum().backward()
    opt.step()
    tb = torch64.tensor([1.0, -2.0], requires_grad=True)
    torch_opt = torch64.optim.Adagrad([torch64.zeros(2, requires_grad=True)],
                                      initial_accumulator_value=0.25)
    torch_opt.add_param_group({"params": [tb], "lr": 0.5})
    (tb * tb).sum().backward()
    torch_opt.step()
    np.testing.assert_allclose(host(b), tb.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(opt.state[b]["sum"], torch_opt.state[tb]["sum"].numpy(),
                               rtol=1e-12)
    np.testing.assert_array_equal(host(a), [0.0, 0.0])  # no gradient, no step


def test_parameter_groups_keep_their_own_options(torch64):
    data = regression_problem(seed=2)
    ours = [tt.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    theirs = [torch64.tensor(data[k], requires_grad=True) for k in ("w", "b")]
    our_opt = optim.NAdam(
        [{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.2, "betas": (0.5, 0.9)}],
        lr=0.01)
    torch_opt = torch64.optim.NAdam(
        [{"params": [theirs[0]]},
         {"params": [theirs[1]], "lr": 0.2, "betas": (0.5, 0.9)}], lr=0.01)
    x, y = tt.tensor(data["x"]), tt.tensor(data["y"])
    tx, ty = torch64.tensor(data["x"]), torch64.tensor(data["y"])
    for _ in range(5):
        our_opt.zero_grad(), torch_opt.zero_grad()
        regression_loss(tt, *ours, x, y).backward()
        regression_loss(torch64, *theirs, tx, ty).backward()
        our_opt.step(), torch_opt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(host(p), q.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert [g["lr"] for g in our_opt.param_groups] == [0.01, 0.2]


@pytest.mark.parametrize("name, kwargs", [
    ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {"weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("LBFGS", {"line_search_fn": "strong_wolfe"})], ids=str)
def test_float32_parameters_and_state_stay_float32(name, kwargs, device):
    w = tt.tensor([0.5, -2.0, 3.0], device=device, requires_grad=True)
    opt = getattr(optim, name)([w], **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert w.dtype == tt.float32 and w.device == tt.device(device) and w.is_leaf
    for key, value in opt.state[w].items():
        assert getattr(value, "dtype", np.float32) == np.float32, key
    resumed = getattr(optim, name)([w], **kwargs)  # the state_dict loads and steps on
    resumed.load_state_dict(opt.state_dict())
    resumed.step(closure)
    assert float(closure()) < 0.25 + 9 + 4  # its value at the start

"""Optimizers against PyTorch step for step (every option), parameter groups, state_dict,
StepLR, dtypes, and that steps record no graph and leak no tensors."""
import gc

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.optim as optim

STEPS = 5


def host(t):
    return t.detach().cpu().numpy()


def make_models(torch, device, dtype="float32"):
    """The same small network in both frameworks, with PyTorch's initial weights."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    ours = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    ours.load_state_dict(theirs.state_dict())
    if dtype == "float64":
        theirs.double(), ours.double()
    return theirs, ours.to(device)


def run_in_lockstep(optimizer_name, kwargs, device, dtype="float32", groups=None):
    """STEPS training steps in both frameworks; the parameters must agree after every step."""
    torch = pytest.importorskip("torch")
    theirs, ours = make_models(torch, device, dtype)
    if groups is None:
        torch_opt = getattr(torch.optim, optimizer_name)(theirs.parameters(), **kwargs)
        our_opt = getattr(optim, optimizer_name)(ours.parameters(), **kwargs)
    else:
        torch_opt = getattr(torch.optim, optimizer_name)(groups(theirs), **kwargs)
        our_opt = getattr(optim, optimizer_name)(groups(ours), **kwargs)
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        x, y = rng.standard_normal((8, 4)).astype(dtype), rng.standard_normal((8, 2)).astype(dtype)
        torch_opt.zero_grad()
        torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        torch_opt.step()
        our_opt.zero_grad()
        nn.functional.mse_loss(ours(tt.tensor(x, device=device)), tt.tensor(y, device=device)).backward()
        our_opt.step()
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            assert host(p).dtype == np.dtype(dtype), f"{name} changed dtype to {host(p).dtype} at step {step}"
            assert p.grad_fn is None and p.is_leaf and p.device == tt.device(device)
            np.testing.assert_allclose(host(p), q.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{optimizer_name}({kwargs}): {name} differs after step {step + 1}")
    return our_opt, torch_opt


SGD_OPTIONS = [{"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
               {"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "weight_decay": 0.1},
               {"lr": 0.1, "maximize": True},
               {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}]


@pytest.mark.parametrize("kwargs", SGD_OPTIONS, ids=str)
def test_sgd_matches_pytorch_step_for_step(kwargs, device):
    run_in_lockstep("SGD", kwargs, device)


ADAM_OPTIONS = [{}, {"lr": 0.01, "betas": (0.8, 0.99)}, {"lr": 0.01, "eps": 1e-3}, {"lr": 0.01, "weight_decay": 0.1},
                {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "maximize": True},
                {"lr": 0.01, "betas": (0.3, 0.5)}]  # β1 < 0.5: PyTorch's lerp takes its other branch


@pytest.mark.parametrize("kwargs", ADAM_OPTIONS, ids=str)
def test_adam_matches_pytorch_step_for_step(kwargs, device):
    run_in_lockstep("Adam", kwargs, device)


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.01, "weight_decay": 0.5}, {"lr": 0.01, "amsgrad": True}], ids=str)
def test_adamw_matches_pytorch_step_for_step(kwargs, device):
    run_in_lockstep("AdamW", kwargs, device)


RMSPROP_OPTIONS = [{}, {"lr": 0.001}, {"lr": 0.01, "alpha": 0.9, "eps": 1e-3}, {"lr": 0.01, "momentum": 0.9},
                   {"lr": 0.01, "centered": True}, {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "maximize": True},
                   {"lr": 0.01, "alpha": 0.3, "centered": True, "momentum": 0.5, "weight_decay": 0.01}]


@pytest.mark.parametrize("kwargs", RMSPROP_OPTIONS, ids=str)
def test_rmsprop_matches_pytorch_step_for_step(kwargs, device):
    run_in_lockstep("RMSprop", kwargs, device)


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
                                          ("Adam", {"lr": 0.01, "weight_decay": 0.01}), ("AdamW", {"lr": 0.01}),
                                          ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9})])
def test_float64_parameters_stay_float64_and_match(name, kwargs):
    run_in_lockstep(name, kwargs, "cpu", dtype="float64")


def test_parameter_groups_with_their_own_options_match_pytorch():
    def groups(model):
        return [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.001, "momentum": 0.5}]

    ours, theirs = run_in_lockstep("SGD", {"lr": 0.1, "momentum": 0.9}, "cpu", groups=groups)
    assert [g["lr"] for g in ours.param_groups] == [g["lr"] for g in theirs.param_groups]
    assert [g["momentum"] for g in ours.param_groups] == [0.9, 0.5]


def test_step_lr_matches_pytorch():
    torch = pytest.importorskip("torch")
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    our_opt = optim.SGD([tt.zeros(1, requires_grad=True)], lr=0.5)
    torch_sched = torch.optim.lr_scheduler.StepLR(torch_opt, step_size=3, gamma=0.3)
    our_sched = optim.lr_scheduler.StepLR(our_opt, step_size=3, gamma=0.3)
    for _ in range(10):
        assert our_sched.get_last_lr() == torch_sched.get_last_lr()
        assert our_opt.param_groups[0]["lr"] == torch_opt.param_groups[0]["lr"]
        torch_opt.step(), our_opt.step()
        torch_sched.step(), our_sched.step()
    assert our_sched.last_epoch == 10
    assert our_sched.get_last_lr()[0] == pytest.approx(0.5 * 0.3 ** 3)


def test_state_dict_round_trip_resumes_training_exactly():
    def train(model, optimizer, batches):
        for x, y in batches:
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()

    batches = [(tt.randn(8, 4), tt.randn(8, 2)) for _ in range(6)]
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    start = {k: v.clone() for k, v in model.state_dict().items()}
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    train(model, opt, batches)
    expected = host(model[0].weight).copy()  # host() shares memory with the parameter

    model.load_state_dict(start)
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    train(model, opt, batches[:3])
    saved_model, saved_opt = {k: v.clone() for k, v in model.state_dict().items()}, opt.state_dict()
    assert sorted(saved_opt["state"]) == [0, 1, 2, 3]
    assert saved_opt["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert saved_opt["state"][0]["step"] == 3

    fresh = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    fresh.load_state_dict(saved_model)
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(saved_opt)
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    train(model, opt, [])  # nothing: the original stops here
    train(fresh, fresh_opt, batches[3:])
    np.testing.assert_allclose(host(fresh[0].weight), expected, rtol=1e-6, atol=1e-7)


def test_zero_grad_and_params_without_grad():
    a, b = tt.ones(2, requires_grad=True), tt.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0)
    (a * 3).sum().backward()
    opt.step()  # b has no gradient: it is skipped, not an error
    assert a.tolist() == [-2.0, -2.0] and b.tolist() == [1.0, 1.0]
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_momentum_reaches_a_0d_parameter_used_twice(device):
    """Two uses of a 0-d leaf add two gradients, and NumPy gives a 0-d sum as a scalar:
    the momentum buffer copied from it must still be updated in place on later steps, as
    PyTorch's is."""
    torch = pytest.importorskip("torch")
    trajectories = []
    for lib, dev in ((torch, "cpu"), (tt, device)):
        w = lib.tensor(1.0, dtype=lib.float64, device=dev, requires_grad=True)
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, device=dev)
        opt = lib.optim.SGD([w], lr=0.1, momentum=0.9)
        for _ in range(4):
            opt.zero_grad()
            (w * x + (w * x) ** 2).sum().backward()
            opt.step()
        trajectories.append(w.item())
    assert trajectories[1] == pytest.approx(trajectories[0], rel=1e-12)


def test_step_with_closure_returns_the_loss():
    w = tt.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tt.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == pytest.approx(1.6)


def test_bad_hyperparameters_are_explained():
    params = [tt.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD(params, lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid alpha value: -0.5"):
        optim.RMSprop(params, alpha=-0.5)
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        optim.RMSprop(params, momentum=-1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(tt.zeros(1, requires_grad=True), lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": params}, {"params": params}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([params[0] * 2], lr=0.1)


def test_add_param_group_and_defaults():
    a, b = tt.zeros(1, requires_grad=True), tt.zeros(1, requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.defaults["lr"] == 0.1
    assert "Parameter Group 1" in repr(opt)


def count_tensors():
    gc.collect()
    return sum(issubclass(type(o), tt.Tensor) for o in gc.get_objects())  # type(): no attribute lookups


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.01, "momentum": 0.9}), ("Adam", {"lr": 0.001})])
def test_live_tensors_stay_flat_over_1000_steps(name, kwargs):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    x, y = tt.randn(16, 4), tt.randn(16, 1)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    first = step()
    before = count_tensors()
    for _ in range(1000):
        last = step()
    assert count_tensors() <= before
    assert last < first
    assert all(p.grad_fn is None for p in model.parameters())


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": np.float64(0.1), "momentum": np.float64(0.9), "weight_decay": np.float64(0.01)}),
    ("Adam", {"lr": np.float64(0.01), "betas": (np.float64(0.9), np.float64(0.99)), "eps": np.float64(1e-8)}),
    ("AdamW", {"lr": np.float64(0.01), "weight_decay": np.float64(0.1)}),
    ("RMSprop", {"lr": np.float64(0.01), "alpha": np.float64(0.9), "momentum": np.float64(0.5), "centered": True})])
def test_numpy_float64_hyperparameters_do_not_promote_float32_parameters(name, kwargs):
    model = nn.Linear(3, 2)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    for _ in range(3):
        opt.zero_grad()
        model(tt.randn(4, 3)).sum().backward()
        opt.step()
    assert all(host(p).dtype == np.float32 for p in model.parameters())
    assert all(v.dtype == np.float32 for state in opt.state.values() for v in state.values() if hasattr(v, "dtype"))


def test_step_lr_state_dict_resumes_the_schedule():
    opt = optim.SGD([tt.zeros(1, requires_grad=True)], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step(), sched.step()
    saved, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3

    resumed_opt = optim.SGD([tt.zeros(1, requires_grad=True)], lr=1.0)
    resumed_opt.load_state_dict(saved_opt)
    resumed = optim.lr_scheduler.StepLR(resumed_opt, step_size=2, gamma=0.5)
    resumed.load_state_dict(saved)
    for _ in range(3):
        opt.step(), sched.step()
        resumed_opt.step(), resumed.step()
        assert resumed.get_last_lr() == sched.get_last_lr()
    assert sched.get_last_lr() == [0.125]

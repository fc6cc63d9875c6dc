"""Learning-rate schedules against PyTorch's, value for value over 100 steps (two
parameter groups, momentum cycling included), their state_dicts and their errors."""
import warnings

import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.optim as optim


def make_optimizers(torch, name="SGD", **kwargs):
    """The same optimizer over two parameter groups (different rates), both sides."""

    def groups(lib):
        return [{"params": [lib.zeros(1, requires_grad=True)]},
                {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.05}]

    ours = getattr(optim, name)(groups(tt), **kwargs)
    return ours, getattr(torch.optim, name)(groups(torch), **kwargs)


def assert_same(ours, theirs, where):
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15), where


def momenta(optimizer):
    """SGD's momentum or Adam's β1, per group (what OneCycleLR cycles)."""
    return [g["betas"][0] if "betas" in g else g["momentum"]
            for g in optimizer.param_groups]


def run_in_lockstep(make_scheduler, steps=100, optimizer="SGD", kwargs=None,
                    metrics=None):
    """optimizer.step() then scheduler.step(), ``steps`` times in both frameworks; the
    rates (and momenta) must agree before the first step and after every one, with no
    warning."""
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.5, "momentum": 0.9} if kwargs is None else kwargs
    our_opt, torch_opt = make_optimizers(torch, optimizer, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch warns about a wrong order of steps
        ours = make_scheduler(optim.lr_scheduler, our_opt)
        theirs = make_scheduler(torch.optim.lr_scheduler, torch_opt)
        for step in range(steps + 1):
            where = f"after {step} steps"
            assert_same(ours.get_last_lr(), theirs.get_last_lr(), where)
            assert_same([g["lr"] for g in our_opt.param_groups],
                        [g["lr"] for g in torch_opt.param_groups], where)
            if "momentum" in torch_opt.defaults or "betas" in torch_opt.defaults:
                assert_same(momenta(our_opt), momenta(torch_opt), f"momentum {where}")
            assert ours.last_epoch == theirs.last_epoch, where
            if step == steps:
                break
            our_opt.step(), torch_opt.step()
            if metrics is None:
                ours.step(), theirs.step()
            else:
                ours.step(metrics(step)), theirs.step(metrics(step))
    return ours, theirs


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 10, 40], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=30),  # past T_max
    "CosineAnnealingLR-eta_min": lambda m, o: m.CosineAnnealingLR(
        o, T_max=7, eta_min=0.01),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(
        o, [lambda e: 0.9 ** e, lambda e: min(1.0, (e + 1) / 10)]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.97),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=20),
    "LinearLR-down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.25,
                                             total_iters=33),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=10),
    "CosineAnnealingWarmRestarts-T_mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, 3, T_mult=2, eta_min=1e-3),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=101),
    "OneCycleLR-linear-three-phase": lambda m, o: m.OneCycleLR(
        o, max_lr=[1.0, 0.1], epochs=10, steps_per_epoch=11, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10.0,
        final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=10),
            m.ExponentialLR(o, gamma=0.9), m.CosineAnnealingLR(o, T_max=20)],
        milestones=[10, 30]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_pytorch_for_100_steps(name):
    run_in_lockstep(SCHEDULES[name])


def test_one_cycle_cycles_adams_beta1():
    run_in_lockstep(
        lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=100, three_phase=True),
        steps=99, optimizer="Adam", kwargs={"lr": 0.001, "betas": (0.9, 0.99)})


def test_one_cycle_refuses_to_go_past_its_total_steps():
    torch = pytest.importorskip("torch")
    our_opt, torch_opt = make_optimizers(torch)
    pairs = ((optim.lr_scheduler, our_opt), (torch.optim.lr_scheduler, torch_opt))
    schedulers = [m.OneCycleLR(o, max_lr=1.0, total_steps=3) for m, o in pairs]
    for _ in range(3):
        our_opt.step(), torch_opt.step()
        for scheduler in schedulers:
            scheduler.step()
    messages = []
    for scheduler in schedulers:
        with pytest.raises(ValueError) as error:
            scheduler.step()
        messages.append(str(error.value))
    expected = "Tried to step 4 times. The specified number of total steps is 3"
    assert messages[0] == messages[1] == expected


def plateau_metric(step):
    cycle = [5.0, 4.0, 4.0, 4.0, 4.0, 3.9999, 3.0, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 2.0]
    return cycle[step % 14] + step // 14


PLATEAU_OPTIONS = [
    {}, {"patience": 2}, {"patience": 2, "cooldown": 3, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold": 0.1, "min_lr": 0.01},
    {"threshold_mode": "abs", "threshold": 0.5, "patience": 0, "min_lr": [0.2, 0.001]},
    {"mode": "max", "threshold_mode": "abs", "patience": 1, "eps": 0.1},
]


@pytest.mark.parametrize("kwargs", PLATEAU_OPTIONS, ids=str)
def test_reduce_lr_on_plateau_matches_pytorch(kwargs):
    ours, theirs = run_in_lockstep(lambda m, o: m.ReduceLROnPlateau(o, **kwargs),
                                   metrics=plateau_metric)
    for key in ("best", "num_bad_epochs", "cooldown_counter"):
        assert getattr(ours, key) == getattr(theirs, key), key


def test_cosine_warm_restarts_with_fractional_epochs():
    torch = pytest.importorskip("torch")
    our_opt, torch_opt = make_optimizers(torch)
    ours = optim.lr_scheduler.CosineAnnealingWarmRestarts(our_opt, T_0=4, T_mult=2,
                                                          eta_min=0.001)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        torch_opt, T_0=4, T_mult=2, eta_min=0.001)
    for epoch in range(30):
        for batch in range(5):
            ours.step(epoch + batch / 5), theirs.step(epoch + batch / 5)
            assert_same(ours.get_last_lr(), theirs.get_last_lr(),
                        f"epoch {epoch + batch / 5}")
            assert (ours.T_i, ours.last_epoch) == (theirs.T_i, theirs.last_epoch)


class Warmup:
    """A callable object: its attributes go into LambdaLR's state_dict (a lambda's
    cannot)."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


def test_state_dict_resumes_the_schedule():
    our_opt, _ = make_optimizers(pytest.importorskip("torch"))
    straight = optim.lr_scheduler.CosineAnnealingLR(our_opt, T_max=12, eta_min=0.001)
    lrs = []
    for _ in range(20):
        our_opt.step(), straight.step()
        lrs.append(straight.get_last_lr())
    saved = None
    resumed_opt, _ = make_optimizers(pytest.importorskip("torch"))
    resumed = optim.lr_scheduler.CosineAnnealingLR(resumed_opt, T_max=12, eta_min=0.001)
    for step in range(20):
        if step == 8:
            saved, saved_opt = resumed.state_dict(), resumed_opt.state_dict()
            assert "optimizer" not in saved and saved["last_epoch"] == 8
            resumed_opt, _ = make_optimizers(pytest.importorskip("torch"))
            resumed_opt.load_state_dict(saved_opt)
            resumed = optim.lr_scheduler.CosineAnnealingLR(resumed_opt, T_max=1)
            resumed.load_state_dict(saved)
        resumed_opt.step(), resumed.step()
        assert resumed.get_last_lr() == lrs[step], step


def test_lambda_lr_saves_callable_objects_but_not_functions():
    torch = pytest.importorskip("torch")
    our_opt, torch_opt = make_optimizers(torch)
    ours = optim.lr_scheduler.LambdaLR(our_opt, [Warmup(5), lambda epoch: 1.0])
    theirs = torch.optim.lr_scheduler.LambdaLR(torch_opt,
                                               [Warmup(5), lambda epoch: 1.0])
    saved = ours.state_dict()["lr_lambdas"]
    assert saved == theirs.state_dict()["lr_lambdas"] == [{"steps": 5}, None]
    fresh = optim.lr_scheduler.LambdaLR(our_opt, [Warmup(100), lambda epoch: 1.0])
    fresh.load_state_dict(ours.state_dict())
    assert fresh.lr_lambdas[0].steps == 5 and fresh.last_epoch == 0


def test_sequential_lr_state_dict_holds_its_schedulers():
    torch = pytest.importorskip("torch")
    our_opt, _ = make_optimizers(torch)
    warmup = optim.lr_scheduler.LinearLR(our_opt, start_factor=0.5, total_iters=3)
    decay = optim.lr_scheduler.ExponentialLR(our_opt, gamma=0.5)
    sequence = optim.lr_scheduler.SequentialLR(our_opt, [warmup, decay], milestones=[3])
    for _ in range(5):
        our_opt.step(), sequence.step()
    saved = sequence.state_dict()
    assert [s["last_epoch"] for s in saved["_schedulers"]] == [2, 2]
    assert saved["last_epoch"] == 5
    assert "optimizer" not in saved and "optimizer" not in saved["_schedulers"][0]


@pytest.mark.parametrize("make, error", [
    (lambda m, o: m.LambdaLR(o, [lambda e: 1.0]), ValueError),
    (lambda m, o: m.MultiplicativeLR(o, 0.5), TypeError),
    (lambda m, o: m.LinearLR(o, start_factor=0.0), ValueError),
    (lambda m, o: m.LinearLR(o, end_factor=1.5), ValueError),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError),
    (lambda m, o: m.OneCycleLR(o, max_lr=1.0), ValueError),
    (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError),
    (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1), ValueError),
    (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
     ValueError),
    (lambda m, o: m.OneCycleLR(o, max_lr=[1.0], total_steps=10), ValueError),
    (lambda m, o: m.ReduceLROnPlateau(o, factor=1.0), ValueError),
    (lambda m, o: m.ReduceLROnPlateau(o, mode="lowest"), ValueError),
    (lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError),
    (lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    (lambda m, o: m.SequentialLR(o, [m.ExponentialLR(o, 0.5)], milestones=[3]),
     ValueError),
    (lambda m, o: m.SequentialLR(o, [m.ReduceLROnPlateau(o)], milestones=[]),
     ValueError),
], ids=lambda value: "" if callable(value) else value.__name__)
def test_bad_arguments_give_pytorchs_errors(make, error):
    torch = pytest.importorskip("torch")
    our_opt, torch_opt = make_optimizers(torch)
    with pytest.raises(error) as theirs:
        make(torch.optim.lr_scheduler, torch_opt)
    with pytest.raises(error) as ours:
        make(optim.lr_scheduler, our_opt)
    assert str(ours.value) == str(theirs.value)


def test_one_cycle_needs_an_optimizer_with_momentum():
    opt = optim.Adagrad([tt.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 25)

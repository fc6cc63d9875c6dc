"""Shared fixtures: every device-aware test runs on the CPU and, when a GPU is present, on CUDA."""
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import backend

CUDA_SKIP_REASON = "CUDA is not available here: " + (backend._cupy_or_reason()[1] or "")


def pytest_addoption(parser):
    parser.addoption("--device", action="store", default=None, choices=("cpu", "cuda"),
                     help="run device-parametrized tests on this device only")


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        only = metafunc.config.getoption("--device")
        devices = [only] if only else ["cpu", "cuda"]
        metafunc.parametrize("device", [
            pytest.param(d, marks=pytest.mark.skipif(d == "cuda" and not tt.cuda.is_available(),
                                                     reason=CUDA_SKIP_REASON))
            for d in devices])


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    """Each test starts from the same random stream and with gradients enabled."""
    tt.manual_seed(0)
    with tt.enable_grad():
        yield

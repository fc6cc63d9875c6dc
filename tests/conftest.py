"""Shared fixtures: every device-aware test runs on the CPU and, when a GPU is present, on CUDA.

``--device fakecuda`` runs the cuda variants without a GPU, on the strict host-only CuPy stand-in of
tests/fake_cupy/ (NumPy underneath, CuPy's host/device rules on top): it catches NumPy/CuPy mixing.
"""
import os
import sys
from pathlib import Path

import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import backend

CUDA_SKIP_REASON = "CUDA is not available here: " + (backend._cupy_or_reason()[1] or "")


def pytest_addoption(parser):
    parser.addoption("--device", action="store", default=None, choices=("cpu", "cuda", "fakecuda"),
                     help="run device-parametrized tests on this device only (and skip the chapter and site "
                          "tests); fakecuda: the cuda tests on tests/fake_cupy, a host-only CuPy that refuses "
                          "host/device mixing")


# What needs Jupyter, jupytext or the built site, and has no device cases: left out when --device picks one
# (the GPU machine has neither Jupyter nor the site)
NOT_DEVICE_TESTS = {"test_notebooks.py", "test_site_browser.py", "test_links.py", "test_chapters_to_scripts.py",
                    "test_buttons.py", "test_chapter_engines.py", "test_translations.py"}


def pytest_ignore_collect(collection_path, config):
    if config.getoption("--device") and collection_path.name in NOT_DEVICE_TESTS:
        return True
    return None


def pytest_configure(config):
    if config.getoption("--device") == "fakecuda":
        fake = str(Path(__file__).parent / "fake_cupy")
        for name in [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx", "cupy_backends")]:
            del sys.modules[name]  # a real CuPy imported while looking for a GPU gives way to the fake
        sys.path.insert(0, fake)
        try:
            import cupy  # noqa: F401  (the fake: now in sys.modules, so the package imports it)
            import cupyx  # noqa: F401
        finally:
            sys.path.remove(fake)
        backend._cupy_or_reason.cache_clear()


# `make test` sets TT_REQUIRE_ALL=1: then a test that skips for want of something the set-up should
# have provided (PyTorch, Chromium, the built site, ...) fails, so "the tests pass" means the same on
# every machine. Only the device skips stay skips: whether a GPU is present is not the set-up's to fix.
REQUIRE_ALL = os.environ.get("TT_REQUIRE_ALL") == "1"
DEVICE_SKIPS = ("CUDA is not available", "GPU")


def _fail_unexpected_skip(report):
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail") and \
            not any(word in reason for word in DEVICE_SKIPS):
        report.outcome = "failed"
        report.longrepr = f"skipped, but TT_REQUIRE_ALL=1 requires it to run: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _fail_unexpected_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    _fail_unexpected_skip(report)
    return report


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        only = metafunc.config.getoption("--device")
        only = "cuda" if only == "fakecuda" else only
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

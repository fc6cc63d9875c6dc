"""requirements.lock, the exact versions ``make`` installs, matches the requirements."""
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lock  # noqa: E402  (tools/lock.py: writes the lock's header, reads it back)

LOCK_TEXT = lock.LOCK.read_text(encoding="utf8")


def requirement_names(name):
    """The packages a requirements file asks for (not ``-e .`` or other options)."""
    text = (ROOT / name).read_text()
    lines = (line.split("#")[0].strip() for line in text.splitlines())
    return [lock.normalized(re.match(r"[A-Za-z0-9._-]+", line)[0])
            for line in lines if line and not line.startswith("-")]


@pytest.mark.parametrize("name", lock.INPUTS)
def test_lock_was_refreshed_after_the_requirements_changed(name):
    assert lock.recorded_digests(LOCK_TEXT).get(name) == lock.digest(name), (
        f"{name} changed since requirements.lock was made: refresh it with "
        f"`{lock.REFRESH}`")


@pytest.mark.parametrize("name", lock.INPUTS)
def test_lock_pins_every_requirement_exactly(name):
    pins = lock.pins(LOCK_TEXT)
    missing = [package for package in requirement_names(name) if package not in pins]
    assert missing == [], f"the lock pins nothing for {missing}: `{lock.REFRESH}`"
    assert "tinygrad-tutorial" not in pins, "the package is installed from the checkout"
    assert not [v for v in pins.values() if "+" in v], "no build labels such as +cpu"


def test_the_makefile_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    for name in lock.INPUTS:
        assert f"install -q -r {name} -c $(LOCK)" in makefile

"""The lock file: the exact versions ``make`` installs, and what it was resolved from.

``make lock`` installs requirements.txt and requirements-test.txt into a fresh virtual
environment and pipes its ``pip freeze`` through ``python tools/lock.py`` into
requirements.lock. The header records a hash of each input, so tests/test_lock.py can
tell when a requirements file changed without the lock being refreshed.
"""
import hashlib
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
INPUTS = ("requirements.txt", "requirements-test.txt")
REFRESH = "make lock"


def digest(name):
    return hashlib.sha256((ROOT / name).read_bytes()).hexdigest()


def recorded_digests(lock_text):
    """The ``# sha256 <file>: <hash>`` lines of a lock's header, as {file: hash}."""
    return dict(re.findall(r"^# sha256 (\S+): ([0-9a-f]{64})$", lock_text, re.M))


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock_text):
    """The ``name==version`` lines of a lock, as {normalized name: version}."""
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)$", lock_text, re.M)
    return {normalized(name): version for name, version in found}


def main():
    # A local version label (torch's "+cpu") names the wheel's build, not the release:
    # "torch==2.13.0" takes the CPU build where one is offered and PyPI's elsewhere.
    frozen = sorted(re.sub(r"\+[A-Za-z0-9.]+$", "", line.strip())
                    for line in sys.stdin if "==" in line and not line.startswith("-e"))
    python = ".".join(platform.python_version_tuple()[:2])
    header = [
        "# Exact versions `make` installs (pip install -r FILE -c requirements.lock)",
        f"# from {INPUTS[0]} and, for the tests, {INPUTS[1]}.",
        f"# Resolved on Python {python}, {platform.system()} {platform.machine()}.",
        f"# Refresh after changing a requirements file: {REFRESH}"]
    header += [f"# sha256 {name}: {digest(name)}" for name in INPUTS]
    sys.stdout.write("\n".join(header + frozen) + "\n")


if __name__ == "__main__":
    main()

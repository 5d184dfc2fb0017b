#!/usr/bin/env python3
"""Set up and run the course from a fresh clone with nothing but Python 3.11+.

    python3 tasks.py main   # build the course and grade the sample class
    python3 tasks.py test   # run every test
    python3 tasks.py ci     # `test` on each end of the supported Python range, each in a clean clone

Each command creates `.venv/` beside this file on first use and installs the
project into it (again only when pyproject.toml changes), then runs inside it.
Anything after the command name is passed on (to pytest for `test` and `ci`).
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

# What each command needs installed: the student-facing course, or that plus the test tools and
# the cluster grader's Dask (tested on a loopback cluster).
EXTRAS = {"main": "", "test": "[test,cluster]", "ci": None}
# The oldest and the newest Python the course supports (README); `ci` proves both ends.
SUPPORTED_PYTHONS = ("3.11", "3.13")
# Debian packages the tests need: the grader's sandbox and the browser the end-to-end tests drive.
SYSTEM_PACKAGES = {"bwrap": "bubblewrap", "chromium": "chromium", "chromedriver": "chromium-driver"}


def ensure_system_packages(commands):
    """Install the Debian packages of `commands` that are missing, when root with apt; else warn."""
    missing = [SYSTEM_PACKAGES[cmd] for cmd in commands if shutil.which(cmd) is None]
    if not missing:
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing {' '.join(missing)} with apt-get ...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
        subprocess.run(["apt-get", "update", "-q"], check=True, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                       check=True, **quiet)
    else:
        print(f"NOTE: {', '.join(missing)} not installed and cannot be installed here (needs root "
              "and apt-get); the tests that need them will say so.", file=sys.stderr, flush=True)


def ensure_venv(extras):
    """Create .venv and install the project with `extras` unless that is already done."""
    if sys.version_info < (3, 11):
        sys.exit(f"tasks.py needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / ".tfcourse-installed"
    want = _hash(extras)
    installed = stamp.read_text().split() if stamp.exists() else []
    # A test install also serves `main`; anything else reinstalls.
    if want in installed or (extras == "" and _hash(EXTRAS["test"]) in installed):
        return
    if not PYTHON.exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print(f"Installing the course{extras} into {VENV} (first run only) ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}{extras}"], check=True)
    stamp.write_text(" ".join(installed + [want]))


def _hash(extras):
    """Identify one install: the project's declared dependencies plus the extras asked for."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()


def find_python(version):
    """The path of a working `python<version>`: on PATH, else the newest pyenv install; or None."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"),
                       key=lambda path: [int(n) for n in path.split("/")[-3].split(".")[:3]
                                         if n.isdigit()], reverse=True)
    for candidate in [shutil.which(f"python{version}"), *installed]:
        if candidate and subprocess.run([candidate, "-c", f"import sys; assert sys.version.startswith('{version}.')"],
                                        capture_output=True).returncode == 0:
            return candidate
    return None


def ci(rest):
    """Run `tasks.py test` in a fresh clone of the committed tree with each supported Python,
    one after the other; every one must pass, and a missing Python fails too."""
    if subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout:
        print("NOTE: uncommitted changes are not tested: ci tests a clone of the last commit", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="tfcourse-ci-"))
    folder.chmod(0o755)  # as a checkout is: the Linux-accounts test runs the clone as other users
    results = []
    for version in SUPPORTED_PYTHONS:
        python, started = find_python(version), time.monotonic()
        if python is None:
            results.append((version, f"FAILED: no python{version} on PATH or under pyenv"))
            continue
        clone = folder / f"python{version}"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        print(f"== Python {version} ({python}) in {clone}", flush=True)
        code = subprocess.run([python, "tasks.py", "test", *rest], cwd=clone).returncode
        minutes = (time.monotonic() - started) / 60
        results.append((version, f"{'passed' if code == 0 else f'FAILED (exit {code})'} in {minutes:.1f} min"))
    print("\n".join(f"Python {version}: {outcome}" for version, outcome in results), flush=True)
    return 0 if all(outcome.startswith("passed") for _, outcome in results) else 1


def main(argv):
    if not argv or argv[0] not in EXTRAS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(EXTRAS)}}} [args...]")
    command, rest = argv[0], argv[1:]
    if command == "ci":
        return ci(rest)
    ensure_venv(EXTRAS[command])
    # The demo grades in the sandbox too; the tests also drive the browser.
    ensure_system_packages(["bwrap"] if command == "main" else list(SYSTEM_PACKAGES))
    if command == "main":
        args = [str(PYTHON), "-m", "autograder", "demo", *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", "-n", "auto", *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
